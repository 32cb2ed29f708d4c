/**
 * The risk engine watches the platform: events the domains publish reach it through the event
 * bus (stored, scored, alerting), and sign-in asks it synchronously before a session starts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createRiskEngine } from '../../src/risk/engine.ts'
import { compileRules } from '../../src/risk/rules.ts'
import { createRiskService } from '../../src/risk/service.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'

const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
})

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function failSignIns(t: TestApp, email: string, times: number) {
  for (let i = 0; i < times; i++) {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: 'wrong-password-123' },
    })
    expect(r.statusCode).toBe(401)
  }
}

const storedEvents = (t: TestApp, account: string, type: string) =>
  t.db
    .selectFrom('risk_events')
    .select('id')
    .where('account', '=', account)
    .where('type', '=', type)
    .execute()

describe('risk engine on the platform', () => {
  it('raises an analyst alert from failed sign-ins published on the event bus', async () => {
    const t = await createTestApp()
    apps.push(t)
    const { user, email } = await t.createCustomer('stuffed')
    await failSignIns(t, email, 10)
    const analyst = await t.createStaff('risk_analyst')
    const alert = await until(async () => {
      const r = await t.app.inject({
        url: `/api/risk/alerts?account=${user.id}`,
        headers: analyst.session.headers,
      })
      const alerts = r.json().alerts as Array<{ reasons: Array<{ code: string }> }>
      return alerts.find((a) => a.reasons.some((reason) => reason.code === 'rule.credential-stuffing'))
    }, 'the credential-stuffing alert')
    expect(alert).toBeTruthy()
  })

  it('refuses a sign-in the engine blocks, with the right password, and logs it', async () => {
    const rules = compileRules({
      version: 'test-block-after-failures',
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
    const t = await createTestApp(
      {},
      { risk: (db, clock) => createRiskService({ db, clock, engine: createRiskEngine({ rules }) }) },
    )
    apps.push(t)
    const { user, email } = await t.createCustomer('blocked')
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: TEST_PASSWORD },
    })
    expect(ok.statusCode).toBe(200)

    await failSignIns(t, email, 3)
    await until(
      async () => ((await storedEvents(t, user.id, 'signin_failed')).length === 3 ? true : undefined),
      'three stored failures',
    )
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: TEST_PASSWORD },
    })
    // Answered like a wrong password (test/attacks/accounts-signin-guessing.test.ts), logged as a block.
    expect(blocked.statusCode).toBe(401)
    expect(blocked.json().code).toBe('INVALID_CREDENTIALS')
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${user.id}`)
      .execute()
    expect(logged.map((r) => r.action)).toContain('auth.signin_blocked_by_risk')
  })

  it('stores a synchronously assessed sign-in once, for the timeline, without scoring it again', async () => {
    const t = await createTestApp()
    apps.push(t)
    const { user } = await t.createCustomer('timeline')
    const rows = await until(async () => {
      const found = await storedEvents(t, user.id, 'signin')
      return found.length > 0 ? found : undefined
    }, 'the stored sign-in')
    expect(rows).toHaveLength(1)
    const engine = await t.app.inject({
      url: '/api/risk/engine',
      headers: (await t.createStaff('risk_analyst')).session.headers,
    })
    expect(engine.statusCode).toBe(200)
  })
})
