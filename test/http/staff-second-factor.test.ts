/**
 * Staff must enrol a second factor before any staff route answers, and then sign in with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

const sampleUrl = (url: string) => url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000')

describe('staff second factor', () => {
  it('refuses a staff member without a second factor on every staff route', async () => {
    const admin = await t.createStaff('security_admin', { secondFactor: false })
    const staffRoutes = t.app.routeTable.filter((r) => r.audience === 'staff')
    expect(staffRoutes.length).toBeGreaterThan(10)
    const answered: string[] = []
    for (const route of staffRoutes) {
      const response = await t.app.inject({
        method: route.method as 'GET',
        url: sampleUrl(route.url),
        headers: admin.session.headers,
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
      })
      if (response.statusCode !== 403 || response.json().code !== 'STAFF_SECOND_FACTOR_REQUIRED')
        answered.push(`${route.method} ${route.url}: ${response.statusCode}`)
    }
    expect(answered).toEqual([])
  })

  it('lets the staff member enrol TOTP, then opens staff routes and asks for the code at sign-in', async () => {
    const { email, session } = await t.createStaff('auditor', { secondFactor: false })
    const refused = await t.app.inject({ url: '/api/audit', headers: session.headers })
    expect(refused.json().code).toBe('STAFF_SECOND_FACTOR_REQUIRED')

    const setup = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/totp/setup',
      headers: session.headers,
    })
    expect(setup.statusCode).toBe(200)
    const secret: string = setup.json().secret
    const confirm = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/totp/confirm',
      headers: session.headers,
      payload: { code: totpCodeAt(secret, t.clock.now()) },
    })
    expect(confirm.statusCode).toBe(200)
    expect((await t.app.inject({ url: '/api/audit', headers: session.headers })).statusCode).toBe(200)

    const password = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password: 'test-password-long-enough' },
    })
    expect(password.statusCode).toBe(202)
    expect(password.json().status).toBe('second_factor_required')
  })

  it('answers staff routes for staff who signed in with their authenticator code', async () => {
    const admin = await t.createStaff('security_admin')
    expect(
      (await t.app.inject({ url: '/api/staff/members', headers: admin.session.headers })).statusCode,
    ).toBe(200)
  })

  it('holds staff invitation passwords to the customers’ password policy', async () => {
    const admin = await t.createStaff('security_admin')
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: { email: 'weak@example.com', displayName: 'Weak', role: 'support' },
    })
    const token = invited.json().inviteUrl.split('#')[1]
    for (const password of ['only-13-chars', 'passwordpassword1234', 'weak@example.com is mine']) {
      const accept = await t.app.inject({
        method: 'POST',
        url: '/api/staff/invites/accept',
        payload: { token, password },
      })
      expect(accept.json().code, password).toBe('PASSWORD_REJECTED')
    }
    const good = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password: 'a long new passphrase' },
    })
    expect(good.statusCode).toBe(200)
  })
})
