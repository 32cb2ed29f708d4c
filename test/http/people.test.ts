/**
 * Staff pages show people, not ids: any staff member can turn the account ids a page lists into
 * names and emails; customers cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

describe('GET /api/staff/people', () => {
  it('names the accounts behind the ids for a staff member, and refuses customers', async () => {
    const analyst = await t.createStaff('risk_analyst')
    const customer = await t.createCustomer('yann')
    const unknown = '00000000-0000-4000-8000-000000000000'
    const response = await t.app.inject({
      url: `/api/staff/people?ids=${customer.user.id},${analyst.user.id},${unknown}`,
      headers: analyst.session.headers,
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().people).toEqual({
      [customer.user.id]: { name: 'yann', email: customer.email, kind: 'customer' },
      [analyst.user.id]: { name: analyst.user.displayName, email: analyst.email, kind: 'staff' },
    })
    const asCustomer = await t.app.inject({
      url: `/api/staff/people?ids=${analyst.user.id}`,
      headers: customer.session.headers,
    })
    expect(asCustomer.statusCode).toBe(403)
  })

  it('refuses something that is not an id', async () => {
    const auditor = await t.createStaff('auditor')
    const response = await t.app.inject({
      url: '/api/staff/people?ids=alice',
      headers: auditor.session.headers,
    })
    expect(response.statusCode).toBe(400)
  })
})
