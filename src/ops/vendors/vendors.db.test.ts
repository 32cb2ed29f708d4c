import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { remindersFor } from './register.ts'

let t: TestApp
let officer: Awaited<ReturnType<TestApp['createStaff']>>
let secondOfficer: Awaited<ReturnType<TestApp['createStaff']>>
let admin: Awaited<ReturnType<TestApp['createStaff']>>

const day = (offsetDays: number) =>
  new Date(t.clock.now().getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10)

function vendor(overrides: Record<string, unknown> = {}) {
  return {
    name: 'KYC Checks Ltd',
    service: 'Document verification for sign-up',
    dataAccessed: ['personal', 'kyc_documents'],
    riskTier: 'high',
    questionnaire: {
      encryptsAtRest: true,
      enforcesMfa: true,
      hasIncidentResponsePlan: true,
      usesSubprocessors: false,
      breachNoticeHours: 72,
    },
    certification: 'ISO/IEC 27001',
    certificationExpiresOn: day(20),
    contractExpiresOn: day(400),
    nextReviewOn: day(-1),
    ...overrides,
  }
}

beforeAll(async () => {
  t = await createTestApp()
  officer = await t.createStaff('compliance_officer')
  secondOfficer = await t.createStaff('compliance_officer')
  admin = await t.createStaff('security_admin')
}, 120_000)
afterAll(() => t.close())

async function list() {
  const response = await t.app.inject({
    method: 'GET',
    url: '/api/staff/vendors',
    headers: officer.session.headers,
  })
  expect(response.statusCode).toBe(200)
  return response.json().vendors as Array<Record<string, unknown>>
}

describe('vendor register', () => {
  let id: string

  it('registers a vendor as pending, with reminders for a certification expiring soon and a review due', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/staff/vendors',
      headers: admin.session.headers,
      payload: vendor(),
    })
    expect(created.statusCode).toBe(201)
    id = created.json().id
    const [v] = await list()
    expect(v).toMatchObject({
      id,
      name: 'KYC Checks Ltd',
      status: 'pending',
      riskTier: 'high',
      dataAccessed: ['personal', 'kyc_documents'],
    })
    expect(v!.reminders).toEqual(['certification_expiring', 'review_due'])
  })

  it('refuses a second vendor with the same name', async () => {
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/staff/vendors',
      headers: admin.session.headers,
      payload: vendor(),
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('VENDOR_EXISTS')
  })

  it('lets a compliance officer approve it, but not the person who made the last change', async () => {
    const changed = await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}`,
      headers: officer.session.headers,
      payload: vendor({ nextReviewOn: day(180) }),
    })
    expect(changed.statusCode).toBe(200)
    const own = await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}/decision`,
      headers: officer.session.headers,
      payload: { decision: 'approved', note: 'Reviewed the questionnaire' },
    })
    expect(own.statusCode).toBe(403)
    expect(own.json().code).toBe('VENDOR_SELF_APPROVAL')
    const approved = await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}/decision`,
      headers: secondOfficer.session.headers,
      payload: { decision: 'approved', note: 'ISO 27001 certificate checked' },
    })
    expect(approved.statusCode).toBe(200)
    const [v] = await list()
    expect(v).toMatchObject({
      status: 'approved',
      decidedBy: secondOfficer.user.id,
      reminders: ['certification_expiring'],
    })
  })

  it('sends a changed vendor back to pending approval', async () => {
    await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}`,
      headers: admin.session.headers,
      payload: vendor({ riskTier: 'critical', nextReviewOn: day(180) }),
    })
    const [v] = await list()
    expect(v).toMatchObject({ status: 'pending', riskTier: 'critical', decidedBy: null })
    const twice = await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}/decision`,
      headers: secondOfficer.session.headers,
      payload: { decision: 'rejected', note: 'Critical tier needs a SOC 2 report' },
    })
    expect(twice.statusCode).toBe(200)
    const repeat = await t.app.inject({
      method: 'POST',
      url: `/api/staff/vendors/${id}/decision`,
      headers: officer.session.headers,
      payload: { decision: 'approved', note: 'x' },
    })
    expect(repeat.json().code).toBe('VENDOR_NOT_PENDING')
  })

  it('records every step in the audit log', async () => {
    const rows = await t.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', 'like', 'vendor.%')
      .orderBy('seq')
      .execute()
    expect(rows.map((r) => r.action)).toEqual([
      'vendor.registered',
      'vendor.updated',
      'vendor.approved',
      'vendor.updated',
      'vendor.rejected',
    ])
    expect(new Set(rows.map((r) => r.target))).toEqual(new Set([`vendor:${id}`]))
  })

  it('validates dates and data kinds at the edge', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/staff/vendors',
      headers: admin.session.headers,
      payload: vendor({ name: 'Other', contractExpiresOn: 'next year', dataAccessed: ['everything'] }),
    })
    expect(bad.statusCode).toBe(400)
  })
})

describe('vendor reminders', () => {
  it('names expired and expiring contracts and certifications and due reviews', () => {
    expect(
      remindersFor(
        { contractExpiresOn: '2026-12-01', certificationExpiresOn: '2027-06-01', nextReviewOn: '2027-01-01' },
        '2026-12-07',
      ),
    ).toEqual(['contract_expired'])
    expect(
      remindersFor(
        { contractExpiresOn: '2027-01-06', certificationExpiresOn: '2026-12-06', nextReviewOn: '2026-12-07' },
        '2026-12-07',
      ),
    ).toEqual(['contract_expiring', 'certification_expired', 'review_due'])
    expect(
      remindersFor(
        { contractExpiresOn: '2027-01-07', certificationExpiresOn: null, nextReviewOn: '2026-12-08' },
        '2026-12-07',
      ),
    ).toEqual([])
  })
})
