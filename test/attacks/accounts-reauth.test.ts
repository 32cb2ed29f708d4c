/**
 * Issue #13 item 8: a stolen session cookie was enough to add the thief's authenticator, passkey or
 * API key, or to change the email. Now those routes (config.reauth) need a sign-in or a
 * re-authentication (POST /api/auth/reauth) within the last 5 minutes, and wrong re-authentications
 * are limited per account across IPs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'
import { type Agent, agent } from './accounts-agent.ts'

const MINUTE = 60_000
let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

async function signedIn(ip = '198.51.100.20') {
  const { user, email } = await t.createCustomer('reauth')
  const b = agent(t, { ip })
  expect((await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
  return { id: user.id, email, b }
}

const createKey = (b: Agent) =>
  b.post('/api/accounts/api-keys', { label: 'bot', permissions: ['read'], passphrase: 'bot-passphrase' })

describe('sensitive changes need a fresh proof', () => {
  it('accepts them within 5 minutes of signing in, and refuses them after', async () => {
    const { b } = await signedIn()
    t.clock.advance(4 * MINUTE)
    expect((await createKey(b)).statusCode).toBe(201)
    t.clock.advance(1 * MINUTE + 1)
    const stale = await createKey(b)
    expect(stale.statusCode).toBe(401)
    expect(stale.json().code).toBe('REAUTH_REQUIRED')
    expect((await b.get('/api/auth/me')).statusCode).toBe(200)
  })

  it('refuses each guarded route with REAUTH_REQUIRED on a stale session', async () => {
    const { email, b } = await signedIn()
    t.clock.advance(6 * MINUTE)
    const attempts = [
      b.post('/api/accounts/totp/setup'),
      b.post('/api/accounts/totp/confirm', { code: '123456' }),
      b.post('/api/accounts/totp/disable', { totpCode: '123456' }),
      b.post('/api/accounts/recovery-codes', { totpCode: '123456' }),
      b.post('/api/accounts/passkeys/registration-options'),
      b.post('/api/accounts/passkeys', { name: 'x', response: { id: 'x' } }),
      b.delete('/api/accounts/passkeys/some-passkey-id'),
      createKey(b),
      b.delete('/api/accounts/api-keys/00000000-0000-4000-8000-000000000000'),
      b.post('/api/accounts/password', {
        currentPassword: TEST_PASSWORD,
        newPassword: 'another long passphrase 99',
      }),
      b.post('/api/accounts/email', { newEmail: `moved-${email}`, currentPassword: TEST_PASSWORD }),
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.json().code).toBe('REAUTH_REQUIRED')
    }
  })

  it('accepts them again for 5 minutes after re-authenticating with the password', async () => {
    const { id, b } = await signedIn()
    t.clock.advance(10 * MINUTE)
    expect((await createKey(b)).json().code).toBe('REAUTH_REQUIRED')
    const reauth = await b.post('/api/auth/reauth', { password: TEST_PASSWORD })
    expect(reauth.statusCode).toBe(200)
    expect(reauth.json().method).toBe('password')
    expect((await createKey(b)).statusCode).toBe(201)
    t.clock.advance(5 * MINUTE + 1)
    expect((await createKey(b)).json().code).toBe('REAUTH_REQUIRED')
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${id}`)
      .where('action', '=', 'accounts.reauthenticated')
      .execute()
    expect(logged).toHaveLength(1)
  })

  it('accepts an authenticator code or a recovery code as the proof', async () => {
    const { b } = await signedIn()
    const setup = (await b.post('/api/accounts/totp/setup')).json()
    expect(
      (await b.post('/api/accounts/totp/confirm', { code: totpCodeAt(setup.secret, t.clock.now()) }))
        .statusCode,
    ).toBe(200)
    t.clock.advance(10 * MINUTE)
    expect((await b.post('/api/accounts/recovery-codes', {})).json().code).toBe('REAUTH_REQUIRED')
    const reauth = await b.post('/api/auth/reauth', { totpCode: totpCodeAt(setup.secret, t.clock.now()) })
    expect(reauth.json()).toMatchObject({ method: 'totp' })
    t.clock.advance(30_000)
    const codes = await b.post('/api/accounts/recovery-codes', {
      totpCode: totpCodeAt(setup.secret, t.clock.now()),
    })
    expect(codes.statusCode).toBe(200)
    t.clock.advance(10 * MINUTE)
    const recoveryCode = (codes.json().recoveryCodes as string[])[0]
    expect((await b.post('/api/auth/reauth', { recoveryCode })).json()).toMatchObject({
      method: 'recovery_code',
    })
  })

  it('does not let a stolen session re-authenticate without the password', async () => {
    const { b } = await signedIn()
    t.clock.advance(10 * MINUTE)
    const wrong = await b.post('/api/auth/reauth', { password: 'the-thief-does-not-know' })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json().code).toBe('REAUTH_INVALID')
    expect((await createKey(b)).json().code).toBe('REAUTH_REQUIRED')
  })

  it('decides by the matched route, not the URL spelling', async () => {
    const { b } = await signedIn()
    t.clock.advance(10 * MINUTE)
    // The router decodes and normalises the path; the check follows the route it matched.
    for (const url of ['/api/accounts/api-keys/', '/api/accounts/%61pi-keys']) {
      const response = await b.post(url, {
        label: 'bot',
        permissions: ['read'],
        passphrase: 'bot-passphrase',
      })
      expect(response.json().code, url).toBe('REAUTH_REQUIRED')
    }
  })
})

describe('guessing the password through re-authentication', () => {
  it('refuses after 5 wrong proofs per account across IPs, even the right password, and logs it', async () => {
    const { user, email } = await t.createCustomer('reauth-guessed')
    const sessions: Agent[] = []
    for (let i = 1; i <= 6; i++) {
      const b = agent(t, { ip: `203.0.113.${120 + i}` })
      await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })
      sessions.push(b)
    }
    for (const [i, b] of sessions.slice(0, 5).entries()) {
      expect((await b.post('/api/auth/reauth', { password: `guess-${i}` })).json().code).toBe(
        'REAUTH_INVALID',
      )
    }
    const refused = await sessions[5]!.post('/api/auth/reauth', { password: TEST_PASSWORD })
    expect(refused.statusCode).toBe(429)
    expect(refused.json().code).toBe('REAUTH_RATE_LIMITED')
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${user.id}`)
      .where('action', 'in', ['accounts.reauth_failed', 'accounts.reauth_rate_limited'])
      .execute()
    expect(logged.map((e) => e.action).sort()).toEqual([
      ...Array(5).fill('accounts.reauth_failed'),
      'accounts.reauth_rate_limited',
    ])
    t.clock.advance(15 * MINUTE + 1)
    // Sessions are idle-limited too; sign in afresh after the window.
    const later = agent(t)
    await later.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    expect((await later.post('/api/auth/reauth', { password: TEST_PASSWORD })).statusCode).toBe(200)
  })

  it('counts against the credential rate limit of the route', async () => {
    const limited = await createTestApp({ AUTH_RATE_LIMIT_MAX: '3' })
    try {
      const { session } = await limited.createCustomer('reauth-ip-limited')
      const codes: number[] = []
      let headers = session.headers
      for (let i = 0; i < 4; i++) {
        const r = await limited.app.inject({
          method: 'POST',
          url: '/api/auth/reauth',
          headers,
          payload: { password: TEST_PASSWORD },
        })
        codes.push(r.statusCode)
        // Each re-authentication replaces the session (ASVS 7.2.4): carry on with the new cookies.
        const cookies = r.cookies as Array<{ name: string; value: string }>
        if (r.statusCode === 200)
          headers = {
            cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
            'x-csrf-token': r.json().csrfToken,
          }
      }
      expect(codes).toEqual([200, 200, 200, 429])
    } finally {
      await limited.close()
    }
  })
})
