/**
 * Issue #13 item 7: "This wasn't me" froze the account but left the intruder in: their session kept
 * working, the API key they created was only suspended, and unfreezing brought both back. Now the
 * report ends every session but the reporter's (all of them from the email link), revokes the API
 * keys the reported session created or used, locks withdrawals, and unfreezing restores none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../src/platform/identity/users.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'
import { type Agent, agent, apiKeyRequest, FIREFOX_WINDOWS } from './accounts-agent.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

const INTRUDER_IP = '203.0.113.99'
let counter = 0

/** The owner signs in at home; an intruder with the password signs in from elsewhere and makes a key. */
async function intrudedAccount() {
  const email = `victim-${++counter}@test.bulwark`
  const user = await createUser(t.db, {
    email,
    displayName: 'Victim',
    kind: 'customer',
    password: TEST_PASSWORD,
  })
  const owner = agent(t)
  expect((await owner.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
  const ownerKey = (
    await owner.post('/api/accounts/api-keys', {
      label: 'my bot',
      permissions: ['read'],
      passphrase: 'owner-passphrase',
    })
  ).json()
  const intruder = agent(t, { userAgent: FIREFOX_WINDOWS, ip: INTRUDER_IP })
  expect((await intruder.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
  const created = await intruder.post('/api/accounts/api-keys', {
    label: 'totally legit',
    permissions: ['read'],
    passphrase: 'intruder-passphrase',
  })
  expect(created.statusCode).toBe(201)
  const intruderKey = created.json()
  expect((await apiKeyRequest(t, intruderKey, 'intruder-passphrase', INTRUDER_IP)).statusCode).toBe(200)
  return { id: user.id, email, owner, ownerKey, intruder, intruderKey }
}

async function newDeviceAlert(owner: Agent) {
  const alerts = (await owner.get('/api/accounts/alerts')).json().alerts as Array<{
    id: string
    kind: string
  }>
  return alerts.find((a) => a.kind === 'new_device_signin')!
}

async function unfreeze(id: string) {
  const support = await t.createStaff('support')
  const lifted = await t.app.inject({
    method: 'POST',
    url: `/api/staff/accounts/${id}/unfreeze`,
    headers: support.session.headers,
    payload: { note: 'reviewed with the customer' },
  })
  expect(lifted.statusCode).toBe(200)
}

describe('"This wasn\'t me" from a signed-in session', () => {
  it("ends the intruder's session, revokes their key, keeps the reporter in, and unfreezing restores nothing", async () => {
    const { id, owner, ownerKey, intruder, intruderKey } = await intrudedAccount()
    const alert = await newDeviceAlert(owner)
    expect((await owner.post(`/api/accounts/alerts/${alert.id}/wasnt-me`)).statusCode).toBe(200)

    expect((await intruder.get('/api/auth/me')).statusCode).toBe(401)
    const keyAfter = await apiKeyRequest(t, intruderKey, 'intruder-passphrase', INTRUDER_IP)
    expect(keyAfter.statusCode).toBe(401)
    expect(keyAfter.json().code).toBe('API_KEY_INVALID')
    expect((await owner.get('/api/auth/me')).statusCode).toBe(200)
    const lock = (await owner.get('/api/accounts/withdrawal-lock')).json()
    expect(lock).toMatchObject({ locked: true, reason: 'reported_intrusion' })

    await unfreeze(id)
    expect((await intruder.get('/api/auth/me')).statusCode).toBe(401)
    expect((await apiKeyRequest(t, intruderKey, 'intruder-passphrase', INTRUDER_IP)).json().code).toBe(
      'API_KEY_INVALID',
    )
    const keys = (await owner.get('/api/accounts/api-keys')).json().keys as Array<{ id: string }>
    expect(keys.map((k) => k.id)).toEqual([ownerKey.id])
    expect((await apiKeyRequest(t, ownerKey, 'owner-passphrase')).statusCode).toBe(200)
    expect((await owner.get('/api/accounts/withdrawal-lock')).json()).toEqual(lock)

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('target', '=', `user:${id}`)
      .where('action', '=', 'accounts.frozen')
      .executeTakeFirstOrThrow()
    expect(audit.details).toMatchObject({ sessionsEnded: 1, apiKeysRevoked: [intruderKey.id] })
  })

  it("also revokes a key the intruder only used, from the reported session's IP", async () => {
    const { owner, ownerKey, intruder } = await intrudedAccount()
    // The owner's key leaked: the intruder calls the API with it from their own address.
    expect((await apiKeyRequest(t, ownerKey, 'owner-passphrase', INTRUDER_IP)).statusCode).toBe(200)
    const alert = await newDeviceAlert(owner)
    await owner.post(`/api/accounts/alerts/${alert.id}/wasnt-me`)
    expect((await intruder.get('/api/auth/me')).statusCode).toBe(401)
    expect((await apiKeyRequest(t, ownerKey, 'owner-passphrase')).json().code).toBe('API_KEY_INVALID')
  })
})

describe('"This wasn\'t me" from the alert email link', () => {
  it("ends every session, the reporter's browser included, and revokes the reported session's key", async () => {
    const { id, email, owner, intruder, intruderKey } = await intrudedAccount()
    const alert = await newDeviceAlert(owner)
    // The alert email is sent in the background: wait for it to land in the outbox.
    let token: string | undefined
    for (let i = 0; i < 50 && token === undefined; i++) {
      const outbox = await t.db
        .selectFrom('mail_outbox')
        .select('text_body')
        .where('to_address', '=', email)
        .where('subject', 'like', '%New sign-in from a device%')
        .execute()
      token = outbox
        .map((m) => /\/security\/wasnt-me#([A-Za-z0-9_-]+)/.exec(m.text_body)?.[1])
        .find((found) => found !== undefined)
      if (token === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(token).toBeDefined()
    const reported = await agent(t).post('/api/accounts/wasnt-me', { token })
    expect(reported.statusCode).toBe(200)

    expect((await intruder.get('/api/auth/me')).statusCode).toBe(401)
    expect((await owner.get('/api/auth/me')).statusCode).toBe(401)
    expect((await apiKeyRequest(t, intruderKey, 'intruder-passphrase', INTRUDER_IP)).json().code).toBe(
      'API_KEY_INVALID',
    )
    const frozen = await t.db
      .selectFrom('security_alerts')
      .select('wasnt_me_at')
      .where('id', '=', alert.id)
      .executeTakeFirstOrThrow()
    expect(frozen.wasnt_me_at).not.toBeNull()
    await unfreeze(id)
    expect((await intruder.get('/api/auth/me')).statusCode).toBe(401)
  })
})
