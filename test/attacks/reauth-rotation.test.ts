/**
 * ASVS 7.2.4: re-authentication (POST /api/auth/reauth) kept the session token, so a token captured
 * before the re-authentication stayed good and carried the fresh proof. Now, as at sign-in, a new
 * session token and CSRF token are issued and the presented ones are ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokenDigest } from '../../src/platform/identity/tokens.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'
import { agent } from './accounts-agent.ts'

const MINUTE = 60_000
let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

const createKey = (b: ReturnType<typeof agent>) =>
  b.post('/api/accounts/api-keys', { label: 'bot', permissions: ['read'], passphrase: 'bot-passphrase' })

describe('re-authentication issues a new session token', () => {
  it('refuses the old cookie after reauth; the new one works and carries the fresh proof', async () => {
    const { email } = await t.createCustomer('rotate')
    const b = agent(t)
    expect((await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
    const oldSession = b.jar.get('bulwark_session')!
    const oldCsrf = b.jar.get('bulwark_csrf')!
    t.clock.advance(10 * MINUTE)

    const reauth = await b.post('/api/auth/reauth', { password: TEST_PASSWORD })
    expect(reauth.statusCode).toBe(200)
    const newSession = b.jar.get('bulwark_session')!
    const newCsrf = b.jar.get('bulwark_csrf')!
    expect(newSession).not.toBe(oldSession)
    expect(newCsrf).not.toBe(oldCsrf)
    expect(reauth.json().csrfToken).toBe(newCsrf)
    const sessionCookie = (reauth.cookies as Array<{ name: string; httpOnly?: boolean }>).find(
      (c) => c.name === 'bulwark_session',
    )
    expect(sessionCookie?.httpOnly).toBe(true)

    const stale = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { cookie: `bulwark_session=${oldSession}` },
    })
    expect(stale.statusCode).toBe(401)
    const replayed = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/api-keys',
      headers: { cookie: `bulwark_session=${oldSession}; bulwark_csrf=${oldCsrf}`, 'x-csrf-token': oldCsrf },
      payload: { label: 'thief', permissions: ['read'], passphrase: 'bot-passphrase' },
    })
    expect(replayed.statusCode).toBe(401)
    expect(replayed.json().code).toBe('UNAUTHENTICATED')

    expect((await b.get('/api/auth/me')).json().csrfToken).toBe(newCsrf)
    expect((await createKey(b)).statusCode).toBe(201)
  })

  it('keeps the absolute expiry of the session it replaces', async () => {
    const { user, email } = await t.createCustomer('rotate-expiry')
    const b = agent(t)
    await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    const row = (token: string) =>
      t.db
        .selectFrom('sessions')
        .select(['user_id', 'expires_at', 'revoked_at'])
        .where('id', '=', tokenDigest(token))
        .executeTakeFirstOrThrow()
    const oldToken = b.jar.get('bulwark_session')!
    const before = await row(oldToken)
    t.clock.advance(MINUTE)
    expect((await b.post('/api/auth/reauth', { password: TEST_PASSWORD })).statusCode).toBe(200)
    const ended = await row(oldToken)
    const next = await row(b.jar.get('bulwark_session')!)
    expect(ended.revoked_at).not.toBeNull()
    expect(next).toMatchObject({ user_id: user.id, revoked_at: null })
    expect(next.expires_at.getTime()).toBe(before.expires_at.getTime())
  })

  it('moves the device binding and the API keys the old session created to the new session', async () => {
    const { email } = await t.createCustomer('rotate-pointers')
    const b = agent(t)
    await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    expect((await createKey(b)).statusCode).toBe(201)
    const oldId = tokenDigest(b.jar.get('bulwark_session')!)
    const pointing = async (sessionId: string) => ({
      devices: (
        await t.db
          .selectFrom('session_devices')
          .select('session_id')
          .where('session_id', '=', sessionId)
          .execute()
      ).length,
      keys: (
        await t.db.selectFrom('api_keys').select('id').where('created_session_id', '=', sessionId).execute()
      ).length,
    })
    expect(await pointing(oldId)).toEqual({ devices: 1, keys: 1 })
    t.clock.advance(MINUTE)
    expect((await b.post('/api/auth/reauth', { password: TEST_PASSWORD })).statusCode).toBe(200)
    const newId = tokenDigest(b.jar.get('bulwark_session')!)
    expect(await pointing(oldId)).toEqual({ devices: 0, keys: 0 })
    expect(await pointing(newId)).toEqual({ devices: 1, keys: 1 })
    // The device list still knows which device is this one.
    const devices = (await b.get('/api/accounts/devices')).json().devices as Array<{ current?: boolean }>
    expect(devices.filter((d) => d.current)).toHaveLength(1)
  })

  it('keeps the token when the proof is wrong', async () => {
    const { email } = await t.createCustomer('rotate-wrong')
    const b = agent(t)
    await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    const session = b.jar.get('bulwark_session')
    expect((await b.post('/api/auth/reauth', { password: 'not the password at all' })).statusCode).toBe(403)
    expect(b.jar.get('bulwark_session')).toBe(session)
    expect((await b.get('/api/auth/me')).statusCode).toBe(200)
  })
})
