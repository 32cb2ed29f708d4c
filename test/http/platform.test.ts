import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('health and errors', () => {
  it('answers /health and /ready', async () => {
    expect((await t.app.inject('/health')).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject('/ready')).json()).toEqual({ status: 'ready' })
  })

  it('sets security headers and a request id on every response', async () => {
    const response = await t.app.inject('/health')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['content-security-policy']).toContain("default-src 'self'")
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('renders unknown API routes as a JSON 404 with code and request id', async () => {
    const response = await t.app.inject('/api/nope')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND', requestId: response.headers['x-request-id'] })
  })

  it('answers malformed JSON with MALFORMED_JSON, not a 500', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('MALFORMED_JSON')
  })

  it('refuses bodies over the size limit with PAYLOAD_TOO_LARGE', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email: 'a@b.co', password: 'x'.repeat(2_000_000) },
    })
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('names the invalid field and never echoes SQL or stacks', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email: 'not-an-email', password: 'x' },
    })
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(body.code).toBe('INVALID_INPUT')
    expect(body.message).toContain('email')
    expect(response.body).not.toMatch(/select|insert|at .*\.ts:/i)
  })

  it('serves the OpenAPI document with every API route', async () => {
    const response = await t.app.inject('/docs/json')
    expect(response.statusCode).toBe(200)
    const paths = Object.keys(response.json().paths)
    expect(paths).toEqual(expect.arrayContaining(['/api/auth/signin', '/api/audit', '/api/staff/members']))
  })
})

describe('sign-in and sessions', () => {
  it('signs a customer in with an httpOnly SameSite session cookie of at least 128 bits', async () => {
    const { email } = await t.createCustomer('sam')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: 'test-password-long-enough' },
    })
    expect(response.statusCode).toBe(200)
    const session = (response.cookies as Array<Record<string, unknown>>).find(
      (c) => c.name === 'bulwark_session',
    )!
    expect(session.httpOnly).toBe(true)
    expect(session.sameSite).toBe('Lax')
    expect(Buffer.from(String(session.value), 'base64url').length).toBeGreaterThanOrEqual(16)
    expect(response.json().user.email).toBe(email)
  })

  it('answers an unknown email exactly like a wrong password', async () => {
    const { email } = await t.createCustomer('enum')
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: 'wrong-password-123' },
    })
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email: 'nobody@x.io', password: 'wrong-password-123' },
    })
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    const strip = (b: { code: string; message: string }) => ({ code: b.code, message: b.message })
    expect(strip(unknown.json())).toEqual(strip(wrong.json()))
  })

  it('records successful and failed sign-ins in the audit log', async () => {
    const { email, user } = await t.createCustomer('audited')
    await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: 'nope-nope-nope' },
    })
    const rows = await t.db
      .selectFrom('audit_log')
      .select(['action'])
      .where('target', '=', `user:${user.id}`)
      .execute()
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['auth.signin', 'auth.signin_failed']))
  })

  it('issues a new token at every sign-in and ends the one presented (no fixation)', async () => {
    const { email, session } = await t.createCustomer('fix')
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      headers: session.headers,
      payload: { email, password: 'test-password-long-enough' },
    })
    expect(again.statusCode).toBe(200)
    const old = await t.app.inject({ url: '/api/auth/me', headers: { cookie: session.cookie } })
    expect(old.statusCode).toBe(401)
  })

  it('ends a session after the idle period and at the absolute expiry', async () => {
    const { session } = await t.createCustomer('idle')
    t.clock.advance(29 * 60_000)
    expect((await t.app.inject({ url: '/api/auth/me', headers: session.headers })).statusCode).toBe(200)
    t.clock.advance(31 * 60_000)
    expect((await t.app.inject({ url: '/api/auth/me', headers: session.headers })).statusCode).toBe(401)

    const { session: busy } = await t.createCustomer('busy')
    for (let i = 0; i < 25; i++) {
      t.clock.advance(29 * 60_000)
      const status = (await t.app.inject({ url: '/api/auth/me', headers: busy.headers })).statusCode
      if (i < 24) expect(status).toBe(200)
      else expect(status).toBe(401) // 25 × 29 min > 12 h absolute lifetime
    }
  })

  it('signs out everywhere', async () => {
    const { email } = await t.createCustomer('many')
    const a = await t.signIn(email)
    const b = await t.signIn(email)
    const response = await t.app.inject({ method: 'POST', url: '/api/auth/signout-all', headers: a.headers })
    expect(response.json()).toEqual({ ended: 3 }) // the one from createCustomer, a and b
    expect((await t.app.inject({ url: '/api/auth/me', headers: b.headers })).statusCode).toBe(401)
  })

  it('refuses a cookie-authenticated change without the CSRF header', async () => {
    const { session } = await t.createCustomer('csrf')
    const without = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signout-all',
      headers: { cookie: session.cookie },
    })
    expect(without.statusCode).toBe(403)
    expect(without.json().code).toBe('CSRF_TOKEN_INVALID')
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signout-all',
      headers: { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(32) },
    })
    expect(wrong.json().code).toBe('CSRF_TOKEN_INVALID')
  })

  it('stores only a digest of the session token', async () => {
    const { session } = await t.createCustomer('digest')
    const token = session.cookie.match(/bulwark_session=([^;]+)/)![1]!
    const found = await sql<{ n: string }>`select count(*) as n from sessions where id = ${token}`.execute(
      t.db,
    )
    expect(Number(found.rows[0]!.n)).toBe(0)
  })
})

describe('rate limits', () => {
  it('limits sign-in attempts harder than the rest of the API', async () => {
    const strict = await createTestApp({ AUTH_RATE_LIMIT_MAX: '3' })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) {
        const r = await strict.app.inject({
          method: 'POST',
          url: '/api/auth/signin',
          payload: { email: 'x@y.io', password: 'whatever-123' },
        })
        statuses.push(r.statusCode)
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429])
      const limited = await strict.app.inject({
        method: 'POST',
        url: '/api/auth/signin',
        payload: { email: 'x@y.io', password: 'whatever-123' },
      })
      expect(limited.json().code).toBe('RATE_LIMITED')
      expect((await strict.app.inject('/health')).statusCode).toBe(200)
    } finally {
      await strict.close()
    }
  })
})
