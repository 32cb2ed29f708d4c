import jpegJs from 'jpeg-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { documentOf, selfieOf } from '../../../test/support/faces.ts'
import { identityRetentionSweep, imageUpload, specimenPassportMrz } from '../../../test/support/identity.ts'
import { doHeadTurnCheck, stepFrames, turnedFaceJpeg } from '../../../test/support/liveness.ts'

// The real face models on frames made from the Human library's own sample faces
// (test/support/liveness.ts): a face turned on a cylinder, the way a head turns.
let t: TestApp
let complianceEmail: string

beforeAll(async () => {
  t = await createTestApp({ IDENTITY_FACES: 'true' })
  complianceEmail = (await t.createStaff('compliance_officer')).email
}, 120_000)
afterAll(async () => {
  await t.close()
})

const PERSON = 4
/** Another of the five faces: the person who does the turns in the customer's place. */
const STAND_IN = 0
let documentNumber = 0

const passport = () =>
  specimenPassportMrz(t.clock.now(), { documentNumber: `LIVE${String(++documentNumber).padStart(5, '0')}` })
const jpeg = (bytes: Uint8Array) => imageUpload(bytes)

async function submit(
  headers: Record<string, string>,
  userId: string,
  livenessChallengeId?: string,
  selfiePerson = PERSON,
) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/identity/verifications',
    headers,
    payload: {
      document: jpeg(documentOf(PERSON)),
      selfie: jpeg(selfieOf(selfiePerson)),
      mrz: passport(),
      visual: {},
      ...(livenessChallengeId ? { livenessChallengeId } : {}),
    },
  })
  const staffView = async (status: string) => {
    const queue = await t.app.inject({
      method: 'GET',
      url: `/api/identity/staff/verifications?status=${status}`,
      headers: (await t.signIn(complianceEmail)).headers,
    })
    return queue.json().verifications.find((v: { userId: string }) => v.userId === userId)
  }
  return { response, staffView }
}

// Every customer here sends the same person's selfie, so from the second one on DUPLICATE_FACE is
// there too (faces.db.test.ts tests it); these tests look at the liveness reasons.
const codes = (staff: { reasons: Array<{ code: string }> }) =>
  staff.reasons.map((r) => r.code).filter((c) => c.startsWith('FACE_LIVENESS'))
const detail = (staff: { reasons: Array<{ code: string; detail: string }> }, code: string) =>
  staff.reasons.find((r) => r.code === code)?.detail

describe('the head-turn liveness check', () => {
  it('passes a customer who turns the way asked, and their verification is approved without a liveness reason', async () => {
    const { user, session } = await t.createCustomer('live-pass')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'asked')
    expect(check.steps[0]).toBe('centre')
    expect(check.steps).toHaveLength(5)
    expect(check.answers.map((a) => a.passed)).toEqual([true, true, true, true, true])
    expect(check.answers.at(-1)).toMatchObject({ result: 'passed', message: 'Done.' })

    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.statusCode).toBe(200)
    expect(response.json().verification).toMatchObject({ status: 'approved', problems: [] })
    const staff = await staffView('approved')
    expect(staff.reasons).toEqual([])
    expect(staff.scores.livenessSimilarity).toBeGreaterThanOrEqual(0.6)

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('target', '=', `identity_liveness:${check.id}`)
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['identity.liveness_issued', 'identity.liveness_passed'])
    expect(audit[1]!.details).toMatchObject({ failedSteps: [], reasons: [] })

    // Single use: the same check cannot vouch for another verification.
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/identity/liveness/challenges/${check.id}/steps/0`,
      headers: (await t.signIn(user.email)).headers,
      payload: { frames: stepFrames(PERSON, 'centre', 1) },
    })
    expect(again.json().code).toBe('IDENTITY_LIVENESS_FINISHED')
  }, 300_000)

  it('fails a video that turns each way opposite to the order asked, and sends the verification to review', async () => {
    const { user, session } = await t.createCustomer('live-opposite')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'opposite')
    expect(check.answers[0]!.passed).toBe(true)
    expect(check.answers.slice(1).map((a) => a.passed)).toEqual([false, false, false, false])
    expect(check.answers[1]!.message).toContain('You turned the other way')
    expect(check.answers.at(-1)!.result).toBe('failed')

    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification).toMatchObject({ status: 'review', problems: [] })
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_FAILED'])
    expect(detail(staff, 'FACE_LIVENESS_FAILED')).toContain(`Asked ${check.steps.join(', ')}`)
    expect(detail(staff, 'FACE_LIVENESS_FAILED')).toContain('turned the other way')
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('target', '=', `identity_liveness:${check.id}`)
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['identity.liveness_issued', 'identity.liveness_failed'])
    expect(audit[1]!.details).toMatchObject({ failedSteps: [2, 3, 4, 5], reasons: ['FACE_LIVENESS_FAILED'] })
  }, 300_000)

  it('rejects a still photo fed as the camera and tells the customer to use their camera live', async () => {
    const { user, session } = await t.createCustomer('live-still')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'still')
    expect(check.answers.slice(1).every((a) => !a.passed)).toBe(true)
    expect(check.answers[1]!.message).toContain('We did not see you turn')

    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    const verification = response.json().verification
    expect(verification.status).toBe('rejected')
    expect(verification.problems).toEqual([
      expect.stringContaining('same still picture during the whole head-turn check'),
    ])
    const staff = await staffView('rejected')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_STILL', 'FACE_LIVENESS_FAILED'])
    expect(detail(staff, 'FACE_LIVENESS_FAILED')).toContain('the head never turned')

    // The customer may try again, but not with the same check: it vouched for one verification.
    const again = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(again.response.statusCode).toBe(409)
    expect(again.response.json().code).toBe('IDENTITY_LIVENESS_USED')
  }, 300_000)

  it('sends a check whose turned picture repeats frame after frame (a looped video) to review', async () => {
    const { user, session } = await t.createCustomer('live-looped')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'looped')
    // The turns themselves are done as asked: only the repeated frames give it away.
    expect(check.answers.map((a) => a.passed)).toEqual([true, true, true, true, true])
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification).toMatchObject({ status: 'review', problems: [] })
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_REPEATED_FRAMES'])
    expect(detail(staff, 'FACE_LIVENESS_REPEATED_FRAMES')).toContain(
      '10 of 20 consecutive frame pairs were identical',
    )
  }, 300_000)

  it('sends a check whose frames are exactly 300 ms apart (sent by a script, not captured) to review', async () => {
    const { user, session } = await t.createCustomer('live-scripted')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'scripted')
    expect(check.answers.map((a) => a.passed)).toEqual([true, true, true, true, true])
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification).toMatchObject({ status: 'review', problems: [] })
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_TIMING'])
    expect(detail(staff, 'FACE_LIVENESS_TIMING')).toContain('step 1 regular')
  }, 300_000)

  it('refuses to send a finished check once its 10 minutes are over, and stores no verification', async () => {
    const { user, session } = await t.createCustomer('live-late')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'asked')
    t.clock.advance(10 * 60_000 + 1)
    const { response } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({
      code: 'IDENTITY_LIVENESS_EXPIRED',
      message: expect.stringContaining('Start a new one'),
    })
    const stored = await t.db
      .selectFrom('identity_verifications')
      .select('id')
      .where('user_id', '=', user.id)
      .execute()
    expect(stored).toEqual([])
  }, 300_000)

  it('sends a verification to review when the camera is named like a virtual camera', async () => {
    const { user, session } = await t.createCustomer('live-obs')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'asked', 'OBS Virtual Camera')
    expect(check.answers.at(-1)!.result).toBe('passed')
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification.status).toBe('review')
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_VIRTUAL_CAMERA'])
    expect(detail(staff, 'FACE_LIVENESS_VIRTUAL_CAMERA')).toContain('"OBS Virtual Camera"')
  }, 300_000)

  it('sends a verification to review when the selfie is not the person who did the head turns', async () => {
    const { user, session } = await t.createCustomer('live-someone-else')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'asked')
    expect(check.answers.at(-1)!.result).toBe('passed')
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id, 2)
    expect(response.json().verification.status).toBe('review')
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_OTHER_FACE'])
    expect(detail(staff, 'FACE_LIVENESS_OTHER_FACE')).toMatch(
      /The selfie's face differs from the face in the head-turn check \(similarity -?\d\.\d\d, below 0\.6\)/,
    )
    expect(staff.scores.livenessSimilarity).toBeLessThan(0.6)
  }, 300_000)

  it('fails the steps a second person turns for the customer, and sends the verification to review', async () => {
    const { user, session } = await t.createCustomer('live-stand-in')
    // The customer faces the camera for the first step; someone else does every turn.
    const check = await doHeadTurnCheck(t.app, session.headers, (step) => (step === 0 ? PERSON : STAND_IN))
    expect(check.answers.map((a) => a.passed)).toEqual([true, false, false, false, false])
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification.status).toBe('review')
    const staff = await staffView('review')
    expect(codes(staff)).toContain('FACE_LIVENESS_OTHER_FACE')
    expect(detail(staff, 'FACE_LIVENESS_OTHER_FACE')).toMatch(/showed another face or several faces/)
  }, 300_000)

  it('fails the steps where a second face stands beside the customer, and sends the verification to review', async () => {
    const { user, session } = await t.createCustomer('live-crowded')
    const check = await doHeadTurnCheck(t.app, session.headers, PERSON, 'crowded', undefined, STAND_IN)
    expect(check.answers[0]!.passed).toBe(true)
    expect(check.answers.slice(1).map((a) => a.passed)).toEqual([false, false, false, false])
    expect(check.answers[1]!.message).toBe('We saw more than one face: make sure only you are in view.')
    const { response, staffView } = await submit((await t.signIn(user.email)).headers, user.id, check.id)
    expect(response.json().verification).toMatchObject({ status: 'review', problems: [] })
    const staff = await staffView('review')
    expect(codes(staff)).toEqual(['FACE_LIVENESS_FAILED', 'FACE_LIVENESS_OTHER_FACE'])
    expect(detail(staff, 'FACE_LIVENESS_FAILED')).toContain('several faces in 5 frame(s)')
  }, 300_000)

  it('sends a verification without a head-turn check to review', async () => {
    const { user, session } = await t.createCustomer('live-none')
    const { response, staffView } = await submit(session.headers, user.id)
    expect(response.json().verification.status).toBe('review')
    expect(codes(await staffView('review'))).toEqual(['FACE_LIVENESS_MISSING'])
  }, 300_000)

  it("refuses another customer's check, steps out of order, an unfinished check and oversized frames", async () => {
    const owner = await t.createCustomer('live-owner')
    const other = await t.createCustomer('live-other')
    const issued = await t.app.inject({
      method: 'POST',
      url: '/api/identity/liveness/challenges',
      headers: owner.session.headers,
    })
    const { id } = issued.json().challenge
    const open = await t.app.inject({
      method: 'GET',
      url: '/api/identity/liveness',
      headers: owner.session.headers,
    })
    expect(open.json()).toEqual({ enabled: true, challenge: expect.objectContaining({ id, answered: 0 }) })

    const step = (headers: Record<string, string>, index: number, payload: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: `/api/identity/liveness/challenges/${id}/steps/${index}`,
        headers,
        payload,
      })
    const frames = stepFrames(PERSON, 'centre', 1)
    expect((await step(other.session.headers, 0, { frames })).statusCode).toBe(404)
    const skipped = await step(owner.session.headers, 1, { frames })
    expect(skipped.json()).toMatchObject({ code: 'IDENTITY_LIVENESS_STEP_ORDER' })
    const tooMany = await step(owner.session.headers, 0, { frames: [...frames, ...frames] })
    expect(tooMany.statusCode).toBe(400)
    const big = Buffer.alloc(130_000, 7)
    big.set([0xff, 0xd8, 0xff])
    const oversized = await step(owner.session.headers, 0, {
      frames: frames.map((f, i) => (i === 0 ? { ...f, data: big.toString('base64') } : f)),
    })
    expect(oversized.statusCode).toBe(400)
    expect(oversized.json()).toMatchObject({ code: 'INVALID_INPUT' })
    const notJpeg = await step(owner.session.headers, 0, {
      frames: frames.map((f, i) =>
        i === 0 ? { ...f, data: Buffer.from('not a picture at all').toString('base64') } : f,
      ),
    })
    expect(notJpeg.json()).toMatchObject({ code: 'IDENTITY_IMAGE_UNREADABLE' })
    // Small in bytes but wider than 1,280 px: refused by its size in pixels, before any scan.
    const wide = jpegJs.encode({ width: 1400, height: 16, data: Buffer.alloc(1400 * 16 * 4, 128) }, 50).data
    expect(wide.length).toBeLessThan(120_000)
    const tooWide = await step(owner.session.headers, 0, {
      frames: frames.map((f, i) => (i === 0 ? { ...f, data: Buffer.from(wide).toString('base64') } : f)),
    })
    expect(tooWide.json()).toMatchObject({ code: 'IDENTITY_IMAGE_TOO_LARGE' })
    expect((await step(owner.session.headers, 0, { frames })).json().answer).toMatchObject({
      index: 0,
      passed: true,
    })

    const unfinished = await submit(owner.session.headers, owner.user.id, id)
    expect(unfinished.response.json()).toMatchObject({ code: 'IDENTITY_LIVENESS_UNFINISHED' })
    const stolen = await submit(other.session.headers, other.user.id, id)
    expect(stolen.response.statusCode).toBe(404)
  }, 300_000)

  it('refuses a check after its 10 minutes, and more than 10 checks a day', async () => {
    const { user, session } = await t.createCustomer('live-limits')
    let headers = session.headers
    const start = () => t.app.inject({ method: 'POST', url: '/api/identity/liveness/challenges', headers })
    const { id } = (await start()).json().challenge
    t.clock.advance(10 * 60_000 + 1)
    headers = (await t.signIn(user.email)).headers
    const late = await t.app.inject({
      method: 'POST',
      url: `/api/identity/liveness/challenges/${id}/steps/0`,
      headers,
      payload: { frames: stepFrames(PERSON, 'centre', 1) },
    })
    expect(late.statusCode).toBe(409)
    expect(late.json().code).toBe('IDENTITY_LIVENESS_EXPIRED')
    for (let i = 1; i < 10; i++) expect((await start()).statusCode).toBe(200)
    const eleventh = await start()
    expect(eleventh.statusCode).toBe(429)
    expect(eleventh.json()).toMatchObject({
      code: 'IDENTITY_LIVENESS_TOO_MANY',
      message: expect.stringContaining('10 head-turn checks in the last 24 hours'),
    })
  }, 120_000)

  it('sees a turn to the left as the mesh yaw going down from the first step', async () => {
    // The sign the rules rely on ("left" is the person's own left; the camera picture is not mirrored).
    const { createFaceEngine } = await import('../face/engine.ts')
    const engine = createFaceEngine()
    const yaw = async (theta: number) =>
      (await engine.scan({ contentType: 'image/jpeg', bytes: turnedFaceJpeg(PERSON, theta, 5) })).faces[0]!
        .yaw!
    const [centre, left, right] = [await yaw(0), await yaw(0.75), await yaw(-0.75)]
    expect(left).toBeLessThan(centre - 0.12)
    expect(right).toBeGreaterThan(centre + 0.12)
    await engine.close()
  }, 120_000)
})

describe('retention', () => {
  it('forgets the faces of head-turn checks with the images, used or not', async () => {
    const withFace = await t.db
      .selectFrom('identity_liveness_challenges')
      .select(['id', 'verification_id'])
      .where('reference_sealed', 'is not', null)
      .execute()
    // The passed check (used, approved), the failed ones (used) and the unfinished one (never used).
    expect(withFace.some((c) => c.verification_id === null)).toBe(true)
    expect(withFace.some((c) => c.verification_id !== null)).toBe(true)
    const staff = (await t.signIn(complianceEmail)).headers
    const review = await t.app.inject({
      method: 'GET',
      url: '/api/identity/staff/verifications?status=review',
      headers: staff,
    })
    for (const v of review.json().verifications as Array<{ id: string }>) {
      await t.app.inject({
        method: 'POST',
        url: `/api/identity/staff/verifications/${v.id}/decision`,
        headers: staff,
        payload: { decision: 'rejected', note: 'test of the retention' },
      })
    }
    const sweep = identityRetentionSweep(t)
    t.clock.advance((t.config.IDENTITY_IMAGE_RETENTION_DAYS + 1) * 86_400_000)
    expect(await sweep()).toBeGreaterThanOrEqual(5)
    const left = await t.db
      .selectFrom('identity_liveness_challenges')
      .select('id')
      .where('reference_sealed', 'is not', null)
      .execute()
    expect(left).toEqual([])
  }, 120_000)
})

describe('with faces off', () => {
  it('offers no head-turn check', async () => {
    const off = await createTestApp()
    try {
      const { session } = await off.createCustomer('live-off')
      const state = await off.app.inject({
        method: 'GET',
        url: '/api/identity/liveness',
        headers: session.headers,
      })
      expect(state.json()).toEqual({ enabled: false, challenge: null })
      const issue = await off.app.inject({
        method: 'POST',
        url: '/api/identity/liveness/challenges',
        headers: session.headers,
      })
      expect(issue.statusCode).toBe(404)
      expect(issue.json().code).toBe('IDENTITY_LIVENESS_OFF')
    } finally {
      await off.close()
    }
  }, 120_000)
})
