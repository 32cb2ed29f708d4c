/**
 * @module The active liveness challenge on the server: it draws a random order of head turns for
 * the customer, bound to their account, valid for ten minutes and usable by one verification; the
 * page posts each step's camera frames and the server scans them in the face worker and answers
 * per step. The server alone decides: the verification reads the stored step results, so there is
 * no "passed" flag a page could send. Rules: assess.ts; reasons on the verification: verifications.ts.
 */
import type { Kysely, Transaction } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Database, Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import type { WeighedReason } from '../document.ts'
import type { FaceEngine } from '../face/engine.ts'
import { imageSize } from '../image-size.ts'
import type { IdentitySealer } from '../sealing.ts'
import {
  assessStep,
  baselineOf,
  drawSteps,
  LIVENESS,
  type LivenessFrame,
  type LivenessStep,
  livenessReasons,
  type StepResult,
  stepMessage,
} from './assess.ts'

export type LivenessDeps = {
  db: Db
  clock: Clock
  sealer: IdentitySealer
  faces: Pick<FaceEngine, 'scan' | 'similarity'>
  /** Camera names accepted although they look virtual (IDENTITY_LIVENESS_ACCEPT_CAMERAS; tests only). */
  acceptCameras: readonly string[]
  /** Random bytes (default: crypto.getRandomValues). */
  random?: (n: number) => Uint8Array
}

/** Limits on what a page may send per step (also enforced by the route's schema). */
export const LIVENESS_LIMITS = {
  minFrames: 3,
  maxFrames: 8,
  /** Bytes of one JPEG frame. */
  maxFrameBytes: 120_000,
  /** Pixels on the longest side of a frame. */
  maxFrameSide: 1280,
  /** Challenges one customer may start per 24 hours. */
  perDay: 10,
} as const

export type ChallengeView = {
  id: string
  steps: LivenessStep[]
  /** Steps already answered (a page reopened mid-way starts a new challenge instead). */
  answered: number
  expiresAt: string
}

export type StepAnswer = {
  index: number
  step: LivenessStep
  passed: boolean
  /** Plain words for the customer about this step. */
  message: string
  /** After the last step: whether every step passed (the verification weighs the rest). */
  result: 'passed' | 'failed' | null
}

export type StepFrame = { bytes: Uint8Array; at: number }

/** What a finished challenge adds to a verification. */
export type LivenessOutcome = { reasons: WeighedReason[]; reference: number[] | null }

const JPEG = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff

function toBytes(embedding: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(embedding).buffer)
}

function fromBytes(bytes: Uint8Array): number[] {
  const copy = bytes.slice()
  return Array.from(new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4)))
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return Buffer.from(digest).toString('hex')
}

const context = (challengeId: string) => `${challengeId}:liveness`

/**
 * The liveness challenge service.
 *
 * @example const liveness = createLivenessChallenges({ db, clock, sealer, faces, acceptCameras: [] })
 */
export function createLivenessChallenges(deps: LivenessDeps) {
  const { db, clock, sealer, faces } = deps
  const random = deps.random ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)))

  async function load(executor: Pick<Kysely<Database>, 'selectFrom'>, userId: string, id: string) {
    const row = await executor
      .selectFrom('identity_liveness_challenges')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    if (!row) throw errors.notFound('The head-turn check')
    return row
  }

  function expired(expiresAt: Date): AppError {
    return new AppError(
      'IDENTITY_LIVENESS_EXPIRED',
      409,
      `This head-turn check expired (they last ${LIVENESS.ttlMs / 60_000} minutes). Start a new one.`,
      { details: { expiresAt: expiresAt.toISOString() } },
    )
  }

  const view = (row: { id: string; steps: LivenessStep[]; results: StepResult[]; expires_at: Date }) => ({
    id: row.id,
    steps: row.steps,
    answered: row.results.length,
    expiresAt: row.expires_at.toISOString(),
  })

  return {
    /**
     * The customer's open challenge that no step was sent for yet (a reloaded page resumes it
     * rather than spending another of the day's challenges), or null.
     */
    async open(userId: string): Promise<ChallengeView | null> {
      const row = await db
        .selectFrom('identity_liveness_challenges')
        .selectAll()
        .where('user_id', '=', userId)
        .where('status', '=', 'open')
        .where('expires_at', '>', clock.now())
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row && row.results.length === 0 ? view(row) : null
    },

    /** Draws a new challenge for the customer; at most `LIVENESS_LIMITS.perDay` per 24 hours. */
    async issue(userId: string): Promise<ChallengeView> {
      const now = clock.now()
      const recent = await db
        .selectFrom('identity_liveness_challenges')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id', '=', userId)
        .where('created_at', '>', new Date(now.getTime() - 86_400_000))
        .executeTakeFirstOrThrow()
      if (Number(recent.n) >= LIVENESS_LIMITS.perDay) {
        throw new AppError(
          'IDENTITY_LIVENESS_TOO_MANY',
          429,
          `You started ${LIVENESS_LIMITS.perDay} head-turn checks in the last 24 hours. Try again tomorrow, or send your verification for review as it is.`,
        )
      }
      const id = crypto.randomUUID()
      const steps = drawSteps(random)
      const expiresAt = new Date(now.getTime() + LIVENESS.ttlMs)
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('identity_liveness_challenges')
          .values({
            id,
            user_id: userId,
            steps: JSON.stringify(steps),
            camera_label: null,
            results: JSON.stringify([]),
            baseline_yaw: null,
            reference_sealed: null,
            status: 'open',
            verification_id: null,
            created_at: now,
            expires_at: expiresAt,
          })
          .execute()
        await appendAudit(tx, {
          actor: `user:${userId}`,
          action: 'identity.liveness_issued',
          target: `identity_liveness:${id}`,
          details: { steps },
          at: now,
        })
      })
      return { id, steps, answered: 0, expiresAt: expiresAt.toISOString() }
    },

    /**
     * Scans one step's frames and records the result. Steps go in order; the last one finishes
     * the challenge (audit-logged as passed or failed).
     */
    async answerStep(
      userId: string,
      id: string,
      index: number,
      input: { frames: StepFrame[]; cameraLabel?: string },
    ): Promise<StepAnswer> {
      const before = await load(db, userId, id)
      if (before.expires_at <= clock.now()) throw expired(before.expires_at)
      if (before.status !== 'open') {
        throw errors.conflict(
          'IDENTITY_LIVENESS_FINISHED',
          'This head-turn check is finished. Start a new one.',
        )
      }
      if (index !== before.results.length) {
        throw errors.conflict(
          'IDENTITY_LIVENESS_STEP_ORDER',
          `Steps are sent in order: step ${before.results.length + 1} is next.`,
        )
      }
      const step = before.steps[index]
      if (!step) throw errors.notFound('This step')
      for (const frame of input.frames) {
        if (!JPEG(frame.bytes)) {
          throw new AppError(
            'IDENTITY_IMAGE_UNREADABLE',
            400,
            'A camera frame is not a JPEG image. Reload the page.',
            {
              details: { field: 'frames' },
            },
          )
        }
        const size = imageSize(frame.bytes)
        if (!size || Math.max(size.width, size.height) > LIVENESS_LIMITS.maxFrameSide) {
          throw new AppError(
            'IDENTITY_IMAGE_TOO_LARGE',
            400,
            `Camera frames may be at most ${LIVENESS_LIMITS.maxFrameSide} pixels on their longest side.`,
            { details: { field: 'frames' } },
          )
        }
      }
      const frames: LivenessFrame[] = []
      for (const frame of input.frames) {
        const scan = await faces
          .scan({ contentType: 'image/jpeg', bytes: frame.bytes })
          .catch((error: unknown) => {
            throw new AppError(
              'IDENTITY_IMAGE_UNREADABLE',
              400,
              'A camera frame could not be opened. Reload the page.',
              {
                cause: error,
                details: { field: 'frames' },
              },
            )
          })
        frames.push({ scan, at: frame.at, digest: await sha256Hex(frame.bytes) })
      }
      const baseline =
        index === 0
          ? baselineOf(frames)
          : before.baseline_yaw !== null && before.reference_sealed
            ? {
                yaw: before.baseline_yaw,
                embedding: fromBytes(sealer.open(before.reference_sealed, context(id))),
              }
            : null
      const result = assessStep(step, frames, baseline, (a, b) => faces.similarity(a, b))
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('identity_liveness_challenges')
          .select(['results', 'status', 'steps', 'camera_label'])
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirstOrThrow()
        if (row.status !== 'open' || row.results.length !== index) {
          throw errors.conflict('IDENTITY_LIVENESS_STEP_ORDER', 'This step was already sent.')
        }
        const results = [...row.results, result]
        const last = results.length === row.steps.length
        const status = last ? (results.every((r) => r.passed) ? 'passed' : 'failed') : 'open'
        const cameraLabel = row.camera_label ?? input.cameraLabel ?? null
        await tx
          .updateTable('identity_liveness_challenges')
          .set({
            results: JSON.stringify(results),
            status,
            camera_label: cameraLabel,
            ...(index === 0 && baseline
              ? {
                  baseline_yaw: baseline.yaw,
                  reference_sealed: sealer.seal(toBytes(baseline.embedding), context(id)),
                }
              : {}),
          })
          .where('id', '=', id)
          .execute()
        if (last) {
          const reasons = livenessReasons(row.steps, results, {
            cameraLabel,
            acceptCameras: deps.acceptCameras,
          })
          await appendAudit(tx, {
            actor: `user:${userId}`,
            action: status === 'passed' ? 'identity.liveness_passed' : 'identity.liveness_failed',
            target: `identity_liveness:${id}`,
            details: {
              steps: row.steps,
              failedSteps: results.flatMap((r, i) => (r.passed ? [] : [i + 1])),
              reasons: reasons.map((r) => r.code),
              cameraLabel,
            },
            at: now,
          })
        }
        return {
          index,
          step,
          passed: result.passed,
          message: stepMessage(result),
          result: last ? (status as 'passed' | 'failed') : null,
        }
      })
    },

    /**
     * The reasons a finished challenge adds to the customer's verification and the face it saw;
     * refuses another customer's, an unfinished, expired or already used challenge.
     */
    async outcome(userId: string, id: string): Promise<LivenessOutcome> {
      const row = await load(db, userId, id)
      if (row.verification_id !== null) {
        throw errors.conflict(
          'IDENTITY_LIVENESS_USED',
          'This head-turn check was already used. Do the check again.',
        )
      }
      if (row.expires_at <= clock.now()) throw expired(row.expires_at)
      if (row.status === 'open') {
        throw errors.conflict('IDENTITY_LIVENESS_UNFINISHED', 'Finish the head-turn check before sending.')
      }
      return {
        reasons: livenessReasons(row.steps, row.results, {
          cameraLabel: row.camera_label,
          acceptCameras: deps.acceptCameras,
        }),
        reference: row.reference_sealed ? fromBytes(sealer.open(row.reference_sealed, context(id))) : null,
      }
    },

    /** Binds the challenge to the verification, once (inside the verification's transaction). */
    async use(tx: Transaction<Database>, id: string, verificationId: string): Promise<void> {
      const updated = await tx
        .updateTable('identity_liveness_challenges')
        .set({ verification_id: verificationId })
        .where('id', '=', id)
        .where('verification_id', 'is', null)
        .executeTakeFirst()
      if (Number(updated.numUpdatedRows) !== 1) {
        throw errors.conflict(
          'IDENTITY_LIVENESS_USED',
          'This head-turn check was already used. Do the check again.',
        )
      }
    },
  }
}

export type LivenessChallenges = ReturnType<typeof createLivenessChallenges>
