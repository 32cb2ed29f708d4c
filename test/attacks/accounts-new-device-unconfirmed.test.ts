/**
 * Issue #13 item 5: on an account without a confirmed email (made by an operator), a sign-in from a
 * new device was trusted silently: no alert, no risk event, no withdrawal-lock extension. Now every
 * new device after the first raises all three, whatever the email state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../src/platform/identity/users.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'
import { agent, FIREFOX_WINDOWS } from './accounts-agent.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

let counter = 0
async function operatorMadeCustomer() {
  const email = `operator-made-${++counter}@test.bulwark`
  const user = await createUser(t.db, { email, displayName: 'Op', kind: 'customer', password: TEST_PASSWORD })
  return { id: user.id, email }
}

const alertsOf = async (userId: string) =>
  t.db.selectFrom('security_alerts').select(['kind', 'session_id']).where('user_id', '=', userId).execute()

describe('a new device on an account without a confirmed email', () => {
  it('raises the new-device alert and risk event, bound to the new session', async () => {
    const { id, email } = await operatorMadeCustomer()
    const home = agent(t)
    expect((await home.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
    expect(await alertsOf(id)).toEqual([])

    const stranger = agent(t, { userAgent: FIREFOX_WINDOWS, ip: '203.0.113.66' })
    const signin = await stranger.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    expect(signin.statusCode).toBe(200)
    const alerts = await alertsOf(id)
    expect(alerts.map((a) => a.kind)).toEqual(['new_device_signin'])
    expect(alerts[0]!.session_id).not.toBeNull()
    expect(t.events.filter((e) => e.type === 'device_new' && e.account === id)).toHaveLength(1)
    const listed = (await stranger.get('/api/accounts/alerts')).json().alerts
    expect(listed[0].details).toMatchObject({ device: 'Firefox on Windows', ip: '203.0.113.66' })
  })

  it('extends the withdrawal lock like a confirmed account when the password changed recently', async () => {
    const { id, email } = await operatorMadeCustomer()
    const home = agent(t)
    await home.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    const changed = await home.post('/api/accounts/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'a brand new long passphrase 77',
    })
    expect(changed.statusCode).toBe(200)
    t.clock.advance(23 * 3_600_000)

    const stranger = agent(t, { userAgent: FIREFOX_WINDOWS, ip: '203.0.113.67' })
    expect(
      (await stranger.post('/api/auth/signin', { email, password: 'a brand new long passphrase 77' }))
        .statusCode,
    ).toBe(200)
    const locks = await t.db
      .selectFrom('withdrawal_locks')
      .select(['reason'])
      .where('user_id', '=', id)
      .execute()
    expect(locks.map((l) => l.reason)).toContain('new_device_after_password_change')
    const lock = (await stranger.get('/api/accounts/withdrawal-lock')).json()
    expect(lock).toMatchObject({ locked: true, reason: 'new_device_after_password_change' })
  })

  it('stays quiet for the same device signing in again', async () => {
    const { id, email } = await operatorMadeCustomer()
    const home = agent(t)
    await home.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    await home.post('/api/auth/signin', { email, password: TEST_PASSWORD })
    expect(await alertsOf(id)).toEqual([])
  })
})
