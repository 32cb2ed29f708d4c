import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { documentOf, noFace, selfieOf, severalFaces } from '../../../test/support/faces.ts'
import { identityRetentionSweep, imageUpload, specimenPassportMrz } from '../../../test/support/identity.ts'
import { doHeadTurnCheck } from '../../../test/support/liveness.ts'

// The real face models on the Human library's own sample faces (test/support/faces.ts).
let t: TestApp
let complianceEmail: string

beforeAll(async () => {
  t = await createTestApp({ IDENTITY_FACES: 'true' })
  complianceEmail = (await t.createStaff('compliance_officer')).email
}, 120_000)
afterAll(async () => {
  await t.close()
})

const passport = (documentNumber: string) => specimenPassportMrz(t.clock.now(), { documentNumber })
const jpeg = (bytes: Uint8Array) => imageUpload(bytes)

async function submit(
  name: string,
  document: Uint8Array,
  selfie: Uint8Array,
  documentNumber: string,
  selfieType = 'image/jpeg',
  options: { headTurnCheck?: boolean } = {},
) {
  const { user, session } = await t.createCustomer(name)
  users.set(name, user.id)
  const check = options.headTurnCheck ? await doHeadTurnCheck(t.app, session.headers, 4) : null
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/identity/verifications',
    headers: session.headers,
    payload: {
      document: jpeg(document),
      selfie: { ...jpeg(selfie), contentType: selfieType },
      mrz: passport(documentNumber),
      visual: {},
      ...(check ? { livenessChallengeId: check.id } : {}),
    },
  })
  expect(response.statusCode).toBe(200)
  const verification = response.json().verification
  const queue = await t.app.inject({
    method: 'GET',
    url: `/api/identity/staff/verifications?status=${verification.status}`,
    // A fresh staff session: the face models take long enough for a session to go idle.
    headers: (await t.signIn(complianceEmail)).headers,
  })
  const staff = queue.json().verifications.find((v: { userId: string }) => v.userId === user.id)
  return { user, verification, staff, session }
}

const users = new Map<string, string>()
// Without a head-turn check every verification with faces also carries FACE_LIVENESS_MISSING
// (liveness/liveness.db.test.ts tests the check); these tests look at the other reasons.
const withoutLiveness = <R extends { code: string }>(reasons: R[]) =>
  reasons.filter((r) => r.code !== 'FACE_LIVENESS_MISSING')
const codes = (staff: { reasons: Array<{ code: string }> }) =>
  withoutLiveness(staff.reasons).map((r) => r.code)
const detail = (staff: { reasons: Array<{ code: string; detail: string }> }, code: string) =>
  staff.reasons.find((r) => r.code === code)?.detail

describe('faces on a verification', () => {
  it('approves a valid passport whose portrait is the selfie person, with the similarity and model scores on the verification', async () => {
    const { verification, staff } = await submit(
      'face-same',
      documentOf(4),
      selfieOf(4),
      'FACE00001',
      'image/jpeg',
      { headTurnCheck: true },
    )
    expect(verification).toMatchObject({ status: 'approved', country: 'FR', problems: [] })
    expect(staff.reasons).toEqual([])
    expect(staff.scores.faceSimilarity).toBeGreaterThanOrEqual(0.6)
    expect(staff.scores.faceReal).toBeGreaterThanOrEqual(0.5)
    expect(staff.scores.faceLive).toBeGreaterThanOrEqual(0.5)
  }, 300_000)

  it('sends a selfie of someone else than the portrait to review with FACE_MISMATCH and the similarity', async () => {
    const { verification, staff } = await submit('face-other', documentOf(0), selfieOf(2), 'FACE00002')
    expect(verification.status).toBe('review')
    expect(codes(staff)).toEqual(['FACE_MISMATCH'])
    expect(detail(staff, 'FACE_MISMATCH')).toMatch(/at 0\.\d\d, below 0\.60/)
    expect(staff.scores.faceSimilarity).toBeLessThan(0.6)
  }, 120_000)

  it('flags a selfie the anti-spoofing model scores as not real (a face taken off a screen)', async () => {
    const { verification, staff } = await submit('face-screen', documentOf(3), selfieOf(3), 'FACE00003')
    expect(verification.status).toBe('review')
    expect(codes(staff)).toEqual(['FACE_SPOOF_SUSPECTED'])
    expect(staff.scores.faceReal).toBeLessThan(0.5)
  }, 120_000)

  it('rejects a selfie without a face and tells the customer to take it again', async () => {
    const { verification, staff } = await submit('face-none', documentOf(4), noFace(), 'FACE00004')
    expect(verification.status).toBe('rejected')
    expect(verification.problems).toEqual([expect.stringContaining('could not find your face in the selfie')])
    expect(codes(staff)).toEqual(['SELFIE_FACE_NOT_FOUND'])
  }, 120_000)

  it('rejects a selfie with several faces', async () => {
    const { verification, staff } = await submit('face-crowd', documentOf(4), severalFaces(), 'FACE00005')
    expect(verification.status).toBe('rejected')
    expect(verification.problems).toEqual([expect.stringContaining('more than one face')])
    expect(codes(staff)).toEqual(['SELFIE_SEVERAL_FACES'])
    expect(detail(staff, 'SELFIE_SEVERAL_FACES')).toContain('5 faces')
  }, 120_000)

  it('sends a document photo without a portrait to a person (an identity card photographed from the back)', async () => {
    const { verification, staff } = await submit('face-back', noFace(), selfieOf(4), 'FACE00006')
    expect(verification.status).toBe('review')
    expect(codes(staff)).toContain('DOCUMENT_FACE_NOT_FOUND')
    expect(staff.scores.faceSimilarity).toBeNull()
  }, 120_000)

  it('compares the largest face of a document photo with several faces, and says so', async () => {
    const { verification, staff } = await submit('face-ghost', severalFaces(), selfieOf(4), 'FACE00007')
    expect(verification.status).toBe('review')
    expect(codes(staff)).toContain('DOCUMENT_SEVERAL_FACES')
  }, 120_000)

  it('leaves the faces to a person when the selfie is a WebP the face models cannot read', async () => {
    const webp = new Uint8Array([
      ...Buffer.from('RIFF'),
      0x1a,
      0,
      0,
      0,
      ...Buffer.from('WEBPVP8 '),
      0,
      0,
      0,
      0,
    ])
    const { verification, staff } = await submit('face-webp', documentOf(4), webp, 'FACE00008', 'image/webp')
    expect(verification.status).toBe('review')
    expect(withoutLiveness(staff.reasons)).toEqual([
      { code: 'FACE_NOT_VERIFIED', detail: expect.stringContaining('FACE_IMAGE_UNSUPPORTED') },
    ])
  }, 120_000)

  it("opens a risk case and tells the risk engine when a selfie matches another account's face", async () => {
    // Three accounts sent this person's selfie before (the approved one and two sent to review).
    const earlier = users.get('face-same')!
    const before = ['face-same', 'face-back', 'face-ghost'].map((name) => users.get(name)!)
    const { user, verification, staff } = await submit('face-again', documentOf(4), selfieOf(4), 'FACE00009')
    expect(verification).toMatchObject({ status: 'review', problems: [] })
    expect(codes(staff)).toEqual(['DUPLICATE_FACE'])
    expect(detail(staff, 'DUPLICATE_FACE')).toMatch(
      /matches the face of 3 other account\(s\) \(best similarity (0\.[6-9]\d|1\.00)\)/,
    )
    expect(
      staff.duplicates.map((d: { kind: string; userId: string }) => `${d.kind}:${d.userId}`).sort(),
    ).toEqual(before.map((u) => `face:${u}`).sort())

    const opened = await t.db
      .selectFrom('risk_cases')
      .select(['account', 'opened_by', 'source', 'reasons'])
      .where('source_key', '=', `identity_duplicate:face:${staff.id}`)
      .execute()
    expect(opened).toEqual([
      {
        account: user.id,
        opened_by: 'system',
        source: 'identity_duplicate',
        reasons: [{ code: 'DUPLICATE_FACE', text: expect.stringContaining('3 other account') }],
      },
    ])
    expect(t.events.filter((e) => e.type === 'identity_duplicate')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: user.id, otherAccount: earlier, kind: 'face' }),
        expect.objectContaining({ account: earlier, otherAccount: user.id, kind: 'face' }),
      ]),
    )
  }, 120_000)

  it("keeps the sealed embeddings of verified customers past the image retention and deletes the others'", async () => {
    const approved = users.get('face-same')!
    const screen = users.get('face-screen')!
    const [approvedRow, screenRow] = await Promise.all(
      [approved, screen].map((u) =>
        t.db
          .selectFrom('identity_face_embeddings')
          .select(['verification_id', 'sealed'])
          .where('user_id', '=', u)
          .executeTakeFirstOrThrow(),
      ),
    )
    // Sealed: AES-GCM output, longer than the 4,096 bytes of 1,024 float32 values.
    expect(approvedRow!.sealed.byteLength).toBeGreaterThan(4096)
    const decided = await t.app.inject({
      method: 'POST',
      url: `/api/identity/staff/verifications/${screenRow!.verification_id}/decision`,
      headers: (await t.signIn(complianceEmail)).headers,
      payload: { decision: 'rejected', note: 'selfie taken off a screen' },
    })
    expect(decided.statusCode).toBe(200)
    const sweep = identityRetentionSweep(t)
    t.clock.advance((t.config.IDENTITY_IMAGE_RETENTION_DAYS + 1) * 86_400_000)
    expect(await sweep()).toBeGreaterThanOrEqual(2)
    const left = await t.db
      .selectFrom('identity_face_embeddings')
      .select('user_id')
      .where('user_id', 'in', [approved, screen])
      .execute()
    expect(left).toEqual([{ user_id: approved }])
  }, 120_000)
})
