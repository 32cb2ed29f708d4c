import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { identityRetentionSweep, SPECIMEN_VISUAL, specimenPassportMrz } from '../../test/support/identity.ts'
import type { ComposeFields } from './mrz-compose.ts'
import { createIdentitySealer } from './sealing.ts'

let t: TestApp
let compliance: { email: string; session: TestSession }

// A 1x1 PNG and a different "selfie": the pipeline stores what it was given, byte for byte.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
const SELFIE = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('selfie-bytes-for-a-test'),
]).toString('base64')

beforeAll(async () => {
  t = await createTestApp()
  const staff = await t.createStaff('compliance_officer')
  compliance = { email: staff.email, session: staff.session }
})
afterAll(async () => {
  await t.close()
})

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  const json = String(response.headers['content-type']).startsWith('application/json')
  return {
    status: response.statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
    body: (json ? response.json() : {}) as Record<string, any>,
    raw: response.rawPayload,
  }
}

/** A fresh staff session: tests move the clock past the idle timeout. */
async function officer(): Promise<TestSession> {
  compliance.session = await t.signIn(compliance.email)
  return compliance.session
}

const passport = (overrides: Partial<ComposeFields> = {}) => specimenPassportMrz(t.clock.now(), overrides)

function submission(mrz: string, extra: Record<string, unknown> = {}) {
  return {
    document: { contentType: 'image/png', data: PNG },
    selfie: { contentType: 'image/jpeg', data: SELFIE },
    mrz,
    visual: SPECIMEN_VISUAL,
    ...extra,
  }
}

async function queued(userId: string, status = 'review') {
  const queue = await call(await officer(), 'GET', `/api/identity/staff/verifications?status=${status}`)
  expect(queue.status).toBe(200)
  return queue.body.verifications.find((v: { userId: string }) => v.userId === userId)
}

describe('identity verification', () => {
  it('sends a valid passport to review, shows the reviewer its images, fields, scores and reasons, and tells the customer only "under review"', async () => {
    const { user, session } = await t.createCustomer('marie')
    const submitted = await call(session, 'POST', '/api/identity/verifications', submission(passport()))
    expect(submitted.status).toBe(200)
    expect(submitted.body.verification).toMatchObject({ status: 'review', problems: [], country: null })
    expect(JSON.stringify(submitted.body)).not.toContain('FACE_NOT_VERIFIED')

    const item = await queued(user.id)
    expect(item.fields).toMatchObject({ documentNumber: '12AB34567', surname: 'DUPONT', givenNames: 'MARIE' })
    expect(item.country).toBe('FR')
    expect(item.scores).toEqual({
      mrzChecks: { valid: 4, total: 4 },
      ocrConfidence: null,
      ocrFields: null,
      faceSimilarity: null,
    })
    expect(item.reasons.map((r: { code: string }) => r.code)).toEqual(['FACE_NOT_VERIFIED'])

    const image = await call(
      compliance.session,
      'GET',
      `/api/identity/staff/verifications/${item.id}/images/selfie`,
    )
    expect(image.status).toBe(200)
    expect(Buffer.from(image.raw).toString('base64')).toBe(SELFIE)
    const viewed = await t.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'identity.image_viewed')
      .where('target', '=', `identity_verification:${item.id}`)
      .execute()
    expect(viewed).toEqual([{ details: { kind: 'selfie' } }])

    const again = await call(session, 'POST', '/api/identity/verifications', submission(passport()))
    expect(again.body.code).toBe('IDENTITY_REVIEW_PENDING')
  })

  it('stores images and fields sealed: the database holds neither the image bytes nor the name', async () => {
    const { user, session } = await t.createCustomer('sealed')
    await call(
      session,
      'POST',
      '/api/identity/verifications',
      submission(passport({ documentNumber: 'SEAL00001' })),
    )
    const row = await t.db
      .selectFrom('identity_verifications')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow()
    expect(row.fields_sealed).not.toContain('DUPONT')
    expect(JSON.stringify(row)).not.toContain('SEAL00001')
    const images = await t.db
      .selectFrom('identity_images')
      .selectAll()
      .where('verification_id', '=', row.id)
      .execute()
    expect(images).toHaveLength(2)
    for (const image of images) {
      expect(Buffer.from(image.sealed).includes(Buffer.from('selfie-bytes-for-a-test'))).toBe(false)
      expect(Buffer.from(image.sealed).includes(Buffer.from(PNG, 'base64').subarray(16))).toBe(false)
    }
    // A sealed image moved to another row (or kind) does not open.
    const sealer = createIdentitySealer(t.config.IDENTITY_SEALING_KEY, t.config.EXCHANGE_ID)
    const selfie = images.find((i) => i.kind === 'selfie')!
    expect(Buffer.from(sealer.open(selfie.sealed, `${row.id}:selfie`)).toString('base64')).toBe(SELFIE)
    expect(() => sealer.open(selfie.sealed, `${row.id}:document`)).toThrow()
  })

  it('on approval with a note, sets the P2P country from the document and refuses a typed one afterwards', async () => {
    const { user, session } = await t.createCustomer('approved')
    await call(
      session,
      'POST',
      '/api/identity/verifications',
      submission(passport({ documentNumber: 'APPR00001' })),
    )
    const item = await queued(user.id)
    const noNote = await call(
      compliance.session,
      'POST',
      `/api/identity/staff/verifications/${item.id}/decision`,
      {
        decision: 'approved',
        note: ' ',
      },
    )
    expect(noNote.status).toBe(400)
    const decided = await call(
      compliance.session,
      'POST',
      `/api/identity/staff/verifications/${item.id}/decision`,
      {
        decision: 'approved',
        note: 'selfie matches the passport photo',
      },
    )
    expect(decided.body).toEqual({ status: 'approved' })

    const mine = await call(session, 'GET', '/api/identity/verification')
    expect(mine.body.verification).toMatchObject({ status: 'approved', country: 'FR' })
    const p2p = await call(session, 'GET', '/api/p2p/me')
    expect(p2p.body.identity).toMatchObject({ status: 'verified', country: 'FR' })
    const typed = await call(session, 'POST', '/api/p2p/identity', { country: 'DE' })
    expect(typed.status).toBe(409)
    expect(typed.body.code).toBe('P2P_COUNTRY_FROM_DOCUMENT')

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('target', 'in', [`identity_verification:${item.id}`, `user:${user.id}`])
      .where((eb) => eb.or([eb('action', 'like', 'identity.%'), eb('action', 'like', 'p2p.%')]))
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.action)).toEqual([
      'identity.verification_submitted',
      'identity.verification_approved',
      'p2p.identity_verified',
    ])
    expect(audit[1]!.details).toMatchObject({ note: 'selfie matches the passport photo', country: 'FR' })
    const twice = await call(
      compliance.session,
      'POST',
      `/api/identity/staff/verifications/${item.id}/decision`,
      {
        decision: 'rejected',
        note: 'changed my mind',
      },
    )
    expect(twice.body.code).toBe('IDENTITY_ALREADY_DECIDED')
  })

  it('rejects an expired document at once, in words the customer can act on, and lets them try again', async () => {
    const { session } = await t.createCustomer('expired')
    const expired = await call(
      session,
      'POST',
      '/api/identity/verifications',
      submission(passport({ expiryDate: '200101' })),
    )
    expect(expired.body.verification).toMatchObject({
      status: 'rejected',
      problems: ['Your document has expired. Use a passport or identity card that is still valid.'],
    })
    const blurred = passport().replace('12AB34567', '12AB34587') // a misread digit: check digits fail
    const retry = await call(session, 'POST', '/api/identity/verifications', submission(blurred))
    expect(retry.body.verification.status).toBe('rejected')
    expect(retry.body.verification.problems[0]).toContain('could not be read correctly')
  })

  it('refuses a file that is not an image', async () => {
    const { session } = await t.createCustomer('notimage')
    const payload = submission(passport(), {
      selfie: { contentType: 'image/jpeg', data: Buffer.from('%PDF-1.7 not a photo').toString('base64') },
    })
    const response = await call(session, 'POST', '/api/identity/verifications', payload)
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('IDENTITY_IMAGE_UNREADABLE')
  })

  it('refuses a photo whose header declares more than 40 megapixels before reading it', async () => {
    const { session } = await t.createCustomer('bomb')
    const png = Buffer.from(PNG, 'base64')
    png.writeUInt32BE(20_000, 16) // width
    png.writeUInt32BE(20_000, 20) // height
    const response = await call(
      session,
      'POST',
      '/api/identity/verifications',
      submission(passport(), { document: { contentType: 'image/png', data: png.toString('base64') } }),
    )
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('IDENTITY_IMAGE_TOO_LARGE')
  })

  it('links a document number already used on another account and tells the risk engine about both accounts', async () => {
    const first = await t.createCustomer('first-holder')
    const second = await t.createCustomer('second-holder')
    const mrz = passport({ documentNumber: 'DUPL12345' })
    await call(first.session, 'POST', '/api/identity/verifications', submission(mrz))
    const duplicate = await call(second.session, 'POST', '/api/identity/verifications', submission(mrz))
    expect(duplicate.body.verification).toMatchObject({ status: 'review', problems: [] })

    const item = await queued(second.user.id)
    expect(item.reasons.map((r: { code: string }) => r.code)).toEqual([
      'DUPLICATE_DOCUMENT',
      'FACE_NOT_VERIFIED',
    ])
    expect(item.duplicates).toEqual([
      expect.objectContaining({ kind: 'document', userId: first.user.id, email: first.email }),
    ])
    const events = t.events.filter((e) => e.type === 'identity_duplicate')
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: second.user.id, otherAccount: first.user.id, kind: 'document' }),
        expect.objectContaining({ account: first.user.id, otherAccount: second.user.id, kind: 'document' }),
      ]),
    )
    await expect
      .poll(
        async () =>
          (
            await t.db
              .selectFrom('risk_events')
              .select('account')
              .where('type', '=', 'identity_duplicate')
              .where('account', 'in', [first.user.id, second.user.id])
              .execute()
          ).length,
      )
      .toBe(2)
  })

  it('answers the queue to compliance officers only', async () => {
    const support = await t.createStaff('support')
    expect((await call(support.session, 'GET', '/api/identity/staff/verifications')).status).toBe(403)
    const { session } = await t.createCustomer('nosy')
    expect((await call(session, 'GET', '/api/identity/staff/verifications')).status).toBe(403)
  })

  it('deletes images once the retention period after the decision has passed, keeping the decision and fields', async () => {
    const { user, session } = await t.createCustomer('retained')
    await call(
      session,
      'POST',
      '/api/identity/verifications',
      submission(passport({ documentNumber: 'KEEP00001' })),
    )
    const item = await queued(user.id)
    await call(compliance.session, 'POST', `/api/identity/staff/verifications/${item.id}/decision`, {
      decision: 'rejected',
      note: 'selfie is a photo of a screen',
    })
    const sweep = identityRetentionSweep(t)
    t.clock.advance((t.config.IDENTITY_IMAGE_RETENTION_DAYS * 24 - 1) * 3_600_000)
    expect(await sweep()).toBe(0)
    t.clock.advance(3_600_000)
    expect(await sweep()).toBeGreaterThanOrEqual(1)

    const gone = await call(
      await officer(),
      'GET',
      `/api/identity/staff/verifications/${item.id}/images/document`,
    )
    expect(gone.status).toBe(404)
    expect(gone.body.code).toBe('IDENTITY_IMAGE_NOT_FOUND')
    const kept = await queued(user.id, 'rejected')
    expect(kept).toMatchObject({ status: 'rejected', reviewNote: 'selfie is a photo of a screen' })
    expect(kept.fields.documentNumber).toBe('KEEP00001')
    expect(kept.imagesDeletedAt).not.toBeNull()
  })
})
