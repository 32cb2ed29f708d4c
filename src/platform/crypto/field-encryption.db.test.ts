import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.ts'
import { createManualClock } from '../clock.ts'
import { createUser } from '../identity/users.ts'
import { fieldCipher, kekFromBytes, rotateDataKey, rotateKek } from './field-encryption.ts'
import { findSessionsByIp, protectOldIps } from './session-ips.ts'

const kek = kekFromBytes(new Uint8Array(32).fill(7))
const newKek = kekFromBytes(new Uint8Array(32).fill(9))
const DAY = 86_400_000

let t: TestDatabase
let userId: string
const clock = createManualClock(new Date('2026-12-01T00:00:00Z'))

async function addSession(id: string, ip: string, createdAt: Date) {
  await t.db
    .insertInto('sessions')
    .values({
      id,
      user_id: userId,
      csrf_token: 'x',
      user_agent: 'test',
      ip,
      created_at: createdAt,
      last_seen_at: createdAt,
      expires_at: new Date(createdAt.getTime() + 12 * 3_600_000),
      revoked_at: null,
    })
    .execute()
}

async function storedIps() {
  const { rows } = await sql<{ id: string; ip: string; ip_search: string | null }>`
    select id, ip, ip_search from sessions order by id`.execute(t.db)
  return rows
}

beforeAll(async () => {
  t = await createTestDatabase()
  const user = await createUser(t.db, {
    email: 'ip@example.com',
    kind: 'customer',
    displayName: 'Ip',
    password: null,
  } as never)
  userId = user.id
  await addSession('a-old', '203.0.113.7', new Date(clock.now().getTime() - 40 * DAY))
  await addSession('b-old', '198.51.100.2', new Date(clock.now().getTime() - 31 * DAY))
  await addSession('c-new', '203.0.113.7', new Date(clock.now().getTime() - 2 * DAY))
}, 60_000)
afterAll(() => t.close())

describe('personal-data field encryption', () => {
  it('encrypts the IP of sessions older than the retention period and leaves recent ones readable', async () => {
    const result = await protectOldIps({ db: t.db, kek, clock, retentionDays: 30 })
    expect(result.sessions).toEqual({ encrypted: 2, erased: 0 })
    const rows = await storedIps()
    expect(rows.map((r) => r.ip.startsWith('enc1:'))).toEqual([true, true, false])
    expect(rows[2]).toMatchObject({ ip: '203.0.113.7', ip_search: null })
    expect(JSON.stringify(rows.slice(0, 2))).not.toContain('203.0.113.7')
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow()
    expect(audit).toMatchObject({
      action: 'personal_data.ips_protected',
      details: { sessions: { encrypted: 2, erased: 0 } },
    })
    // Run again: nothing left to do, and nothing logged twice.
    const again = await protectOldIps({ db: t.db, kek, clock, retentionDays: 30 })
    expect(Object.values(again).every((c) => c.encrypted + c.erased === 0)).toBe(true)
  })

  it('finds every session from one address, old (by keyed hash) and recent (plain)', async () => {
    expect(await findSessionsByIp({ db: t.db, kek }, '203.0.113.7')).toEqual(['a-old', 'c-new'])
    expect(await findSessionsByIp({ db: t.db, kek }, '198.51.100.2')).toEqual(['b-old'])
  })

  it('opens an encrypted address with the table key, but not when moved to another column', async () => {
    const cipher = fieldCipher({ db: t.db, kek, table: 'sessions' })
    const [old] = await storedIps()
    expect(await cipher.decrypt('ip', old!.ip)).toBe('203.0.113.7')
    await expect(cipher.decrypt('user_agent', old!.ip)).rejects.toMatchObject({ code: 'FIELD_UNREADABLE' })
  })

  it('rotates the data key: new values use a new key, old values stay readable', async () => {
    const cipher = fieldCipher({ db: t.db, kek, table: 'sessions' })
    const before = await cipher.encrypt('ip', '192.0.2.1')
    await rotateDataKey(t.db, 'sessions', 'test')
    const after = await fieldCipher({ db: t.db, kek, table: 'sessions' }).encrypt('ip', '192.0.2.1')
    expect(after.split(':')[1]).not.toBe(before.split(':')[1])
    expect(await fieldCipher({ db: t.db, kek, table: 'sessions' }).decrypt('ip', before)).toBe('192.0.2.1')
  })

  it('rotates the KEK: data keys are re-wrapped, values and lookups unchanged, the old KEK no longer opens them', async () => {
    const [old] = await storedIps()
    const { rewrapped } = await rotateKek(t.db, kek, newKek, 'test')
    expect(rewrapped).toBeGreaterThanOrEqual(3)
    expect(await fieldCipher({ db: t.db, kek: newKek, table: 'sessions' }).decrypt('ip', old!.ip)).toBe(
      '203.0.113.7',
    )
    expect(await findSessionsByIp({ db: t.db, kek: newKek }, '203.0.113.7')).toEqual(['a-old', 'c-new'])
    await expect(
      fieldCipher({ db: t.db, kek, table: 'sessions' }).decrypt('ip', old!.ip),
    ).rejects.toMatchObject({
      code: 'DATA_KEK_MISMATCH',
    })
    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'data_keys.%')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['data_keys.rotated', 'data_keys.kek_rotated'])
  })

  it('erases old addresses when no KEK is configured', async () => {
    await addSession('d-old', '192.0.2.55', new Date(clock.now().getTime() - 60 * DAY))
    const result = await protectOldIps({ db: t.db, kek: null, clock, retentionDays: 30 })
    expect(result.sessions).toEqual({ encrypted: 0, erased: 1 })
    expect((await storedIps()).find((r) => r.id === 'd-old')).toMatchObject({ ip: '', ip_search: null })
  })
})
