/**
 * Issue #18 part 7, the audit log: with a KEK, the IP addresses, user agents and emails that
 * sign-in, new-device, re-authentication and API-key entries carry are sealed as they are written
 * (the database holds no plain value), staff who may read the log see them opened, and once their
 * month is past PERSONAL_DATA_RETENTION_DAYS the retention sweep destroys the month's key: the
 * values read "[shredded]" while the chain and a signed head taken before still verify. Without a
 * KEK (demo, development) the values stay plain.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHREDDED } from '../../src/platform/audit-personal.ts'
import { loadKek } from '../../src/platform/crypto/field-encryption.ts'
import { runPersonalDataRetention } from '../../src/platform/crypto/session-ips.ts'
import type { Db } from '../../src/platform/db/index.ts'
import { agent, CHROME_LINUX, FIREFOX_WINDOWS } from '../attacks/accounts-agent.ts'
import { createTestApp, TEST_PASSWORD, type TestApp, type TestSession } from '../support/app.ts'

const KEK = '3e'.repeat(32)
const DAY = 86_400_000
const IPV4 = /(?:\d{1,3}\.){3}\d{1,3}/
const EMAIL = /[^\s"@]+@[^\s"@]+\.[a-z]{2,}/i

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ DATA_KEK: KEK, PERSONAL_DATA_RETENTION_DAYS: '30' })
})
afterAll(async () => {
  await t.close()
})

async function storedDetails(db: Db): Promise<string> {
  const { rows } = await sql<{ details: string }>`select details::text as details from audit_log`.execute(db)
  return rows.map((r) => r.details).join('\n')
}

async function entries(session: TestSession, action: string) {
  const response = await t.app.inject({
    url: `/api/audit?action=${encodeURIComponent(action)}`,
    headers: session.headers,
  })
  expect(response.statusCode).toBe(200)
  return response.json().entries as Array<{ details: Record<string, unknown> }>
}

describe('personal data in the audit log, with a KEK', () => {
  let email: string

  it('keeps no plain IP address, email or user agent in the stored entries of sign-in, new device, re-authentication and API keys', async () => {
    const customer = await t.createCustomer('privacy')
    email = customer.email
    // Signed in from a known device (the helper's); with the email confirmed, a new browser on
    // another IP is held for approval.
    await t.db
      .updateTable('account_security')
      .set({ email_confirmed_at: t.clock.now() })
      .where('user_id', '=', customer.user.id)
      .execute()
    const firefox = agent(t, { userAgent: FIREFOX_WINDOWS, ip: '198.51.100.20' })
    const held = await firefox.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    expect(held.json().status).toBe('device_approval_required')
    // A wrong password from a third IP, then a re-authentication and an IP-restricted API key.
    const stranger = agent(t, { userAgent: CHROME_LINUX, ip: '203.0.113.9' })
    expect((await stranger.post('/api/auth/signin', { email, password: 'wrong password' })).statusCode).toBe(
      401,
    )
    const reauth = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reauth',
      headers: customer.session.headers,
      payload: { password: TEST_PASSWORD },
    })
    expect(reauth.statusCode).toBe(200)
    const key = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/api-keys',
      headers: afterReauth(customer.session, reauth),
      payload: {
        label: 'bot',
        permissions: ['read'],
        passphrase: 'bot-passphrase',
        allowedIps: ['192.0.2.44'],
      },
    })
    expect(key.statusCode).toBe(201)

    const stored = await storedDetails(t.db)
    expect(stored).toContain('enc1:')
    expect(stored).not.toMatch(IPV4)
    expect(stored).not.toMatch(EMAIL)
    // app.inject's user agent, which every successful sign-in records.
    expect(stored).not.toContain('lightMyRequest')
    const actions = await t.db.selectFrom('audit_log').select('action').execute()
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'auth.signin',
        'accounts.device_approval_requested',
        'auth.signin_failed',
        'accounts.reauthenticated',
        'accounts.api_key_created',
      ]),
    )
  })

  it('shows staff who may read the log the opened values', async () => {
    const auditor = await t.createStaff('auditor')
    const [failed] = await entries(auditor.session, 'auth.signin_failed')
    expect(failed!.details).toMatchObject({ email, ip: '203.0.113.9', reason: 'wrong_password' })
    const [device] = await entries(auditor.session, 'accounts.device_approval_requested')
    expect(device!.details.ip).toBe('198.51.100.20')
    const [apiKey] = await entries(auditor.session, 'accounts.api_key_created')
    expect(apiKey!.details.allowedIps).toEqual(['192.0.2.44'])
    const signIns = await entries(auditor.session, 'auth.signin')
    expect(signIns.map((e) => e.details.userAgent)).toContain('lightMyRequest')
    // An export carries the entries as stored and hashed (sealed), for checking offline.
    const exported = await t.app.inject({
      url: '/api/audit/export?action=auth.signin_failed&format=jsonl',
      headers: auditor.session.headers,
    })
    expect(exported.statusCode).toBe(200)
    const [line] = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(line.details).toMatchObject({
      email: expect.stringMatching(/^enc1:/),
      ip: expect.stringMatching(/^enc1:/),
    })
  })

  it('destroys the month’s key after the retention period: values read "[shredded]", the chain and an earlier signed head still verify', async () => {
    const head = (await t.app.inject({ url: '/api/audit/head' })).json()
    const sealedBefore = (await storedDetails(t.db)).split('enc1:').length - 1
    t.clock.advance(62 * DAY)
    const swept = await runPersonalDataRetention({
      db: t.db,
      kek: loadKek(t.config),
      clock: t.clock,
      retentionDays: 30,
    })
    expect(swept.audit.reduce((n, m) => n + m.values, 0)).toBe(sealedBefore)
    expect(swept.audit.every((m) => m.keys >= 1)).toBe(true)
    // A second sweep finds nothing left to destroy.
    const again = await runPersonalDataRetention({
      db: t.db,
      kek: loadKek(t.config),
      clock: t.clock,
      retentionDays: 30,
    })
    expect(again.audit).toEqual([])

    const auditor = await t.createStaff('auditor')
    const [failed] = await entries(auditor.session, 'auth.signin_failed')
    expect(failed!.details).toEqual({ email: SHREDDED, ip: SHREDDED, reason: 'wrong_password' })
    const [apiKey] = await entries(auditor.session, 'accounts.api_key_created')
    expect(apiKey!.details.allowedIps).toEqual([SHREDDED])
    // The auditor's own sign-in, written after the sweep, is sealed under a new key and opens.
    const [latest] = await entries(auditor.session, 'auth.signin')
    expect(latest!.details.ip).toBe('127.0.0.1')
    const [shred] = await entries(auditor.session, 'personal_data.audit_keys_shredded')
    expect(shred!.details).toMatchObject({ retentionDays: 30 })

    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/audit/verify',
      headers: auditor.session.headers,
    })
    expect(verify.json()).toMatchObject({ intact: true })
    const since = await t.app.inject({
      method: 'POST',
      url: '/api/audit/verify-since',
      headers: auditor.session.headers,
      payload: { head },
    })
    expect(since.json()).toMatchObject({ consistent: true })
  })
})

describe('personal data in the audit log, without a KEK', () => {
  it('stays plain (demo and development installs)', async () => {
    const plain = await createTestApp()
    try {
      const { user } = await plain.createCustomer('plain')
      const signIn = await plain.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'auth.signin')
        .where('target', '=', `user:${user.id}`)
        .executeTakeFirstOrThrow()
      expect(signIn.details.ip).toBe('127.0.0.1')
    } finally {
      await plain.close()
    }
  })
})

/** The browser's headers after a re-authentication, which replaces the session cookie (and CSRF token). */
function afterReauth(session: TestSession, reply: { cookies: unknown }): Record<string, string> {
  const byName = new Map(session.cookie.split('; ').map((c) => c.split('=') as [string, string]))
  for (const c of reply.cookies as Array<{ name: string; value: string }>) byName.set(c.name, c.value)
  return {
    cookie: [...byName].map(([k, v]) => `${k}=${v}`).join('; '),
    'x-csrf-token': byName.get('bulwark_csrf') ?? session.csrf,
  }
}
