/**
 * With a DATA_KEK, staff emails and names are sealed at rest, so SQL cannot order them
 * (docs/data-protection.md, "Searching"): the staff list and a phishing drill's results are sorted
 * after opening. Here the members are created out of order and read back in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
type Staff = Awaited<ReturnType<TestApp['createStaff']>>
const staff: Staff[] = []

beforeAll(async () => {
  t = await createTestApp({ DATA_KEK: '3c'.repeat(32) })
  // Emails `<role>-<n>@test.bulwark` and display names `<role>`, created in this (unsorted) order.
  for (const role of ['support', 'security_admin', 'auditor', 'risk_analyst', 'compliance_officer'] as const)
    staff.push(await t.createStaff(role))
}, 120_000)
afterAll(async () => {
  await t?.close()
})

const sorted = (values: string[]) => [...values].sort((a, b) => a.localeCompare(b))

describe('lists of sealed people', () => {
  it('keeps the names and emails sealed in the database', async () => {
    const rows = await t.storedDb
      .selectFrom('users')
      .select(['email', 'display_name'])
      .where('kind', '=', 'staff')
      .execute()
    expect(rows.length).toBeGreaterThanOrEqual(5)
    for (const row of rows) {
      expect(row.email).toMatch(/^enc1:/)
      expect(row.display_name).toMatch(/^enc1:/)
    }
  })

  it('lists staff members by email', async () => {
    const admin = staff[1]!
    const response = await t.app.inject({ url: '/api/staff/members', headers: admin.session.headers })
    expect(response.statusCode).toBe(200)
    const emails = (response.json().members as Array<{ email: string }>).map((m) => m.email)
    expect(emails).toEqual(expect.arrayContaining(staff.map((s) => s.email)))
    expect(emails).toEqual(sorted(emails))
    expect(emails[0]).toMatch(/^auditor-/)
  })

  it("shows a phishing drill's recipients by name", async () => {
    const admin = staff[1]!
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/drills',
      headers: admin.session.headers,
      payload: { subject: 'Your parcel is waiting', staffIds: staff.map((s) => s.user.id) },
    })
    expect(sent.statusCode).toBe(201)
    const results = await t.app.inject({
      url: `/api/staff/training/drills/${sent.json().id}`,
      headers: admin.session.headers,
    })
    expect(results.statusCode).toBe(200)
    const names = (results.json().recipients as Array<{ name: string }>).map((r) => r.name)
    expect(names).toEqual(['auditor', 'compliance_officer', 'risk_analyst', 'security_admin', 'support'])
  })
})
