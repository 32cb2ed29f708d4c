import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { mailerFor } from '../accounts/index.ts'
import { createOps } from './index.ts'

let t: TestApp
let admin: { email: string; session: TestSession }

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  const json: unknown = response.headers['content-type']?.toString().includes('json') ? response.json() : {}
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: json as Record<string, any>, raw: response }
}

const day = (offsetDays: number) =>
  new Date(t.clock.now().getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  t = await createTestApp()
  admin = await t.createStaff('security_admin')
})
afterAll(async () => {
  await t.close()
})

describe('third-party audit register', () => {
  it('stores the report with its SHA-256 and lists only completed audits publicly, with open and closed counts', async () => {
    const report = new TextEncoder().encode('%PDF-1.7 Hacken audit of Bulwark custody')
    const done = await call(admin.session, 'POST', '/api/staff/security-audits', {
      firm: 'Hacken',
      scope: 'Custody withdrawals and signing',
      startedOn: day(-40),
      endedOn: day(-10),
      status: 'completed',
      report: { fileName: 'hacken.pdf', contentBase64: Buffer.from(report).toString('base64') },
    })
    expect(done.status).toBe(201)
    await call(admin.session, 'POST', '/api/staff/security-audits', {
      firm: 'SlowMist',
      scope: 'P2P escrow',
      startedOn: day(-1),
      status: 'in_progress',
    })
    const a = (
      await call(admin.session, 'POST', `/api/staff/security-audits/${done.body.id}/findings`, {
        title: 'Missing rate limit',
        severity: 'medium',
        owner: 'platform team',
        dueOn: day(20),
      })
    ).body.id
    await call(admin.session, 'POST', `/api/staff/security-audits/${done.body.id}/findings`, {
      title: 'Verbose error',
      severity: 'low',
      owner: 'platform team',
      dueOn: day(20),
    })
    await call(admin.session, 'POST', `/api/staff/security-audit-findings/${a}`, {
      status: 'fixed',
      fixCommit: '8debcf2',
    })
    await call(admin.session, 'POST', `/api/staff/security-audit-findings/${a}/retests`, {
      result: 'pass',
      note: 'Limit holds at 10/min.',
    })

    const publicList = await call(null, 'GET', '/api/security-audits')
    expect(publicList.body.audits).toEqual([
      expect.objectContaining({
        firm: 'Hacken',
        openFindings: 1,
        closedFindings: 1,
        reportSha256: bytesToHex(sha256(report)),
      }),
    ])
    const download = await call(admin.session, 'GET', `/api/staff/security-audits/${done.body.id}/report`)
    expect(bytesToHex(sha256(new Uint8Array(download.raw.rawPayload)))).toBe(bytesToHex(sha256(report)))
  })

  it('needs the fix commit before a finding is fixed, and a failed retest reopens it', async () => {
    const audit = (
      await call(admin.session, 'POST', '/api/staff/security-audits', {
        firm: 'Trail',
        scope: 'Accounts',
        startedOn: day(-5),
        status: 'in_progress',
      })
    ).body.id
    const finding = (
      await call(admin.session, 'POST', `/api/staff/security-audits/${audit}/findings`, {
        title: 'Weak TOTP window',
        severity: 'high',
        owner: 'accounts team',
        dueOn: day(5),
      })
    ).body.id
    const noCommit = await call(admin.session, 'POST', `/api/staff/security-audit-findings/${finding}`, {
      status: 'fixed',
    })
    expect([noCommit.status, noCommit.body.details?.field]).toEqual([400, 'fixCommit'])
    await call(admin.session, 'POST', `/api/staff/security-audit-findings/${finding}`, {
      status: 'fixed',
      fixCommit: 'abcdef1',
    })
    await call(admin.session, 'POST', `/api/staff/security-audit-findings/${finding}/retests`, {
      result: 'fail',
      note: 'Still accepts 3 steps.',
    })
    const detail = await call(admin.session, 'GET', `/api/staff/security-audits/${audit}`)
    expect(detail.body.findings[0]).toMatchObject({
      status: 'open',
      retests: [expect.objectContaining({ result: 'fail' })],
    })
  })

  it('alerts every security admin once a day about overdue findings, by email and in the audit log', async () => {
    const audit = (
      await call(admin.session, 'POST', '/api/staff/security-audits', {
        firm: 'Cure53',
        scope: 'Web app',
        startedOn: day(-30),
        endedOn: day(-20),
        status: 'completed',
      })
    ).body.id
    await call(admin.session, 'POST', `/api/staff/security-audits/${audit}/findings`, {
      title: 'Stored XSS in notes',
      severity: 'critical',
      owner: 'web team',
      dueOn: day(1),
    })
    t.clock.advance(2 * 86_400_000)
    // The job as the server's hourly timer and `bulwark ops overdue` run it, with the real mailer.
    const ops = createOps({
      db: t.db,
      clock: t.clock,
      mailer: mailerFor(t.db, t.clock, t.config),
      config: t.config,
    })
    const first = await ops.audits.alertOverdue()
    expect(first.alerted).toBeGreaterThanOrEqual(1)
    expect(first.recipients).toBe(1)
    const mail = await t.db
      .selectFrom('mail_outbox')
      .select(['subject', 'text_body'])
      .where('to_address', '=', admin.email)
      .where('subject', 'like', '%overdue')
      .executeTakeFirstOrThrow()
    expect(mail.text_body).toContain('[critical] Stored XSS in notes (Cure53), owner web team')
    expect(mail.text_body).toMatch(/anti-phishing code/i)
    expect((await ops.audits.alertOverdue()).alerted).toBe(0)
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'ops.findings_overdue_alerted')
      .execute()
    expect(logged).toHaveLength(1)
  })
})
