/**
 * Finding 16: with SESSION_IDLE_MINUTES=1 a session in active use ended, because `last_seen_at`
 * was written at most once a minute. The write throttle is now at most a quarter of the idle timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ SESSION_IDLE_MINUTES: '1' })
})
afterAll(async () => {
  await t.close()
})

const me = async (headers: Record<string, string>) =>
  (await t.app.inject({ url: '/api/auth/me', headers })).statusCode

describe('a 1-minute idle timeout', () => {
  it('keeps a session alive for 10 minutes of requests every 30 seconds', async () => {
    const { session } = await t.createCustomer('active')
    for (let elapsed = 30; elapsed <= 600; elapsed += 30) {
      t.clock.advance(30_000)
      expect(await me(session.headers), `after ${elapsed} s`).toBe(200)
    }
  })

  it('ends the session after a pause of 61 seconds', async () => {
    const { session } = await t.createCustomer('paused')
    for (let i = 0; i < 4; i++) {
      t.clock.advance(30_000)
      expect(await me(session.headers)).toBe(200)
    }
    t.clock.advance(61_000)
    expect(await me(session.headers)).toBe(401)
  })
})
