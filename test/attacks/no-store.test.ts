/**
 * Finding 12: responses carrying a TOTP seed, an API secret, recovery codes or the CSRF token had no
 * Cache-Control, so a shared or browser cache could keep them. Every /api/ response is now
 * `no-store` unless its route declares itself cacheable.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('Cache-Control on responses carrying secrets', () => {
  it('marks sign-in and /me (which carry the CSRF token) no-store', async () => {
    const { email, session } = await t.createCustomer('csrf')
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: TEST_PASSWORD },
    })
    expect(signIn.statusCode).toBe(200)
    expect(signIn.json().csrfToken).toEqual(expect.any(String))
    expect(signIn.headers['cache-control']).toBe('no-store')
    const me = await t.app.inject({ url: '/api/auth/me', headers: session.headers })
    expect(me.json().csrfToken).toBe(session.csrf)
    expect(me.headers['cache-control']).toBe('no-store')
  })

  it('marks the TOTP seed, the recovery codes and their replacement no-store', async () => {
    const { session } = await t.createCustomer('totp')
    const post = (url: string, payload?: object) =>
      t.app.inject({ method: 'POST', url, headers: session.headers, ...(payload ? { payload } : {}) })
    const setup = await post('/api/accounts/totp/setup')
    expect(setup.json().secret).toEqual(expect.any(String))
    expect(setup.headers['cache-control']).toBe('no-store')
    const secret = setup.json().secret as string
    const confirm = await post('/api/accounts/totp/confirm', { code: totpCodeAt(secret, t.clock.now()) })
    expect(confirm.json().recoveryCodes).toHaveLength(10)
    expect(confirm.headers['cache-control']).toBe('no-store')
    t.clock.advance(30_000)
    const again = await post('/api/accounts/recovery-codes', { totpCode: totpCodeAt(secret, t.clock.now()) })
    expect(again.json().recoveryCodes).toHaveLength(10)
    expect(again.headers['cache-control']).toBe('no-store')
  })

  it('marks a new API key with its secret no-store', async () => {
    const { session } = await t.createCustomer('apikey')
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/api-keys',
      headers: session.headers,
      payload: { label: 'bot', permissions: ['read'], passphrase: 'bot-passphrase' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.json().secret).toEqual(expect.any(String))
    expect(created.headers['cache-control']).toBe('no-store')
  })

  it('marks every other API answer no-store too, errors included', async () => {
    const list = await t.app.inject({ url: '/api/por/rounds' })
    expect(list.headers['cache-control']).toBe('no-store')
    const anonymous = await t.app.inject({ url: '/api/auth/me' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['cache-control']).toBe('no-store')
    // A route that may be cached (a published round's commitment) still never caches an error.
    const missing = await t.app.inject({ url: '/api/por/rounds/no-such-round/commitment' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['cache-control']).toBe('no-store')
  })
})

describe('a route declared cacheable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'no-store-por-'))
  let p: TestApp
  beforeAll(async () => {
    p = await createTestApp({ DATA_DIR: dataDir })
  })
  afterAll(async () => {
    await p.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("lets anyone cache a published round's commitment, and nothing else about the round", async () => {
    const builder = (await p.createStaff('custody_approver')).session
    const reviewer = (await p.createStaff('auditor')).session
    const publisher = (await p.createStaff('compliance_officer')).session
    const call = (session: typeof builder, method: 'POST' | 'PUT', url: string, body?: string) =>
      p.app.inject({
        method,
        url,
        headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'text/csv' }) },
        ...(body === undefined ? {} : { body }),
      })
    expect(
      (
        await p.app.inject({
          method: 'POST',
          url: '/api/por/staff/rounds',
          headers: builder.headers,
          payload: { id: 'r1' },
        })
      ).statusCode,
    ).toBe(200)
    await call(
      builder,
      'PUT',
      '/api/por/staff/rounds/r1/files/assets',
      'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n',
    )
    await call(builder, 'PUT', '/api/por/staff/rounds/r1/files/liabilities', 'user_id,BTC\nu1,0.5\nu2,0.25\n')
    expect((await call(builder, 'POST', '/api/por/staff/rounds/r1/build')).statusCode).toBe(200)
    const before = await p.app.inject({ url: '/api/por/staff/rounds', headers: builder.headers })
    expect(before.headers['cache-control']).toBe('no-store')
    expect((await call(reviewer, 'POST', '/api/por/staff/rounds/r1/review')).statusCode).toBe(200)
    expect((await call(publisher, 'POST', '/api/por/staff/rounds/r1/publish')).statusCode).toBe(200)

    const commitment = await p.app.inject({ url: '/api/por/rounds/r1/commitment' })
    expect(commitment.statusCode).toBe(200)
    expect(commitment.headers['cache-control']).toBe('public, max-age=300')
    expect((await p.app.inject({ url: '/api/por/rounds/r1' })).headers['cache-control']).toBe('no-store')
  })
})
