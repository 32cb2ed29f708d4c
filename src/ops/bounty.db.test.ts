import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'

let t: TestApp
let admin: { email: string; session: TestSession }
let secondAdmin: { email: string; session: TestSession }
let officer: { email: string; session: TestSession }

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: response.json() as Record<string, any> }
}

const confirmTokenIn = async (email: string) => {
  const mail = await t.db
    .selectFrom('mail_outbox')
    .select('text_body')
    .where('to_address', '=', email)
    .where('subject', 'like', '%Confirm your security report')
    .orderBy('sent_at', 'desc')
    .executeTakeFirstOrThrow()
  return /\/security\/report\/confirm#(\S+)/.exec(mail.text_body)![1]!
}

/** A researcher submits and confirms a report; returns its id. */
async function confirmedReport(email: string, handle: string, title: string) {
  const submitted = await call(null, 'POST', '/api/bounty/reports', {
    email,
    handle,
    title,
    description: 'Steps to reproduce:\n1. sign in\n2. call the route with another id',
    affected: '/api/example',
  })
  expect(submitted.status).toBe(202)
  expect(
    (await call(null, 'POST', '/api/bounty/reports/confirm', { token: await confirmTokenIn(email) })).status,
  ).toBe(200)
  const list = await call(admin.session, 'GET', '/api/staff/bounty/reports?status=new')
  return list.body.reports.find((r: { title: string }) => r.title === title).id as string
}

beforeAll(async () => {
  t = await createTestApp()
  admin = await t.createStaff('security_admin')
  secondAdmin = await t.createStaff('security_admin')
  officer = await t.createStaff('compliance_officer')
})
afterAll(async () => {
  await t.close()
})

describe('bug bounty', () => {
  it('keeps a report out of triage until the researcher opens the emailed link, which works once', async () => {
    await call(null, 'POST', '/api/bounty/reports', {
      email: 'eve@researcher.example',
      handle: 'eve',
      title: 'Unconfirmed finding',
      description: 'A long enough description of the issue.',
    })
    const token = await confirmTokenIn('eve@researcher.example')
    const before = await call(admin.session, 'GET', '/api/staff/bounty/reports')
    expect(before.body.reports.map((r: { title: string }) => r.title)).not.toContain('Unconfirmed finding')
    expect((await call(null, 'POST', '/api/bounty/reports/confirm', { token })).status).toBe(200)
    const again = await call(null, 'POST', '/api/bounty/reports/confirm', { token })
    expect([again.status, again.body.code]).toEqual([404, 'BOUNTY_CONFIRM_TOKEN_INVALID'])
    const after = await call(admin.session, 'GET', '/api/staff/bounty/reports')
    expect(after.body.reports.find((r: { title: string }) => r.title === 'Unconfirmed finding').status).toBe(
      'new',
    )
  })

  it('triages with a CVSS 4.0 score computed from the vector, then fixed, rewarded by a second person, disclosed', async () => {
    const id = await confirmedReport('ana@researcher.example', 'ana', 'IDOR on tickets')
    const triaged = await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/triage`, {
      vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N',
    })
    expect(triaged.body).toMatchObject({ status: 'triaged', cvssScore: 8.7, severity: 'high' })
    const told = await t.db
      .selectFrom('mail_outbox')
      .select('text_body')
      .where('to_address', '=', 'ana@researcher.example')
      .where('subject', 'like', '%Your report was triaged')
      .executeTakeFirstOrThrow()
    expect(told.text_body).toContain('8.7 (high)')
    const early = await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/reward`, { usd: '1500' })
    expect(early.body.code).toBe('BOUNTY_WRONG_STATE')
    await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/fixed`)
    expect(
      (await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/reward`, { usd: '1500.50' })).body
        .reward,
    ).toBe('1500.50')
    const own = await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/reward/approve`)
    expect([own.status, own.body.code]).toEqual([403, 'BOUNTY_FOUR_EYES'])
    const approved = await call(officer.session, 'POST', `/api/staff/bounty/reports/${id}/reward/approve`)
    expect(approved.body).toMatchObject({ status: 'rewarded', reward: '1500.50' })
    await call(secondAdmin.session, 'POST', `/api/staff/bounty/reports/${id}/disclose`, {
      disclosure: 'Ticket ids were not checked against the signed-in customer. Fixed in 1a2b3c4.',
    })
    const publicView = await call(null, 'GET', '/api/bounty/public')
    expect(publicView.body.disclosed[0]).toMatchObject({
      title: 'IDOR on tickets',
      handle: 'ana',
      cvssScore: 8.7,
    })
    expect(JSON.stringify(publicView.body)).not.toContain('ana@researcher.example')
    expect(publicView.body.hallOfFame).toContainEqual({ handle: 'ana', reports: 1 })
    const log = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `bounty:${id}`)
      .orderBy('seq')
      .execute()
    expect(log.map((l) => l.action)).toEqual([
      'bounty.report_submitted',
      'bounty.report_confirmed',
      'bounty.report_triaged',
      'bounty.report_fixed',
      'bounty.report_reward_proposed',
      'bounty.report_rewarded',
      'bounty.report_disclosed',
    ])
  })

  it('links a duplicate to the original report and keeps it out of the hall of fame', async () => {
    const original = await confirmedReport('bo@researcher.example', 'bo', 'Open redirect at sign-in')
    const copy = await confirmedReport('cy@researcher.example', 'cy', 'Open redirect again')
    expect(
      (await call(admin.session, 'POST', `/api/staff/bounty/reports/${copy}/duplicate`, { of: copy })).status,
    ).toBe(400)
    const marked = await call(admin.session, 'POST', `/api/staff/bounty/reports/${copy}/duplicate`, {
      of: original,
    })
    expect(marked.body).toMatchObject({ status: 'duplicate', duplicateOf: original })
    const fame = (await call(null, 'GET', '/api/bounty/public')).body.hallOfFame
    expect(fame.map((f: { handle: string }) => f.handle)).not.toContain('cy')
  })

  it('refuses a vector that is not CVSS 4.0, naming the problem', async () => {
    const id = await confirmedReport('di@researcher.example', 'di', 'Bad vector test')
    const bad = await call(admin.session, 'POST', `/api/staff/bounty/reports/${id}/triage`, {
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    })
    expect([bad.status, bad.body.code]).toEqual([400, 'CVSS_VECTOR_INVALID'])
    const calc = await call(
      null,
      'GET',
      `/api/bounty/cvss?vector=${encodeURIComponent('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')}`,
    )
    expect(calc.body).toMatchObject({ score: 9.3, severity: 'critical' })
  })
})

describe('security.txt', () => {
  it('points researchers to the report form, the policy and the hall of fame (RFC 9116)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/security.txt' })
    expect(response.headers['content-type']).toMatch(/^text\/plain/)
    const fields = Object.fromEntries(
      response.body
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
    )
    expect(fields.Contact).toMatch(/\/security\/report$/)
    expect(fields.Policy).toMatch(/\/security\/policy$/)
    expect(fields.Acknowledgments).toMatch(/\/security\/hall-of-fame$/)
    expect(Date.parse(fields.Expires!)).toBeGreaterThan(t.clock.now().getTime())
  })
})

describe('bug bounty submission limit', () => {
  it('rate limits anonymous report submissions per client', async () => {
    const limited = await createTestApp({ OPS_PUBLIC_RATE_LIMIT_MAX: '2' })
    try {
      const submit = () =>
        limited.app.inject({
          method: 'POST',
          url: '/api/bounty/reports',
          payload: {
            email: 'spam@example.com',
            handle: 'spam',
            title: 'Spam report',
            description: 'spam spam spam spam spam',
          },
        })
      expect((await submit()).statusCode).toBe(202)
      expect((await submit()).statusCode).toBe(202)
      expect((await submit()).statusCode).toBe(429)
    } finally {
      await limited.close()
    }
  })
})
