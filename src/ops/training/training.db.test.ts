import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { type SmtpSink, startSmtpServer } from '../../../test/support/smtp.ts'
import { createMailer } from '../../platform/mail.ts'

let t: TestApp
let smtp: SmtpSink
let admin: Awaited<ReturnType<TestApp['createStaff']>>
let agent: Awaited<ReturnType<TestApp['createStaff']>>
let auditor: Awaited<ReturnType<TestApp['createStaff']>>

const day = (offsetDays: number) =>
  new Date(t.clock.now().getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10)

const phishingModule = (dueOn: string) => ({
  title: 'Spotting phishing',
  body: 'Every Bulwark email starts with your anti-phishing code. Check the sender and the link.',
  quiz: [
    {
      prompt: 'What does every Bulwark email start with?',
      choices: ['A logo', 'Your anti-phishing code'],
      answer: 1,
    },
    { prompt: 'A link asks for your password. You…', choices: ['report it', 'sign in'], answer: 0 },
    { prompt: 'Staff passwords may be shared with…', choices: ['nobody', 'support'], answer: 0 },
  ],
  passMark: 60,
  due: [{ role: 'support', dueOn }],
})

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp({ SMTP_URL: smtp.url })
  admin = await t.createStaff('security_admin')
  agent = await t.createStaff('support')
  auditor = await t.createStaff('auditor')
}, 120_000)
afterAll(async () => {
  await t.close()
  await smtp.close()
})

describe('training modules', () => {
  let moduleId: string

  it('lets a security admin create a module whose quiz is due for a role', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/modules',
      headers: admin.session.headers,
      payload: phishingModule(day(7)),
    })
    expect(created.statusCode).toBe(201)
    moduleId = created.json().id
  })

  it('refuses a quiz whose right answer is not one of its choices', async () => {
    const bad = phishingModule(day(7))
    bad.quiz[0]!.answer = 2
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/modules',
      headers: admin.session.headers,
      payload: bad,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('TRAINING_QUIZ_INVALID')
  })

  it('shows the module to staff of that role as due, without the answers, and to other roles not at all', async () => {
    const mine = await t.app.inject({ url: '/api/staff/training/modules', headers: agent.session.headers })
    expect(mine.statusCode).toBe(200)
    const [m] = mine.json().modules
    expect(m).toMatchObject({ id: moduleId, status: 'due', passMark: 60 })
    expect(JSON.stringify(m)).not.toContain('"answer"')
    const other = await t.app.inject({ url: '/api/staff/training/modules', headers: auditor.session.headers })
    expect(other.json().modules).toEqual([])
  })

  it('scores a failed attempt on the server, then a passing one, and records both in the audit log', async () => {
    const attempt = (answers: number[]) =>
      t.app.inject({
        method: 'POST',
        url: `/api/staff/training/modules/${moduleId}/attempts`,
        headers: agent.session.headers,
        payload: { answers },
      })
    const failed = await attempt([0, 1, 0])
    expect(failed.json()).toEqual({ score: 33, passMark: 60, passed: false })
    const passed = await attempt([1, 0, 1])
    expect(passed.json()).toEqual({ score: 66, passMark: 60, passed: true })
    const mine = await t.app.inject({ url: '/api/staff/training/modules', headers: agent.session.headers })
    expect(mine.json().modules[0].status).toBe('passed')
    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `training_module:${moduleId}`)
      .execute()
    expect(actions.map((a) => a.action).sort()).toEqual([
      'training.failed',
      'training.module_created',
      'training.passed',
    ])
  })

  it('refuses an attempt with the wrong number of answers, and a module not due for the caller’s role', async () => {
    const short = await t.app.inject({
      method: 'POST',
      url: `/api/staff/training/modules/${moduleId}/attempts`,
      headers: agent.session.headers,
      payload: { answers: [1] },
    })
    expect(short.json().code).toBe('TRAINING_ANSWERS_INVALID')
    const notMine = await t.app.inject({
      method: 'POST',
      url: `/api/staff/training/modules/${moduleId}/attempts`,
      headers: auditor.session.headers,
      payload: { answers: [1, 0, 0] },
    })
    expect(notMine.statusCode).toBe(404)
  })

  it('reports completion per role', async () => {
    const response = await t.app.inject({
      url: '/api/staff/training/completion',
      headers: auditor.session.headers,
    })
    const support = response.json().roles.find((r: { role: string }) => r.role === 'support')
    expect(support).toEqual({ role: 'support', staff: 1, modules: 1, complete: 1, overdue: 0 })
  })

  it('does not gate sensitive routes when TRAINING_GATE is off (the default), even for overdue staff', async () => {
    const overdue = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/modules',
      headers: admin.session.headers,
      payload: { ...phishingModule(day(-1)), title: 'Overdue module' },
    })
    expect(overdue.statusCode).toBe(201)
    const unfreeze = await t.app.inject({
      method: 'POST',
      url: '/api/staff/accounts/00000000-0000-4000-8000-000000000000/unfreeze',
      headers: agent.session.headers,
      payload: { note: 'Checked with the customer' },
    })
    expect(unfreeze.statusCode).toBe(404)
  })
})

describe('phishing drills', () => {
  it('sends a drill through the real mailer with an X-Bulwark-Drill header and records who clicked and who reported', async () => {
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/drills',
      headers: admin.session.headers,
      payload: { subject: 'Your mailbox is full', staffIds: [agent.user.id, auditor.user.id] },
    })
    expect(sent.statusCode).toBe(201)
    const { id, recipients } = sent.json()
    expect(recipients).toBe(2)

    const toAgent = await smtp.last(agent.email, /mailbox is full/)
    expect(toAgent.raw).toMatch(new RegExp(`^X-Bulwark-Drill: ${id}\\r?$`, 'm'))
    expect(toAgent.text).toMatch(/^Anti-phishing code: not set/)
    const toAuditor = await smtp.last(auditor.email, /mailbox is full/)
    // The links open web pages; the token is in the fragment, which browsers never send.
    const token = (mail: { text: string }, page: string) =>
      new RegExp(`https?://\\S+/training/drill/${page}#([A-Za-z0-9_-]+)`).exec(mail.text)![1]!
    const agentClick = token(toAgent, 'clicked')
    const auditorReport = token(toAuditor, 'reported')
    expect(agentClick).not.toBe(token(toAuditor, 'clicked'))
    const record = (kind: string, value: string) =>
      t.app.inject({ method: 'POST', url: `/api/training/drills/${kind}`, payload: { token: value } })

    expect((await record('click', agentClick)).statusCode).toBe(200)
    expect((await record('report', auditorReport)).json().message).toMatch(/Well spotted/)
    expect((await record('click', agentClick)).statusCode).toBe(200)
    const clicks = await t.db
      .selectFrom('audit_log')
      .select('actor')
      .where('target', '=', `training_drill:${id}`)
      .where('action', '=', 'training.drill_clicked')
      .execute()
    expect(clicks).toEqual([{ actor: `staff:${agent.user.id}` }])
    const unknown = await record('click', 'forged')
    expect(unknown.statusCode).toBe(404)

    const results = await t.app.inject({
      url: `/api/staff/training/drills/${id}`,
      headers: auditor.session.headers,
    })
    const byId = new Map(results.json().recipients.map((r: { staffId: string }) => [r.staffId, r]))
    expect(byId.get(agent.user.id)).toMatchObject({ clickedAt: expect.any(String), reportedAt: null })
    expect(byId.get(auditor.user.id)).toMatchObject({ clickedAt: null, reportedAt: expect.any(String) })
  })

  it('refuses a drill to someone who is not active staff', async () => {
    const customer = await t.createCustomer('drill')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/drills',
      headers: admin.session.headers,
      payload: { subject: 'Hello', staffIds: [customer.user.id] },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('TRAINING_DRILL_TARGET_INVALID')
  })
})

describe('extra mail headers', () => {
  it('sends only X- headers, each on one line, so a caller cannot inject another header', async () => {
    const mailer = createMailer({
      config: { SMTP_URL: smtp.url, MAIL_FROM: 'Bulwark <security@bulwark.local>' },
      db: t.db,
      clock: t.clock,
      antiPhishingCodeFor: async () => null,
    })
    await mailer.send({
      to: 'headers@test.bulwark',
      subject: 'Header check',
      text: 'body',
      headers: { 'X-Bulwark-Drill': 'abc\r\nBcc: victim@example.com', 'Reply-To': 'attacker@example.com' },
    })
    const mail = await smtp.last('headers@test.bulwark', /Header check/)
    expect(mail.raw).toMatch(/^X-Bulwark-Drill: abc Bcc: victim@example.com\r?$/m)
    expect(mail.raw).not.toMatch(/^Reply-To:/im)
  })
})

describe('module authoring', () => {
  it('lets a security admin read every module with its answers and edit it; the edit is audit-logged', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/staff/training/modules',
      headers: admin.session.headers,
      payload: {
        ...phishingModule(day(30)),
        title: 'Draft module',
        due: [{ role: 'auditor', dueOn: day(30) }],
      },
    })
    const { id } = created.json()
    const edited = await t.app.inject({
      method: 'PUT',
      url: `/api/staff/training/modules/${id}`,
      headers: admin.session.headers,
      payload: {
        title: 'Wallet drainers',
        body: 'A signature request can move every token you hold.',
        quiz: [
          { prompt: 'Unlimited approval to an unknown contract?', choices: ['sign', 'refuse'], answer: 1 },
        ],
        passMark: 100,
        due: [
          { role: 'auditor', dueOn: day(14) },
          { role: 'support', dueOn: day(21) },
        ],
      },
    })
    expect(edited.statusCode).toBe(200)
    const all = await t.app.inject({ url: '/api/staff/training/modules/all', headers: admin.session.headers })
    expect(all.json().modules.find((m: { id: string }) => m.id === id)).toEqual({
      id,
      title: 'Wallet drainers',
      body: 'A signature request can move every token you hold.',
      quiz: [
        { prompt: 'Unlimited approval to an unknown contract?', choices: ['sign', 'refuse'], answer: 1 },
      ],
      passMark: 100,
      due: [
        { role: 'auditor', dueOn: day(14) },
        { role: 'support', dueOn: day(21) },
      ],
    })
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('target', '=', `training_module:${id}`)
      .orderBy('seq')
      .execute()
    expect(audit).toEqual([
      { action: 'training.module_created', actor: `staff:${admin.user.id}` },
      { action: 'training.module_updated', actor: `staff:${admin.user.id}` },
    ])
    // Staff who take training do not see the answers.
    const asAuditor = await t.app.inject({
      url: '/api/staff/training/modules/all',
      headers: auditor.session.headers,
    })
    expect(asAuditor.statusCode).toBe(403)
    const missing = await t.app.inject({
      method: 'PUT',
      url: '/api/staff/training/modules/00000000-0000-4000-8000-000000000000',
      headers: admin.session.headers,
      payload: phishingModule(day(7)),
    })
    expect(missing.statusCode).toBe(404)
  })
})
