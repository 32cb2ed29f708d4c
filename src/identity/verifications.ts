/**
 * @module Identity verifications: a customer submits a document photo, a selfie and the document's
 * MRZ; the pipeline weighs every reason into `approved | rejected | review`; compliance staff
 * decide the reviews with a note. Images and extracted fields are sealed at rest, images are
 * deleted after the retention period, a document number seen on another account is a duplicate
 * (linked in the queue, fed to the risk engine, and a risk case opened naming both accounts), and an
 * approved document sets the P2P country.
 */
import type { Kysely, Transaction } from 'kysely'
import { recordDocumentCountry } from '../p2p/index.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Kek } from '../platform/crypto/field-encryption.ts'
import type { Database, Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import type { EventBus } from '../platform/events.ts'
import { openSystemCase } from '../risk/index.ts'
import { checkDocument, type Reason, type VisualFields, type WeighedReason } from './document.ts'
import { assessFaces, FACE_THRESHOLDS, type FaceAssessment } from './face/assess.ts'
import { findFaceDuplicates, storeFaceEmbedding } from './face/duplicates.ts'
import type { FaceEngine } from './face/engine.ts'
import { identityFieldStore } from './field-storage.ts'
import { imageSize } from './image-size.ts'
import type { LivenessChallenges } from './liveness/challenges.ts'
import { type MrzFields, parseMrz } from './mrz.ts'
import type { IdentitySealer } from './sealing.ts'
import type { VerificationScores, VerificationStatus } from './tables.ts'

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp'
export type ImageInput = { contentType: ImageType; bytes: Uint8Array }
export type ImageKind = 'document' | 'selfie'

/** What OCR read: the MRZ lines, the lowest character confidence, and each field's (0-1). */
export type MrzReading = { text: string; confidence: number; fields: Record<string, number> }

/** Reads the MRZ from a document image (OCR); null when no MRZ was found. */
export type MrzReader = (image: ImageInput) => Promise<MrzReading | null>

export type IdentityDeps = {
  db: Db
  clock: Clock
  events: EventBus
  sealer: IdentitySealer
  minimumAge: number
  retentionDays: number
  mrzReader?: MrzReader
  /**
   * Finds and compares faces (face/engine.ts). Without it no face comparison runs and every
   * verification goes to a person (`FACE_NOT_VERIFIED`).
   */
  faces?: Pick<FaceEngine, 'scan' | 'similarity'>
  /** With a KEK the extracted fields are envelope-encrypted per field (field-storage.ts). */
  kek?: Kek | null
  /**
   * The active liveness challenge (liveness/challenges.ts); with `faces`, a verification without a
   * finished challenge goes to review (`FACE_LIVENESS_MISSING`).
   */
  liveness?: Pick<LivenessChallenges, 'outcome' | 'use'>
}

export type SubmitParameters = {
  userId: string
  document: ImageInput
  selfie: ImageInput
  /**
   * The MRZ lines as the customer typed them. Without them the lines are read from the photo; with
   * them, lines read from the photo that differ send the verification to review.
   */
  mrz?: string
  visual: VisualFields
  /** The head-turn check the customer finished for this verification (used once). */
  livenessChallengeId?: string
}

/** What a customer sees of their verification: never the duplicate or face reasons. */
export type CustomerVerificationView = {
  id: string
  status: VerificationStatus
  country: string | null
  createdAt: string
  decidedAt: string | null
  /** Plain-language problems the customer can fix (rejections only). */
  problems: string[]
}

export type StaffVerificationView = {
  id: string
  userId: string
  email: string
  displayName: string
  status: VerificationStatus
  decidedBy: 'system' | 'staff'
  documentFormat: string | null
  documentType: string | null
  country: string | null
  fields: ExtractedFields | null
  reasons: Reason[]
  scores: VerificationScores
  duplicates: Array<{ kind: 'document' | 'face'; userId: string; email: string; verificationId: string }>
  reviewNote: string | null
  createdAt: string
  decidedAt: string | null
  imagesDeletedAt: string | null
}

export type ExtractedFields = Pick<
  MrzFields,
  'documentNumber' | 'surname' | 'givenNames' | 'sex' | 'issuingState' | 'nationality'
> & { birthDate: string | null; expiryDate: string | null }

const MAGIC: Record<ImageType, (b: Uint8Array) => boolean> = {
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  'image/webp': (b) =>
    String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
}

/** The most pixels a photo may have (a 12 MP phone photo has 12 million). */
const MAX_PIXELS = 40_000_000

const UNREADABLE =
  'The lines of letters and < signs at the bottom of your document could not be read correctly (blurred, covered or cut off). Take the photo again flat, in good light, with the whole document in view, and check the lines you typed.'

function customerProblem(code: string, minimumAge: number): string | null {
  switch (code) {
    case 'MRZ_FORMAT':
    case 'MRZ_CHECK_DIGIT':
    case 'DATE_INVALID':
    case 'DATE_IMPLAUSIBLE':
    case 'COUNTRY_UNKNOWN':
      return UNREADABLE
    case 'DOCUMENT_EXPIRED':
      return 'Your document has expired. Use a passport or identity card that is still valid.'
    case 'HOLDER_UNDER_AGE':
      return `You must be at least ${minimumAge} to use Bulwark.`
    case 'DOCUMENT_TYPE_UNSUPPORTED':
      return 'Use a passport or a national identity card; visas and other documents are not accepted.'
    case 'DOCUMENT_SPECIMEN':
      return 'This is a specimen document, not a real one. Use your own passport or identity card.'
    case 'SELFIE_FACE_NOT_FOUND':
      return 'We could not find your face in the selfie. Take it again facing the camera, in good light, with your whole face in view.'
    case 'SELFIE_SEVERAL_FACES':
      return 'Your selfie shows more than one face. Take it again with only you in view.'
    case 'FACE_LIVENESS_STILL':
      return 'Your camera showed the same still picture during the whole head-turn check. Use your device’s own camera, live, and do the check again.'
    default:
      return null
  }
}

async function readMrz(reader: MrzReader, image: ImageInput): Promise<MrzReading | null> {
  try {
    return await reader(image)
  } catch (error) {
    throw new AppError(
      'IDENTITY_IMAGE_UNREADABLE',
      400,
      'The document photo could not be opened. Take the photo again or choose another one.',
      { cause: error, details: { field: 'document' } },
    )
  }
}

/** Runs the face rules; a photo the face models cannot read (WebP, a corrupt file) leaves the faces to a person. */
async function checkFaces(
  faces: Pick<FaceEngine, 'scan' | 'similarity'>,
  input: Pick<SubmitParameters, 'document' | 'selfie'>,
): Promise<FaceAssessment> {
  try {
    const [document, selfie] = [await faces.scan(input.document), await faces.scan(input.selfie)]
    return assessFaces(document, selfie, (a, b) => faces.similarity(a, b))
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'FACE_ENGINE_FAILED'
    return {
      reasons: [
        {
          code: 'FACE_NOT_VERIFIED',
          detail: `The faces could not be compared automatically (${code}): compare the selfie with the document photo.`,
          severity: 'review',
        },
      ],
      similarity: null,
      selfie: null,
    }
  }
}

/** An earlier verification of another account that a new one matches, by document number or by face. */
type DuplicateMatch = { verificationId: string; userId: string }

const DUPLICATE_REASON = {
  document: (accounts: number) => ({
    code: 'DUPLICATE_DOCUMENT',
    text: `The identity document this account submitted was submitted before by ${accounts} other account(s).`,
  }),
  face: (accounts: number) => ({
    code: 'DUPLICATE_FACE',
    text: `The selfie this account submitted matches the face of ${accounts} other account(s).`,
  }),
} as const

/**
 * Records a new verification's matches and, when there are any, opens one risk case naming every other
 * account (multi-accounting, a mule network, one person behind several accounts). In the submission's
 * transaction.
 */
async function recordDuplicates(
  tx: Transaction<Database>,
  p: {
    verificationId: string
    userId: string
    kind: 'document' | 'face'
    matches: DuplicateMatch[]
    at: Date
  },
): Promise<void> {
  if (p.matches.length === 0) return
  await tx
    .insertInto('identity_duplicates')
    .values(
      p.matches.map((m) => ({
        verification_id: p.verificationId,
        other_verification_id: m.verificationId,
        other_user_id: m.userId,
        kind: p.kind,
        created_at: p.at,
      })),
    )
    .execute()
  const otherAccounts = [...new Set(p.matches.map((m) => m.userId))]
  await openSystemCase(tx, {
    source: 'identity_duplicate',
    key: `identity_duplicate:${p.kind}:${p.verificationId}`,
    account: p.userId,
    links: [
      ...otherAccounts.map((ref) => ({ kind: 'account' as const, ref })),
      { kind: 'identity_verification' as const, ref: p.verificationId },
      ...p.matches.map((m) => ({ kind: 'identity_verification' as const, ref: m.verificationId })),
    ],
    reasons: [DUPLICATE_REASON[p.kind](otherAccounts.length)],
    at: p.at,
  })
}

/** Tells the risk engine about each pair of accounts, both ways (after the submission commits). */
function publishDuplicates(
  events: EventBus,
  userId: string,
  kind: 'document' | 'face',
  otherAccounts: readonly string[],
  at: Date,
): void {
  for (const otherAccount of otherAccounts) {
    for (const [account, other] of [
      [userId, otherAccount],
      [otherAccount, userId],
    ] as const) {
      events.publish({ type: 'identity_duplicate', at: at.toISOString(), account, kind, otherAccount: other })
    }
  }
}

function decide(reasons: WeighedReason[]): VerificationStatus {
  if (reasons.some((r) => r.severity === 'reject')) return 'rejected'
  if (reasons.length > 0) return 'review'
  return 'approved'
}

/**
 * The identity verification service.
 *
 * @example const identity = createIdentityVerifications({ db, clock, events, sealer, minimumAge: 18, retentionDays: 30 })
 */
export function createIdentityVerifications(deps: IdentityDeps) {
  const { db, clock, sealer } = deps
  const fieldStore = identityFieldStore({ db, sealer, kek: deps.kek ?? null })

  function customerView(row: {
    id: string
    status: VerificationStatus
    country: string | null
    reasons: Reason[]
    created_at: Date
    decided_at: Date | null
  }): CustomerVerificationView {
    const problems =
      row.status === 'rejected' ? row.reasons.map((r) => customerProblem(r.code, deps.minimumAge)) : []
    return {
      id: row.id,
      status: row.status,
      country: row.status === 'approved' ? row.country : null,
      createdAt: row.created_at.toISOString(),
      decidedAt: row.decided_at?.toISOString() ?? null,
      problems: [...new Set(problems.filter((p): p is string => p !== null))],
    }
  }

  async function latestOf(userId: string, executor: Pick<Kysely<Database>, 'selectFrom'> = db) {
    return executor
      .selectFrom('identity_verifications')
      .select(['id', 'status', 'country', 'reasons', 'created_at', 'decided_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst()
  }

  return {
    /** The customer's latest verification, as they may see it. */
    async latest(userId: string): Promise<CustomerVerificationView | null> {
      const row = await latestOf(userId)
      return row ? customerView(row) : null
    },

    /** Runs the pipeline on a submission and stores the verification with its decision. */
    async submit(input: SubmitParameters): Promise<CustomerVerificationView> {
      const previous = await latestOf(input.userId)
      if (previous?.status === 'review') {
        throw errors.conflict(
          'IDENTITY_REVIEW_PENDING',
          'Your identity is being reviewed; you will be able to submit again once it is decided.',
        )
      }
      if (previous?.status === 'approved') {
        throw errors.conflict('IDENTITY_ALREADY_VERIFIED', 'Your identity is already verified.')
      }
      for (const [kind, image] of [
        ['document', input.document],
        ['selfie', input.selfie],
      ] as const) {
        if (!MAGIC[image.contentType](image.bytes)) {
          throw new AppError(
            'IDENTITY_IMAGE_UNREADABLE',
            400,
            `The ${kind === 'document' ? 'document photo' : 'selfie'} is not a JPEG, PNG or WebP image. Take or choose the photo again.`,
            { details: { field: kind } },
          )
        }
      }

      for (const [kind, image] of [
        ['document', input.document],
        ['selfie', input.selfie],
      ] as const) {
        // A small file can declare a huge image (a decompression bomb) that would exhaust the OCR worker.
        const size = imageSize(image.bytes)
        if (size && size.width * size.height > MAX_PIXELS) {
          throw new AppError(
            'IDENTITY_IMAGE_TOO_LARGE',
            400,
            `The ${kind === 'document' ? 'document photo' : 'selfie'} is ${size.width}×${size.height} pixels; photos up to ${MAX_PIXELS / 1_000_000} megapixels are accepted. Take it at a lower resolution.`,
            { details: { field: kind } },
          )
        }
      }
      // The head-turn check is read first: a used or unfinished one is refused before any OCR.
      const liveness =
        deps.faces && deps.liveness && input.livenessChallengeId !== undefined
          ? await deps.liveness.outcome(input.userId, input.livenessChallengeId)
          : null
      const reading = deps.mrzReader ? await readMrz(deps.mrzReader, input.document) : null
      const mrzText = input.mrz ?? reading?.text ?? ''
      const now = clock.now()
      const check = checkDocument(mrzText, { today: now, minimumAge: deps.minimumAge, visual: input.visual })
      const reasons: WeighedReason[] = [...check.reasons]
      if (input.mrz !== undefined && reading && check.fields) {
        const read = parseMrz(reading.text)
        if (
          read.ok &&
          read.reasons.length === 0 &&
          read.fields.lines.join('\n') !== check.fields.lines.join('\n')
        ) {
          reasons.push({
            code: 'MRZ_PHOTO_MISMATCH',
            detail: `The lines read from the photo (${read.fields.documentNumber}, ${read.fields.surname}) differ from those typed.`,
            severity: 'review',
          })
        }
      }
      const fields = check.fields
      const digest = fields ? sealer.digest(`${fields.issuingState}:${fields.documentNumber}`) : null
      const others = digest
        ? await db
            .selectFrom('identity_verifications')
            .select(['id', 'user_id'])
            .where('document_digest', '=', digest)
            .where('user_id', '!=', input.userId)
            .orderBy('created_at')
            .limit(20)
            .execute()
        : []
      if (others.length > 0) {
        reasons.push({
          code: 'DUPLICATE_DOCUMENT',
          detail: `This document number was submitted by ${new Set(others.map((o) => o.user_id)).size} other account(s).`,
          severity: 'review',
        })
      }
      const faces = deps.faces ? await checkFaces(deps.faces, input) : null
      if (faces) {
        reasons.push(...faces.reasons)
      } else {
        // Face comparison is off (IDENTITY_FACES, docs/identity.md): a person compares the faces.
        reasons.push({
          code: 'FACE_NOT_VERIFIED',
          detail: 'No automatic face comparison ran: compare the selfie with the document photo.',
          severity: 'review',
        })
      }
      const selfieEmbedding =
        faces?.selfie && faces.selfie.embedding.length > 0 ? faces.selfie.embedding : null
      let livenessSimilarity: number | null = null
      if (faces && deps.liveness) {
        if (liveness) {
          reasons.push(...liveness.reasons)
          if (selfieEmbedding && liveness.reference) {
            livenessSimilarity = deps.faces!.similarity(selfieEmbedding, liveness.reference)
            if (livenessSimilarity < FACE_THRESHOLDS.match) {
              reasons.push({
                code: 'FACE_LIVENESS_OTHER_FACE',
                detail: `The selfie's face differs from the face in the head-turn check (similarity ${livenessSimilarity.toFixed(2)}, below ${FACE_THRESHOLDS.match}).`,
                severity: 'review',
              })
            }
          }
        } else {
          reasons.push({
            code: 'FACE_LIVENESS_MISSING',
            detail:
              'No head-turn check was done with this verification: a still photo or a replayed video was not ruled out.',
            severity: 'review',
          })
        }
      }
      const faceMatches =
        selfieEmbedding && deps.faces
          ? await findFaceDuplicates(db, sealer, input.userId, selfieEmbedding, (a, b) =>
              deps.faces!.similarity(a, b),
            )
          : []
      const faceAccounts = [...new Set(faceMatches.map((m) => m.userId))]
      if (faceMatches.length > 0) {
        reasons.push({
          code: 'DUPLICATE_FACE',
          detail: `The selfie matches the face of ${faceAccounts.length} other account(s) (best similarity ${faceMatches[0]!.similarity.toFixed(2)}).`,
          severity: 'review',
        })
      }
      const status = decide(reasons)
      const id = crypto.randomUUID()
      const extracted: ExtractedFields | null = fields
        ? {
            documentNumber: fields.documentNumber,
            surname: fields.surname,
            givenNames: fields.givenNames,
            sex: fields.sex,
            issuingState: fields.issuingState,
            nationality: fields.nationality,
            birthDate: check.birthDate,
            expiryDate: check.expiryDate,
          }
        : null
      const scores: VerificationScores = {
        mrzChecks: fields
          ? { valid: check.checks.filter((c) => c.valid).length, total: check.checks.length }
          : null,
        ocrConfidence: reading?.confidence ?? null,
        ocrFields: reading?.fields ?? null,
        faceSimilarity: faces?.similarity ?? null,
        ...(faces?.selfie ? { faceReal: faces.selfie.real, faceLive: faces.selfie.live } : {}),
        ...(liveness ? { livenessSimilarity } : {}),
      }
      const stored: Reason[] = reasons.map(({ code, detail }) => ({ code, detail }))
      const storedFields = await fieldStore.write(id, extracted)
      const row = await db.transaction().execute(async (tx) => {
        const inserted = await tx
          .insertInto('identity_verifications')
          .values({
            id,
            user_id: input.userId,
            status,
            decided_by: 'system',
            document_format: fields?.format ?? null,
            document_type: fields?.documentType ?? null,
            country: check.country,
            document_digest: digest,
            ...storedFields,
            reasons: JSON.stringify(stored),
            scores: JSON.stringify(scores),
            created_at: now,
            decided_at: status === 'review' ? null : now,
          })
          .returning(['id', 'status', 'country', 'reasons', 'created_at', 'decided_at'])
          .executeTakeFirstOrThrow()
        if (liveness && input.livenessChallengeId !== undefined) {
          await deps.liveness!.use(tx, input.livenessChallengeId, id)
        }
        await tx
          .insertInto('identity_images')
          .values(
            (['document', 'selfie'] as const).map((kind) => ({
              verification_id: id,
              kind,
              content_type: input[kind].contentType,
              sealed: sealer.seal(input[kind].bytes, `${id}:${kind}`),
              created_at: now,
            })),
          )
          .execute()
        await recordDuplicates(tx, {
          verificationId: id,
          userId: input.userId,
          kind: 'document',
          matches: others.map((o) => ({ verificationId: o.id, userId: o.user_id })),
          at: now,
        })
        if (selfieEmbedding) {
          await storeFaceEmbedding(tx, sealer, {
            verificationId: id,
            userId: input.userId,
            embedding: selfieEmbedding,
            at: now,
          })
        }
        await recordDuplicates(tx, {
          verificationId: id,
          userId: input.userId,
          kind: 'face',
          matches: faceMatches,
          at: now,
        })
        await appendAudit(tx, {
          actor: `user:${input.userId}`,
          action: 'identity.verification_submitted',
          target: `identity_verification:${id}`,
          details: {
            status,
            reasons: stored.map((r) => r.code),
            country: check.country,
            duplicates: others.map((o) => `user:${o.user_id}`),
            ...(faceAccounts.length > 0 ? { faceDuplicates: faceAccounts.map((u) => `user:${u}`) } : {}),
          },
          at: now,
        })
        if (status === 'approved' && check.country) {
          await recordDocumentCountry(tx, {
            userId: input.userId,
            country: check.country,
            verificationId: id,
            reviewerId: null,
            at: now,
          })
        }
        return inserted
      })
      publishDuplicates(
        deps.events,
        input.userId,
        'document',
        [...new Set(others.map((o) => o.user_id))],
        now,
      )
      publishDuplicates(deps.events, input.userId, 'face', faceAccounts, now)
      return customerView(row)
    },

    /**
     * The compliance queue (default: waiting for review, oldest first); with `documentNumber`, the
     * verifications of that document number in any status, found by its keyed hash (needs a KEK).
     */
    async list(
      status: VerificationStatus = 'review',
      filter: { documentNumber?: string } = {},
    ): Promise<StaffVerificationView[]> {
      const search =
        filter.documentNumber === undefined
          ? undefined
          : await fieldStore.documentNumberSearch(filter.documentNumber)
      if (search === null) {
        throw new AppError(
          'IDENTITY_SEARCH_UNAVAILABLE',
          409,
          'Lookup by document number needs encrypted identity fields: configure DATA_KEK (or DATA_KEK_FILE) and run `bulwark data encrypt-existing`.',
        )
      }
      const rows = await db
        .selectFrom('identity_verifications as v')
        .innerJoin('users as u', 'u.id', 'v.user_id')
        .selectAll('v')
        .select(['u.email', 'u.display_name'])
        .$if(search === undefined, (q) => q.where('v.status', '=', status))
        .$if(search !== undefined, (q) => q.where('v.document_number_search', '=', search!))
        .orderBy('v.created_at', status === 'review' ? 'asc' : 'desc')
        .limit(200)
        .execute()
      const ids = rows.map((r) => r.id)
      const duplicates =
        ids.length === 0
          ? []
          : await db
              .selectFrom('identity_duplicates as d')
              .innerJoin('users as u', 'u.id', 'd.other_user_id')
              .select([
                'd.verification_id',
                'd.other_verification_id',
                'd.other_user_id',
                'd.kind',
                'u.email',
              ])
              .where('d.verification_id', 'in', ids)
              .execute()
      const fields = await Promise.all(rows.map((r) => fieldStore.read(r.id, r)))
      return rows.map((r, i) => ({
        id: r.id,
        userId: r.user_id,
        email: r.email,
        displayName: r.display_name,
        status: r.status,
        decidedBy: r.decided_by,
        documentFormat: r.document_format,
        documentType: r.document_type,
        country: r.country,
        fields: fields[i] ?? null,
        reasons: r.reasons,
        scores: r.scores,
        duplicates: duplicates
          .filter((d) => d.verification_id === r.id)
          .map((d) => ({
            kind: d.kind,
            userId: d.other_user_id,
            email: d.email,
            verificationId: d.other_verification_id,
          })),
        reviewNote: r.review_note,
        createdAt: r.created_at.toISOString(),
        decidedAt: r.decided_at?.toISOString() ?? null,
        imagesDeletedAt: r.images_deleted_at?.toISOString() ?? null,
      }))
    },

    /** One image, opened for a reviewer; every view is audit-logged. */
    async image(staffId: string, verificationId: string, kind: ImageKind): Promise<ImageInput> {
      const row = await db
        .selectFrom('identity_images')
        .select(['content_type', 'sealed'])
        .where('verification_id', '=', verificationId)
        .where('kind', '=', kind)
        .executeTakeFirst()
      if (!row) {
        throw new AppError(
          'IDENTITY_IMAGE_NOT_FOUND',
          404,
          'This image does not exist or was deleted at the end of its retention period.',
        )
      }
      const bytes = sealer.open(row.sealed, `${verificationId}:${kind}`)
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'identity.image_viewed',
        target: `identity_verification:${verificationId}`,
        details: { kind },
      })
      return { contentType: row.content_type, bytes }
    },

    /** A compliance officer approves or rejects a verification waiting for review, with a note. */
    async decide(
      staffId: string,
      verificationId: string,
      input: { decision: 'approved' | 'rejected'; note: string },
    ): Promise<'approved' | 'rejected'> {
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('identity_verifications')
          .select(['user_id', 'status', 'country'])
          .where('id', '=', verificationId)
          .forUpdate()
          .executeTakeFirst()
        if (!current) throw errors.notFound('The verification')
        if (current.status !== 'review') {
          throw errors.conflict(
            'IDENTITY_ALREADY_DECIDED',
            `This verification was already ${current.status}.`,
          )
        }
        await tx
          .updateTable('identity_verifications')
          .set({
            status: input.decision,
            decided_by: 'staff',
            reviewer_id: staffId,
            review_note: input.note,
            decided_at: now,
          })
          .where('id', '=', verificationId)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action:
            input.decision === 'approved'
              ? 'identity.verification_approved'
              : 'identity.verification_rejected',
          target: `identity_verification:${verificationId}`,
          details: { user: `user:${current.user_id}`, note: input.note, country: current.country },
          at: now,
        })
        if (input.decision === 'approved' && current.country) {
          await recordDocumentCountry(tx, {
            userId: current.user_id,
            country: current.country,
            verificationId,
            reviewerId: staffId,
            at: now,
          })
        }
        return input.decision
      })
    },

    /**
     * Deletes the images of verifications decided more than the retention period ago (fields,
     * reasons and the decision stay). Returns how many verifications lost their images.
     */
    async purgeExpiredImages(): Promise<number> {
      const now = clock.now()
      const before = new Date(now.getTime() - deps.retentionDays * 86_400_000)
      return db.transaction().execute(async (tx) => {
        const expired = await tx
          .updateTable('identity_verifications')
          .set({ images_deleted_at: now })
          .where('decided_at', '<=', before)
          .where('images_deleted_at', 'is', null)
          .returning(['id', 'status'])
          .execute()
        // A head-turn check never used by a verification keeps its face no longer than the images.
        await tx
          .updateTable('identity_liveness_challenges')
          .set({ reference_sealed: null })
          .where('verification_id', 'is', null)
          .where('expires_at', '<=', before)
          .where('reference_sealed', 'is not', null)
          .execute()
        if (expired.length === 0) return 0
        // Face embeddings stay only for verified customers (the duplicate-face index).
        const unverified = expired.filter((e) => e.status !== 'approved').map((e) => e.id)
        if (unverified.length > 0) {
          await tx.deleteFrom('identity_face_embeddings').where('verification_id', 'in', unverified).execute()
        }
        await tx
          .deleteFrom('identity_images')
          .where(
            'verification_id',
            'in',
            expired.map((e) => e.id),
          )
          .execute()
        // The head-turn checks' faces (sealed embeddings) go with the images.
        await tx
          .updateTable('identity_liveness_challenges')
          .set({ reference_sealed: null })
          .where(
            'verification_id',
            'in',
            expired.map((e) => e.id),
          )
          .execute()
        await appendAudit(tx, {
          actor: 'system',
          action: 'identity.images_deleted',
          target: 'identity_images',
          details: {
            verifications: expired.length,
            decidedBefore: before.toISOString(),
            retentionDays: deps.retentionDays,
          },
          at: now,
        })
        return expired.length
      })
    },
  }
}

export type IdentityVerifications = ReturnType<typeof createIdentityVerifications>
