import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { createManualClock } from '../platform/clock.ts'
import { kekFromBytes, rotateKek } from '../platform/crypto/field-encryption.ts'
import { createEventBus } from '../platform/events.ts'
import { encryptExistingIdentityFields } from './field-storage.ts'
import { composeMrz } from './mrz-compose.ts'
import { createIdentitySealer } from './sealing.ts'
import { createIdentityVerifications } from './verifications.ts'

const KEK_HEX = '5a'.repeat(32)
const kek = kekFromBytes(Buffer.from(KEK_HEX, 'hex'))
const newKek = kekFromBytes(new Uint8Array(32).fill(3))

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('selfie')])

let t: TestApp
let officerEmail: string

beforeAll(async () => {
  t = await createTestApp({ DATA_KEK: KEK_HEX })
  officerEmail = (await t.createStaff('compliance_officer')).email
}, 120_000)
afterAll(async () => {
  await t.close()
})

function passport(documentNumber: string, surname: string) {
  const year = (t.clock.now().getUTCFullYear() + 5) % 100
  return composeMrz({
    format: 'TD3',
    issuingState: 'FRA',
    documentNumber,
    nationality: 'FRA',
    birthDate: '900315',
    sex: 'F',
    expiryDate: `${String(year).padStart(2, '0')}0101`,
    surname,
    givenNames: 'Marie',
  })
}

async function submit(session: TestSession, documentNumber: string, surname: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/identity/verifications',
    headers: session.headers,
    payload: {
      document: { contentType: 'image/png', data: PNG },
      selfie: { contentType: 'image/jpeg', data: JPEG.toString('base64') },
      mrz: passport(documentNumber, surname),
      visual: { surname, givenNames: 'Marie' },
    },
  })
  expect(response.statusCode).toBe(200)
}

async function staffGet(url: string) {
  const session = await t.signIn(officerEmail)
  return t.app.inject({ method: 'GET', url, headers: session.headers })
}

function service(options: { kek: typeof kek | null }) {
  return createIdentityVerifications({
    db: t.db,
    clock: createManualClock(t.clock.now()),
    events: createEventBus(),
    sealer: createIdentitySealer(t.config.IDENTITY_SEALING_KEY, t.config.EXCHANGE_ID),
    minimumAge: 18,
    retentionDays: 30,
    kek: options.kek,
  })
}

async function rowOf(userId: string) {
  return t.db
    .selectFrom('identity_verifications')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
}

describe('identity fields under envelope encryption (DATA_KEK configured)', () => {
  it('stores every extracted field as enc1: ciphertext and shows the reviewer the plain fields', async () => {
    const { user, session } = await t.createCustomer('enveloped')
    await submit(session, 'ENV000001', 'Lefebvre')
    const row = await rowOf(user.id)
    expect(row.fields_sealed).toBeNull()
    const stored = JSON.parse(row.fields_encrypted!) as Record<string, string>
    for (const field of ['documentNumber', 'surname', 'givenNames', 'birthDate', 'nationality', 'sex']) {
      expect(stored[field], field).toMatch(/^enc1:[0-9a-f]{16}:/)
    }
    expect(JSON.stringify(row)).not.toMatch(/ENV000001|LEFEBVRE|MARIE|1990-03-15/)
    expect(row.document_number_search).toMatch(/^[0-9a-f]{64}$/)

    const queue = await staffGet('/api/identity/staff/verifications?status=review')
    const item = queue.json().verifications.find((v: { userId: string }) => v.userId === user.id)
    expect(item.fields).toMatchObject({
      documentNumber: 'ENV000001',
      surname: 'LEFEBVRE',
      givenNames: 'MARIE',
      nationality: 'FRA',
      birthDate: '1990-03-15',
    })
  })

  it('finds a verification by document number through the keyed hash, and only that one', async () => {
    const { user, session } = await t.createCustomer('lookup')
    await submit(session, 'LOOK00001', 'Martin')
    const found = await staffGet('/api/identity/staff/verifications?documentNumber=look00001')
    expect(found.statusCode).toBe(200)
    expect(found.json().verifications.map((v: { userId: string }) => v.userId)).toEqual([user.id])
    const none = await staffGet('/api/identity/staff/verifications?documentNumber=LOOK00002')
    expect(none.json().verifications).toEqual([])
    const customer = await t.app.inject({
      method: 'GET',
      url: '/api/identity/staff/verifications?documentNumber=LOOK00001',
      headers: session.headers,
    })
    expect(customer.statusCode).toBe(403)
  })

  it('keeps the fields readable and searchable after the KEK is rotated, and refuses the old KEK', async () => {
    const { user, session } = await t.createCustomer('rotated')
    await submit(session, 'ROT000001', 'Bernard')
    await rotateKek(t.db, kek, newKek, 'test')
    const after = service({ kek: newKek })
    const found = await after.list('review', { documentNumber: 'ROT000001' })
    expect(found.map((v) => [v.userId, v.fields?.surname])).toEqual([[user.id, 'BERNARD']])
    await expect(service({ kek }).list('review')).rejects.toMatchObject({ code: 'DATA_KEK_MISMATCH' })
    await rotateKek(t.db, newKek, kek, 'test')
  })

  it('moves fields sealed before a KEK was configured under it, once (a second run finds nothing)', async () => {
    const { user } = await t.createCustomer('legacy')
    await service({ kek: null }).submit({
      userId: user.id,
      document: { contentType: 'image/png', bytes: Buffer.from(PNG, 'base64') },
      selfie: { contentType: 'image/jpeg', bytes: JPEG },
      mrz: passport('OLD000001', 'Petit'),
      visual: { surname: 'Petit', givenNames: 'Marie' },
    })
    const before = await rowOf(user.id)
    expect(before.fields_sealed).not.toBeNull()
    expect(before.fields_encrypted).toBeNull()
    await expect(
      service({ kek: null }).list('review', { documentNumber: 'OLD000001' }),
    ).rejects.toMatchObject({
      code: 'IDENTITY_SEARCH_UNAVAILABLE',
    })

    const sealer = createIdentitySealer(t.config.IDENTITY_SEALING_KEY, t.config.EXCHANGE_ID)
    expect((await encryptExistingIdentityFields({ db: t.db, sealer, kek })).encrypted).toBeGreaterThanOrEqual(
      1,
    )
    const after = await rowOf(user.id)
    expect(after.fields_sealed).toBeNull()
    expect(JSON.parse(after.fields_encrypted!).surname).toMatch(/^enc1:/)
    expect(await encryptExistingIdentityFields({ db: t.db, sealer, kek })).toEqual({ encrypted: 0 })

    const found = await staffGet('/api/identity/staff/verifications?documentNumber=OLD000001')
    expect(found.json().verifications[0].fields).toMatchObject({
      documentNumber: 'OLD000001',
      surname: 'PETIT',
    })
  })
})
