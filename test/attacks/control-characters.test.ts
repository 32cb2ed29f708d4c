/**
 * Finding 10: NUL bytes in string inputs gave 500s (PostgreSQL refuses them), and the error log kept
 * the failed query's SQL and bound values (a password hash was seen there). Now every string in a
 * body, query or path parameter is checked for control characters before validation (400
 * INVALID_INPUT naming the field), and errors are logged as code, route and request id, database
 * errors as SQLSTATE and constraint only.
 */
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { AppError } from '../../src/platform/errors.ts'
import { createHttpServer } from '../../src/platform/http/server.ts'
import { createSessions } from '../../src/platform/identity/sessions.ts'
import { createTestApp, type TestApp } from '../support/app.ts'
import { createTestDatabase, type TestDatabase } from '../support/db.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

const json = (payload: unknown) => ({
  payload: JSON.stringify(payload),
  headers: { 'content-type': 'application/json' },
})

describe('control characters in input', () => {
  it('refuses a NUL byte in the sign-in e-mail with 400 INVALID_INPUT naming the field', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      ...json({ email: 'alice\u0000@demo.bulwark', password: 'whatever-long-enough' }),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.email' } })
    expect(response.json().message).toContain('body.email')
    expect(response.json().message).toContain('U+0000')
  })

  it('refuses control characters in a query string, a path parameter and an object key', async () => {
    const query = await t.app.inject({ url: '/api/por/rounds?page=%01' })
    expect(query.statusCode).toBe(400)
    expect(query.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'query.page' } })

    const param = await t.app.inject({ url: '/api/por/rounds/a%00b/commitment' })
    expect(param.statusCode).toBe(400)
    expect(param.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'params.id' } })

    const key = await t.app.inject({
      method: 'POST',
      url: '/api/guard/address',
      ...json({ to: '0x0000000000000000000000000000000000000001', 'known\u0085': [] }),
    })
    expect(key.statusCode).toBe(400)
    expect(key.json()).toMatchObject({ code: 'INVALID_INPUT', details: { character: 'U+0085' } })
  })

  it('refuses a line break in a single-line field, also deep in an array', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/guard/domains',
      ...json({ inputs: ['bulwark.example', 'evil.example\nFAKE LOG LINE'] }),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.inputs.1' } })
  })

  it('accepts line breaks in a field the route declares multi-line, but never a NUL', async () => {
    const signIn =
      'bulwark.example wants you to sign in with your Ethereum account:\n0xabc\n\nURI: https://bulwark.example'
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      ...json({ method: 'eth_sign', message: signIn }),
    })
    expect(ok.statusCode).toBe(200)
    const nul = await t.app.inject({
      method: 'POST',
      url: '/api/guard/tx',
      ...json({ method: 'eth_sign', message: `${signIn}\u0000` }),
    })
    expect(nul.statusCode).toBe(400)
    expect(nul.json()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.message' } })
  })

  it('checks the caller first: an anonymous request with a NUL gets 401, not a hint about the body', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      ...json({ email: '\u0000' }),
    })
    expect(response.statusCode).toBe(401)
  })
})

describe('the error log', () => {
  let database: TestDatabase
  const lines: Record<string, unknown>[] = []
  let app: Awaited<ReturnType<typeof createHttpServer>>
  const secret = '$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$SECRET-HASH'

  beforeAll(async () => {
    database = await createTestDatabase()
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const clock = createManualClock(new Date())
    const sessions = createSessions({
      db: database.db,
      clock,
      policy: { idleMinutes: 30, absoluteHours: 12 },
    })
    app = await createHttpServer({
      config: loadConfig({ LOG_LEVEL: 'info' }),
      sessions,
      logger: { level: 'info', stream },
    })
    // A query that fails with the secret as a bound value, as a password-hash update once did.
    const failingQuery = () => sql`select ${secret}::integer as n`.execute(database.db)
    app.get('/api/test/db-error', async () => {
      await failingQuery()
    })
    app.get('/api/test/wrapped-db-error', async () => {
      try {
        await failingQuery()
      } catch (cause) {
        throw new AppError('STORE_FAILED', 500, 'Could not store the password.', { cause })
      }
    })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await database.close()
  })

  it('logs a database error as its SQLSTATE with the route and request id, never SQL or values', async () => {
    const response = await app.inject({ url: '/api/test/db-error?token=one-time-secret' })
    expect(response.statusCode).toBe(500)
    const logged = lines.find((l) => l.msg === 'unexpected error' && l.reqId === response.json().requestId)
    expect(logged).toMatchObject({
      code: 'INTERNAL_ERROR',
      route: 'GET /api/test/db-error',
      err: { type: 'DatabaseError', sqlState: '22P02' },
    })
    const everything = JSON.stringify(lines)
    expect(everything).not.toContain('SECRET-HASH')
    expect(everything).not.toContain('one-time-secret')
    expect(everything.toLowerCase()).not.toContain('select')
  })

  it('logs a database error behind an application error as the cause, reduced the same way', async () => {
    const response = await app.inject({ url: '/api/test/wrapped-db-error' })
    expect(response.statusCode).toBe(500)
    const logged = lines.find((l) => l.msg === 'application error' && l.reqId === response.json().requestId)
    expect(logged).toMatchObject({
      code: 'STORE_FAILED',
      route: 'GET /api/test/wrapped-db-error',
      err: { code: 'STORE_FAILED', cause: { type: 'DatabaseError', sqlState: '22P02' } },
    })
    expect(JSON.stringify(lines)).not.toContain('SECRET-HASH')
  })
})
