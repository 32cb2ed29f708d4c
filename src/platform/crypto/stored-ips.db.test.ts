import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { kekFromBytes, rotateKek } from './field-encryption.ts'
import { protectOldIps, readStoredIp, startSessionIpRetention } from './session-ips.ts'

const KEK_HEX = '6b'.repeat(32)
const kek = kekFromBytes(Buffer.from(KEK_HEX, 'hex'))
const newKek = kekFromBytes(new Uint8Array(32).fill(4))
const DAY = 86_400_000
const OLD_IP = '198.51.100.9'

let t: TestApp
let customer: Awaited<ReturnType<TestApp['createCustomer']>>
const ids = { device: '', apiKey: '' }

async function oldDevice(ip: string): Promise<string> {
  const at = new Date(t.clock.now().getTime() - 40 * DAY)
  const row = await t.db
    .insertInto('devices')
    .values({
      user_id: customer.user.id,
      cookie_digest: `digest-${ip}-${Math.random()}`,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
      ip,
      place: null,
      status: 'trusted',
      created_at: at,
      approved_at: at,
      last_seen_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** A sign-in the risk engine stored 40 days ago, from `ip`. */
async function oldRiskEvent(id: string, ip: string): Promise<void> {
  const at = new Date(t.clock.now().getTime() - 40 * DAY)
  const body = {
    v: 1,
    id,
    at: at.toISOString(),
    account: customer.user.id,
    type: 'signin',
    ip,
    device: 'd-old',
  }
  await sql`insert into risk_events (id, at, account, type, body)
    values (${id}, ${at}, ${customer.user.id}, 'signin', ${JSON.stringify(body)}::jsonb)`.execute(t.db)
}

const riskEventBody = async (id: string) =>
  (await sql<{ body: Record<string, unknown> }>`select body from risk_events where id = ${id}`.execute(t.db))
    .rows[0]!.body

async function stored(table: string, column: string, search: string, key: string, id: string) {
  const { rows } = await sql<{ ip: string | null; search: string | null }>`
    select ${sql.id(column)} as ip, ${sql.id(search)} as search from ${sql.id(table)} where ${sql.id(key)} = ${id}`.execute(
    t.db,
  )
  return rows[0]!
}

beforeAll(async () => {
  t = await createTestApp({ DATA_KEK: KEK_HEX })
  customer = await t.createCustomer('ips')
  const at = new Date(t.clock.now().getTime() - 40 * DAY)
  ids.device = await oldDevice(OLD_IP)
  await t.db
    .insertInto('sign_in_tickets')
    .values({
      token_digest: 'old-ticket',
      user_id: customer.user.id,
      stage: 'second_factor',
      device_id: ids.device,
      user_agent: 'test',
      ip: OLD_IP,
      created_at: at,
      expires_at: new Date(at.getTime() + 600_000),
      used_at: at,
    })
    .execute()
  const { rows } = await sql<{ id: string }>`
    insert into api_keys (user_id, access_key, secret_sealed, passphrase_digest, label, permissions, created_at, last_used_at, last_used_ip)
    values (${customer.user.id}, 'ak-old', 'x', 'x', 'old bot', 'read', ${at}, ${at}, ${OLD_IP}) returning id`.execute(
    t.db,
  )
  ids.apiKey = rows[0]!.id
  await oldRiskEvent('old-signin', OLD_IP)
}, 120_000)
afterAll(async () => {
  await t.close()
})

describe('IP addresses in every table, past the retention period', () => {
  it('encrypts old addresses in devices, sign-in tickets and API keys with a keyed hash beside them, once', async () => {
    const result = await protectOldIps({ db: t.db, kek, clock: t.clock, retentionDays: 30 })
    expect(result).toMatchObject({
      devices: { encrypted: 1, erased: 0 },
      sign_in_tickets: { encrypted: 1, erased: 0 },
      api_keys: { encrypted: 1, erased: 0 },
      risk_events: { encrypted: 1, erased: 0 },
    })
    const event = await riskEventBody('old-signin')
    expect(event).toMatchObject({ type: 'signin', device: 'd-old', ip: expect.stringMatching(/^enc1:/) })
    expect(await readStoredIp({ db: t.db, kek }, 'risk_events', 'ip', event.ip as string)).toBe(OLD_IP)
    for (const [table, column, search, key, id] of [
      ['devices', 'ip', 'ip_search', 'id', ids.device],
      ['sign_in_tickets', 'ip', 'ip_search', 'token_digest', 'old-ticket'],
      ['api_keys', 'last_used_ip', 'last_used_ip_search', 'id', ids.apiKey],
    ] as const) {
      const row = await stored(table, column, search, key, id)
      expect(row.ip, table).toMatch(/^enc1:[0-9a-f]{16}:/)
      expect(row.search, table).toMatch(/^[0-9a-f]{64}$/)
      expect(await readStoredIp({ db: t.db, kek }, table, column, row.ip!)).toBe(OLD_IP)
    }
    // The device this sign-in just made is recent: left in clear.
    const recent = await t.db
      .selectFrom('devices')
      .select('ip')
      .where('user_id', '=', customer.user.id)
      .where('id', '!=', ids.device)
      .executeTakeFirstOrThrow()
    expect(recent.ip).not.toMatch(/^enc1:/)
    const audit = await t.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'personal_data.ips_protected')
      .execute()
    expect(audit).toHaveLength(1)

    const again = await protectOldIps({ db: t.db, kek, clock: t.clock, retentionDays: 30 })
    expect(Object.values(again).every((c) => c.encrypted + c.erased === 0)).toBe(true)
    expect(
      await t.db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'personal_data.ips_protected')
        .execute(),
    ).toHaveLength(1)
  })

  it('shows the owner their old device with its address in clear', async () => {
    const session = await t.signIn(customer.email)
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/accounts/devices',
      headers: session.headers,
    })
    expect(response.statusCode).toBe(200)
    const device = response.json().devices.find((d: { id: string }) => d.id === ids.device)
    expect(device.ip).toBe(OLD_IP)
  })

  it("shows a risk analyst the old event's address opened in the account's timeline", async () => {
    const analyst = await t.createStaff('risk_analyst')
    const response = await t.app.inject({
      url: `/api/risk/accounts/${customer.user.id}/timeline`,
      headers: analyst.session.headers,
    })
    expect(response.statusCode).toBe(200)
    const old = response.json().events.find((e: { id: string }) => e.id === 'old-signin')
    expect(old.event).toMatchObject({ type: 'signin', ip: OLD_IP })
  })

  it('keeps the addresses readable after the KEK is rotated', async () => {
    const row = await stored('api_keys', 'last_used_ip', 'last_used_ip_search', 'id', ids.apiKey)
    await rotateKek(t.db, kek, newKek, 'test')
    expect(await readStoredIp({ db: t.db, kek: newKek }, 'api_keys', 'last_used_ip', row.ip!)).toBe(OLD_IP)
    await expect(readStoredIp({ db: t.db, kek }, 'api_keys', 'last_used_ip', row.ip!)).rejects.toMatchObject({
      code: 'DATA_KEK_MISMATCH',
    })
    await rotateKek(t.db, newKek, kek, 'test')
  })

  it('erases old addresses when no KEK is configured', async () => {
    const device = await oldDevice('192.0.2.77')
    const at = new Date(t.clock.now().getTime() - 40 * DAY)
    const { rows } = await sql<{ id: string }>`
      insert into api_keys (user_id, access_key, secret_sealed, passphrase_digest, label, permissions, created_at, last_used_at, last_used_ip)
      values (${customer.user.id}, 'ak-erase', 'x', 'x', 'old bot', 'read', ${at}, ${at}, '192.0.2.78') returning id`.execute(
      t.db,
    )
    await oldRiskEvent('old-signin-2', '192.0.2.79')
    const result = await protectOldIps({ db: t.db, kek: null, clock: t.clock, retentionDays: 30 })
    expect(result.devices).toEqual({ encrypted: 0, erased: 1 })
    expect(result.risk_events).toEqual({ encrypted: 0, erased: 1 })
    const event = await riskEventBody('old-signin-2')
    expect(event).toMatchObject({ type: 'signin', device: 'd-old' })
    expect(event).not.toHaveProperty('ip')
    expect(result.api_keys).toEqual({ encrypted: 0, erased: 1 })
    expect(await stored('devices', 'ip', 'ip_search', 'id', device)).toEqual({ ip: '', search: null })
    expect(await stored('api_keys', 'last_used_ip', 'last_used_ip_search', 'id', rows[0]!.id)).toEqual({
      ip: null,
      search: null,
    })
  })
})

describe("the server's daily retention timer", () => {
  it('protects an address once it is past retention, at the first run a day later, and stops when told', async () => {
    const device = await oldDevice('203.0.113.40')
    // Made 40 days ago: past the 30-day retention. A device seen 29 days ago is not, until a day later.
    const young = await oldDevice('203.0.113.41')
    await t.db
      .updateTable('devices')
      .set({ last_seen_at: new Date(t.clock.now().getTime() - 29.5 * DAY) })
      .where('id', '=', young)
      .execute()
    const log = { error: vi.fn() }
    const runs = async () =>
      (
        await t.db
          .selectFrom('audit_log')
          .select('seq')
          .where('action', '=', 'personal_data.ips_protected')
          .execute()
      ).length
    const before = await runs()
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const stop = startSessionIpRetention({ db: t.db, kek, clock: t.clock, retentionDays: 30, log })
      vi.advanceTimersByTime(DAY - 1)
      expect((await stored('devices', 'ip', 'ip_search', 'id', device)).ip).toBe('203.0.113.40')
      t.clock.advance(DAY)
      vi.advanceTimersByTime(1)
      await expect.poll(runs, { timeout: 30_000 }).toBe(before + 1)
      for (const id of [device, young])
        expect((await stored('devices', 'ip', 'ip_search', 'id', id)).ip).toMatch(/^enc1:/)
      stop()
      vi.advanceTimersByTime(3 * DAY)
      expect(await runs()).toBe(before + 1)
      expect(log.error).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })
})
