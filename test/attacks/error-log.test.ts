/**
 * Finding 10, second half: the error log kept a failed query's SQL and bound values (a password hash
 * was seen there). Errors are now logged as code, route and request id, database errors as SQLSTATE
 * and constraint only; this file captures the log stream of a real server to check.
 */
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { AppError } from '../../src/platform/errors.ts'
import { createHttpServer } from '../../src/platform/http/server.ts'
import { createSessions } from '../../src/platform/identity/sessions.ts'
import { createTestDatabase, type TestDatabase } from '../support/db.ts'

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
