import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { permissionsOf } from '../../src/platform/rbac.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('staff management', () => {
  it('invites a member who sets a password through the single-use link and signs in', async () => {
    const admin = await t.createStaff('security_admin')
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: { email: 'New.Analyst@Example.com', displayName: 'New Analyst', role: 'risk_analyst' },
    })
    expect(invited.statusCode).toBe(201)
    const { inviteUrl, member } = invited.json()
    expect(member.email).toBe('new.analyst@example.com')
    const token = inviteUrl.split('#')[1]
    const before = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email: member.email, password: 'anything-at-all' },
    })
    expect(before.statusCode).toBe(401)

    const accept = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password: 'a long new passphrase' },
    })
    expect(accept.statusCode).toBe(200)
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password: 'another passphrase!' },
    })
    expect(again.json().code).toBe('INVITE_INVALID')
    const session = await t.signIn(member.email, 'a long new passphrase')
    const me = await t.app.inject({ url: '/api/auth/me', headers: session.headers })
    expect(me.json().user.role).toBe('risk_analyst')
    expect(me.json().permissions).toEqual(permissionsOf('risk_analyst'))
  })

  it('refuses an invitation link after 72 hours', async () => {
    const admin = await t.createStaff('security_admin')
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: { email: 'late@example.com', displayName: 'Late', role: 'support' },
    })
    t.clock.advance(72 * 3_600_000 + 1)
    const token = invited.json().inviteUrl.split('#')[1]
    const accept = await t.app.inject({
      method: 'POST',
      url: '/api/staff/invites/accept',
      payload: { token, password: 'a long new passphrase' },
    })
    expect(accept.json().code).toBe('INVITE_INVALID')
  })

  it('changes a role, ends that person’s sessions and records it in the audit log', async () => {
    const admin = await t.createStaff('security_admin')
    const target = await t.createStaff('support')
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/staff/members/${target.user.id}`,
      headers: admin.session.headers,
      payload: { role: 'auditor' },
    })
    expect(response.json().member.role).toBe('auditor')
    expect((await t.app.inject({ url: '/api/auth/me', headers: target.session.headers })).statusCode).toBe(
      401,
    )
    const entry = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'staff.role_changed')
      .where('target', '=', `user:${target.user.id}`)
      .executeTakeFirstOrThrow()
    expect(entry.details).toEqual({ from: 'support', to: 'auditor' })
    expect(entry.actor).toBe(`staff:${admin.user.id}`)
  })

  it('disables a member so they can no longer sign in, and refuses self-demotion', async () => {
    const admin = await t.createStaff('security_admin')
    const target = await t.createStaff('support')
    await t.app.inject({
      method: 'PATCH',
      url: `/api/staff/members/${target.user.id}`,
      headers: admin.session.headers,
      payload: { status: 'disabled' },
    })
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email: target.email, password: 'test-password-long-enough' },
    })
    expect(signIn.statusCode).toBe(401)
    const self = await t.app.inject({
      method: 'PATCH',
      url: `/api/staff/members/${admin.user.id}`,
      headers: admin.session.headers,
      payload: { role: 'support' },
    })
    expect(self.json().code).toBe('CANNOT_CHANGE_OWN_ROLE')
  })

  it('answers an unknown member id with 404 and a malformed one with 400', async () => {
    const admin = await t.createStaff('security_admin')
    const unknown = await t.app.inject({
      method: 'PATCH',
      url: '/api/staff/members/00000000-0000-4000-8000-000000000000',
      headers: admin.session.headers,
      payload: { role: 'support' },
    })
    expect(unknown.statusCode).toBe(404)
    const malformed = await t.app.inject({
      method: 'PATCH',
      url: '/api/staff/members/not-a-uuid',
      headers: admin.session.headers,
      payload: { role: 'support' },
    })
    expect(malformed.statusCode).toBe(400)
  })
})
