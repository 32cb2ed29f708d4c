/**
 * Issue #13 item 15: password guesses were limited per IP only, so an attacker with many addresses
 * could keep guessing one account; and a sign-in the risk engine blocked answered differently from
 * a wrong password, confirming to the attacker that the password was right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRiskEngine } from '../../src/risk/engine.ts'
import { compileRules } from '../../src/risk/rules.ts'
import { createRiskService } from '../../src/risk/service.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

const MINUTE = 60_000
let t: TestApp
beforeAll(async () => {
  // An engine without rules, so that only the per-account limit under test refuses sign-ins (the
  // bundled rules would, rightly, also flag ten failures in an hour).
  const rules = compileRules({ version: 'no-rules', rules: [] })
  t = await createTestApp(
    {},
    { risk: (db, clock) => createRiskService({ db, clock, engine: createRiskEngine({ rules }) }) },
  )
})
afterAll(async () => {
  await t.close()
})

const signIn = (email: string, password: string, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/signin', remoteAddress, payload: { email, password } })

/** The body without its requestId, which differs per request by design. */
const withoutRequestId = (body: string) => {
  const { requestId, ...rest } = JSON.parse(body) as Record<string, unknown>
  expect(typeof requestId).toBe('string')
  return JSON.stringify(rest)
}

describe('guessing one account from many IPs', () => {
  it('refuses the 11th attempt within 15 minutes even with the right password', async () => {
    const { email } = await t.createCustomer('guessed')
    for (let i = 1; i <= 10; i++) {
      const wrong = await signIn(email, `wrong-guess-${i}`, `203.0.113.${i}`)
      expect(wrong.statusCode, `guess ${i}`).toBe(401)
      expect(wrong.json().code).toBe('INVALID_CREDENTIALS')
    }
    const right = await signIn(email, TEST_PASSWORD, '203.0.113.11')
    expect(right.statusCode).toBe(429)
    expect(right.json().code).toBe('TOO_MANY_ATTEMPTS')
    expect(right.cookies).toEqual([])
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'auth.signin_refused_too_many_attempts')
      .execute()
    expect(logged.length).toBeGreaterThan(0)
  })

  it('lets the right password in again once the 15-minute window has passed', async () => {
    const { email } = await t.createCustomer('waited')
    for (let i = 1; i <= 10; i++) await signIn(email, `wrong-guess-${i}`, `203.0.113.${i}`)
    expect((await signIn(email, TEST_PASSWORD, '203.0.113.50')).statusCode).toBe(429)
    t.clock.advance(15 * MINUTE + 1)
    expect((await signIn(email, TEST_PASSWORD, '203.0.113.50')).statusCode).toBe(200)
  })

  it('answers an unknown email exactly like a known one, before and after the limit', async () => {
    const { email } = await t.createCustomer('known')
    const unknown = `nobody-${Date.now()}@test.bulwark`
    for (let i = 1; i <= 11; i++) {
      const a = await signIn(email, `wrong-guess-${i}`, `192.0.2.${i}`)
      const b = await signIn(unknown, `wrong-guess-${i}`, `192.0.2.${i}`)
      expect(b.statusCode, `attempt ${i}`).toBe(a.statusCode)
      expect(withoutRequestId(b.body), `attempt ${i}`).toBe(withoutRequestId(a.body))
    }
    expect((await signIn(unknown, 'anything-at-all', '192.0.2.99')).json().code).toBe('TOO_MANY_ATTEMPTS')
  })

  it("does not let one account's guesses lock another account", async () => {
    const { email: target } = await t.createCustomer('target')
    const { email: bystander } = await t.createCustomer('bystander')
    for (let i = 1; i <= 10; i++) await signIn(target, `wrong-guess-${i}`, '203.0.113.77')
    expect((await signIn(bystander, TEST_PASSWORD, '203.0.113.77')).statusCode).toBe(200)
  })
})

describe('a sign-in the risk engine blocks', () => {
  it('answers byte for byte like a wrong password, apart from the request id', async () => {
    const rules = compileRules({
      version: 'attack-block-after-failures',
      rules: [
        {
          id: 'block-after-failures',
          events: ['signin'],
          when: { feature: 'auth_failed.1h', op: '>=', value: 3 },
          action: 'block',
          score: 1,
          reason: '{auth_failed.1h} failed sign-ins in the last hour',
        },
      ],
    })
    const r = await createTestApp(
      {},
      { risk: (db, clock) => createRiskService({ db, clock, engine: createRiskEngine({ rules }) }) },
    )
    try {
      const { user, email } = await r.createCustomer('risky')
      const failed: string[] = []
      for (let i = 0; i < 3; i++) {
        const wrong = await r.app.inject({
          method: 'POST',
          url: '/api/auth/signin',
          payload: { email, password: `wrong-password-${i}` },
        })
        failed.push(wrong.body)
        expect(wrong.statusCode).toBe(401)
      }
      // The failures reach the engine through the event bus; wait until it has counted them.
      let blocked = await r.app.inject({
        method: 'POST',
        url: '/api/auth/signin',
        payload: { email, password: TEST_PASSWORD },
      })
      for (let i = 0; i < 100 && blocked.statusCode === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        blocked = await r.app.inject({
          method: 'POST',
          url: '/api/auth/signin',
          payload: { email, password: TEST_PASSWORD },
        })
      }
      expect(blocked.statusCode).toBe(401)
      expect(withoutRequestId(blocked.body)).toBe(withoutRequestId(failed[0]!))
      expect(blocked.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(blocked.cookies).toEqual([])
      const logged = await r.db
        .selectFrom('audit_log')
        .select('action')
        .where('target', '=', `user:${user.id}`)
        .execute()
      expect(logged.map((e) => e.action)).toContain('auth.signin_blocked_by_risk')
    } finally {
      await r.close()
    }
  })
})
