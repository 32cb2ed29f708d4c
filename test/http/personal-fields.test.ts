/**
 * People's emails and names at rest (docs/data-protection.md, "People's emails and names"): with a
 * DATA_KEK, `users.email`, `users.display_name` and a pending `email_tokens.new_email` are stored
 * sealed and every lookup by email goes through the keyed hash in `users.email_lookup`; the flows
 * that find people by email (sign-up, sign-in, reset, email change, staff pages) work unchanged.
 */
import { sql } from 'kysely'
import type { Response as Reply } from 'light-my-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { appendAudit } from '../../src/platform/audit.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { loadKek } from '../../src/platform/crypto/field-encryption.ts'
import { encryptExistingPeople, withPersonalFields } from '../../src/platform/identity/personal-fields.ts'
import { createUser } from '../../src/platform/identity/users.ts'
import { createTestApp, TEST_AUDIT_SIGNING_KEY, type TestApp } from '../support/app.ts'
import { createTestDatabase } from '../support/db.ts'
import { type SmtpSink, startSmtpServer } from '../support/smtp.ts'

const KEK = '5e'.repeat(32)
const PASSWORD = 'harbour lantern quietly 42'
const NEW_PASSWORD = 'orchard violin steadily 77'

let t: TestApp
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://localhost:8080', DATA_KEK: KEK })
})
afterAll(async () => {
  await t.close()
  await smtp.close()
})

/** A browser keeping its cookies (session, CSRF, device) and sending the CSRF header. */
function browser(app: Pick<TestApp['app'], 'inject'> = t.app) {
  const jar = new Map<string, string>()
  async function post(url: string, payload: object = {}): Promise<Reply> {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await app.inject({
      method: 'POST',
      url,
      headers: {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0',
        ...(cookie ? { cookie } : {}),
        ...(jar.get('bulwark_csrf') ? { 'x-csrf-token': jar.get('bulwark_csrf')! } : {}),
      },
      payload,
    })
    for (const c of response.cookies as Array<{ name: string; value: string }>) jar.set(c.name, c.value)
    return response
  }
  return { post }
}

function linkToken(text: string, path: string): string {
  const match = new RegExp(`${path}#([A-Za-z0-9_-]+)`).exec(text)
  if (!match) throw new Error(`no ${path} link in: ${text}`)
  return match[1]!
}

/** Every stored text of `users` and `email_tokens`, as the database holds it (nothing opened). */
async function storedText(): Promise<string> {
  const users = await sql`select * from users`.execute(t.storedDb)
  const tokens = await sql`select * from email_tokens`.execute(t.storedDb)
  return JSON.stringify([users.rows, tokens.rows]).toLowerCase()
}

describe("people's emails and names with a DATA_KEK", () => {
  it('signs up, signs in, resets a password and changes the email with no plain email or name stored', async () => {
    const email = 'Juniper.Hale@Example.org'
    const b = browser()
    const signUp = await b.post('/api/accounts/signup', {
      email,
      displayName: 'Juniper Quillfeather',
      password: PASSWORD,
    })
    expect(signUp.statusCode).toBe(202)
    const confirm = linkToken(
      (await smtp.last('juniper.hale@example.org', /Confirm your email/)).text,
      '/signup/confirm',
    )
    expect((await b.post('/api/accounts/confirm-email', { token: confirm })).statusCode).toBe(200)
    const signIn = await b.post('/api/auth/signin', {
      email: 'JUNIPER.hale@example.ORG',
      password: PASSWORD,
    })
    expect(signIn.statusCode).toBe(200)
    // What the session holds in memory is the plain email and name.
    expect(signIn.json().user).toMatchObject({
      email: 'juniper.hale@example.org',
      displayName: 'Juniper Quillfeather',
    })

    await b.post('/api/accounts/password-reset', { email: 'juniper.hale@example.org' })
    const reset = linkToken(
      (await smtp.last('juniper.hale@example.org', /Reset your Bulwark password/)).text,
      '/password-reset',
    )
    expect(
      (await b.post('/api/accounts/password-reset/complete', { token: reset, password: NEW_PASSWORD }))
        .statusCode,
    ).toBe(200)
    expect((await b.post('/api/auth/signin', { email, password: NEW_PASSWORD })).statusCode).toBe(200)

    const moved = 'Juniper.Moved@Example.net'
    expect(
      (await b.post('/api/accounts/email', { newEmail: moved, currentPassword: NEW_PASSWORD })).statusCode,
    ).toBe(202)
    // While the change waits for its link, the new address is sealed in email_tokens too.
    expect(await storedText()).not.toContain('juniper.moved@example.net')
    const change = linkToken(
      (await smtp.last('juniper.moved@example.net', /Confirm your new email/)).text,
      '/security/email/confirm',
    )
    expect((await browser().post('/api/accounts/email/confirm', { token: change })).statusCode).toBe(200)
    const fresh = browser()
    expect((await fresh.post('/api/auth/signin', { email, password: NEW_PASSWORD })).json().code).toBe(
      'INVALID_CREDENTIALS',
    )
    expect(
      (await fresh.post('/api/auth/signin', { email: moved, password: NEW_PASSWORD })).statusCode,
    ).not.toBe(401)

    const stored = await storedText()
    for (const plain of [
      'juniper.hale@example.org',
      'juniper.moved@example.net',
      'juniper quillfeather',
      'quillfeather',
    ])
      expect(stored).not.toContain(plain)
    const row = await t.storedDb
      .selectFrom('users')
      .select(['email', 'display_name', 'email_lookup'])
      .where('id', '=', signIn.json().user.id)
      .executeTakeFirstOrThrow()
    expect(row.email).toMatch(/^enc1:/)
    expect(row.display_name).toMatch(/^enc1:/)
    expect(row.email_lookup).toMatch(/^[0-9a-f]{64}$/)
  })

  it('refuses a second account for the same mailbox in another case (EMAIL_TAKEN)', async () => {
    const customer = await t.createCustomer('wren')
    const admin = await t.createStaff('security_admin')
    const invite = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: { email: customer.email.toUpperCase(), displayName: 'Wren Again', role: 'support' },
    })
    expect(invite.json().code).toBe('EMAIL_TAKEN')
    // Sign-up answers a taken email as a new one (no enumeration) and adds no second row.
    const again = await browser().post('/api/accounts/signup', {
      email: customer.email.toUpperCase(),
      displayName: 'Wren Twice',
      password: PASSWORD,
    })
    expect(again.statusCode).toBe(202)
    const count = await t.storedDb
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('display_name', 'not like', 'enc1:%')
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(0)
    expect(await storedText()).not.toContain('wren twice')
  })

  it('lets staff find a person by their whole email, in any case, and shows them opened', async () => {
    const admin = await t.createStaff('security_admin')
    const auditor = await t.createStaff('auditor')
    const members = await t.app.inject({ url: '/api/staff/members', headers: admin.session.headers })
    expect(members.statusCode).toBe(200)
    const listed = (members.json().members as Array<{ email: string }>).map((m) => m.email)
    expect(listed).toContain(auditor.email)
    expect(listed).toEqual([...listed].sort())

    await appendAudit(t.db, {
      actor: `staff:${auditor.user.id}`,
      action: 'staff.note',
      target: '',
      details: {},
    })
    const page = await t.app.inject({
      url: `/api/audit?actor=${encodeURIComponent(auditor.email.toUpperCase())}`,
      headers: auditor.session.headers,
    })
    expect(page.statusCode).toBe(200)
    const entries = page.json().entries as Array<{ actor: string }>
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.every((e) => e.actor.endsWith(auditor.user.id))).toBe(true)
    expect(page.json().people[entries[0]!.actor]).toEqual({ name: 'auditor', email: auditor.email })
    // The start of a sealed email finds nobody: its stored form says nothing about it.
    const prefix = await t.app.inject({
      url: `/api/audit?actor=${encodeURIComponent(auditor.email.slice(0, 8))}`,
      headers: auditor.session.headers,
    })
    expect(prefix.json().entries).toEqual([])
  })

  it("seals a bug-bounty reporter's email, mails the confirmation to it and shows it to security staff", async () => {
    const email = 'Finder.Quill@Research.example'
    const submitted = await t.app.inject({
      method: 'POST',
      url: '/api/bounty/reports',
      payload: {
        email,
        handle: 'quill',
        title: 'A sealed reporter address',
        description: 'Steps to reproduce: none, this is a test.',
        affected: '/api/example',
      },
    })
    expect(submitted.statusCode).toBe(202)
    const stored = await t.storedDb
      .selectFrom('ops_bounty_reports')
      .select('email')
      .where('title', '=', 'A sealed reporter address')
      .executeTakeFirstOrThrow()
    expect(stored.email).toMatch(/^enc1:/)
    const confirm = linkToken(
      (await smtp.last('finder.quill@research.example', /Confirm your security report/)).text,
      '/security/report/confirm',
    )
    const confirmed = await t.app.inject({
      method: 'POST',
      url: '/api/bounty/reports/confirm',
      payload: { token: confirm },
    })
    expect(confirmed.statusCode).toBe(200)
    const admin = await t.createStaff('security_admin')
    const list = await t.app.inject({
      url: '/api/staff/bounty/reports?status=new',
      headers: admin.session.headers,
    })
    const report = (list.json().reports as Array<{ title: string; email: string }>).find(
      (r) => r.title === 'A sealed reporter address',
    )
    expect(report?.email).toBe('finder.quill@research.example')
  })

  it('keeps a person stored before the KEK signing in, before and after encrypt-existing seals them', async () => {
    const database = await createTestDatabase()
    await createUser(database.db, {
      email: 'early@example.org',
      displayName: 'Early Bird',
      kind: 'customer',
      password: PASSWORD,
    })
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
      DATA_KEK: KEK,
    })
    const db = await withPersonalFields(database.db, loadKek(config))
    const app = await buildApp({ config, db, logger: false })
    try {
      const b = browser(app)
      expect(
        (await b.post('/api/auth/signin', { email: 'Early@Example.org', password: PASSWORD })).statusCode,
      ).toBe(200)
      // Not sealed yet, the plain row still holds the mailbox: a sign-up for it adds no second person.
      const twice = await browser(app).post('/api/accounts/signup', {
        email: 'EARLY@example.org',
        displayName: 'Early Again',
        password: PASSWORD,
      })
      expect(twice.statusCode).toBe(202)
      const people = await database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(people.n)).toBe(1)
      expect(await encryptExistingPeople(db)).toEqual({ users: 1, emailChanges: 0, bountyReports: 0 })
      const row = await database.db
        .selectFrom('users')
        .select(['email', 'display_name'])
        .executeTakeFirstOrThrow()
      expect(row.email).toMatch(/^enc1:/)
      expect(row.display_name).toMatch(/^enc1:/)
      const again = await b.post('/api/auth/signin', { email: 'early@example.org', password: PASSWORD })
      expect(again.statusCode).toBe(200)
      expect(again.json().user).toMatchObject({ email: 'early@example.org', displayName: 'Early Bird' })
      expect(await encryptExistingPeople(db)).toEqual({ users: 0, emailChanges: 0, bountyReports: 0 })
      // Sealed now: a server started without the KEK refuses to open the database.
      const withoutKek = loadConfig({ LOG_LEVEL: 'silent', AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY })
      await expect(buildApp({ config: withoutKek, db: database.db, logger: false })).rejects.toMatchObject({
        code: 'DATA_KEK_REQUIRED',
      })
    } finally {
      await app.close()
      await database.close()
    }
  })
})
