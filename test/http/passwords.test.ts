/**
 * The password policy and display-name rules over HTTP: the strength meter's endpoint gives the
 * same verdict sign-up applies, a configured breach API (a fake on 127.0.0.1) refuses a breached
 * password and never blocks when it is down, and names with URLs, line breaks or invisible
 * characters are refused with INVALID_DISPLAY_NAME while a good name reaches the welcome email
 * quoted and attributed.
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.ts'

const BREACHED = 'violet tram kayak harbour'
const sha1 = createHash('sha1').update(BREACHED).digest('hex').toUpperCase()

let t: TestApp
let breachApi: Server
let breachMode: 'answer' | 'down' = 'answer'
let breachRequests = 0

beforeAll(async () => {
  breachApi = createServer((request, response) => {
    breachRequests++
    if (breachMode === 'down') {
      response.writeHead(500).end()
      return
    }
    const prefix = (request.url ?? '').split('/').pop()
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(prefix === sha1.slice(0, 5) ? `${sha1.slice(5)}:120\r\nABCDEF:0` : 'ABCDEF:0')
  })
  await new Promise<void>((resolve) => breachApi.listen(0, '127.0.0.1', resolve))
  const port = (breachApi.address() as AddressInfo).port
  t = await createTestApp({
    PASSWORD_BREACH_API: `http://127.0.0.1:${port}/range/`,
    PASSWORD_BREACH_TIMEOUT_MS: '500',
  })
})
afterAll(async () => {
  await t.close()
  breachApi.closeAllConnections()
  await new Promise((resolve) => breachApi.close(resolve))
})

const signUp = (payload: { email?: string; displayName?: string; password?: string }) =>
  t.app.inject({
    method: 'POST',
    url: '/api/accounts/signup',
    payload: {
      email: `p-${crypto.randomUUID()}@example.org`,
      displayName: 'Pat Doe',
      password: 'amber quokka sails north',
      ...payload,
    },
  })

async function mailTo(to: string, subject: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const row = await t.db
      .selectFrom('mail_outbox')
      .select(['subject', 'text_body'])
      .where('to_address', '=', to)
      .execute()
    const found = row.find((r) => subject.test(r.subject))
    if (found) return found.text_body
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no mail to ${to}`)
}

describe('the password check endpoint', () => {
  it('gives the verdict sign-up applies, with the reason and advice', async () => {
    const check = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-check',
      payload: { password: 'password password password' },
    })
    expect(check.statusCode).toBe(200)
    expect(check.json()).toMatchObject({ ok: false, problem: 'common' })
    expect((await signUp({ password: 'password password password' })).json().message).toBe(
      check.json().message,
    )

    const good = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-check',
      payload: { password: 'amber quokka sails north' },
    })
    expect(good.json()).toMatchObject({ ok: true, breachCheck: 'passed' })
  })

  it('counts the email and name being typed', async () => {
    const check = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-check',
      payload: {
        password: 'Bartholomew Quinteros 1',
        email: 'x@example.org',
        displayName: 'Bartholomew Quinteros',
      },
    })
    expect(check.json()).toMatchObject({ ok: false, problem: 'guessable' })
  })

  it('uses the signed-in person’s own email and name, whatever the body says', async () => {
    const check = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/password-check',
        headers,
        payload: { password: 'Zanzibarquill2024!', email: 'someone@example.org', displayName: 'Someone' },
      })
    expect((await check({})).json()).toMatchObject({ ok: true })
    const { session } = await t.createCustomer('zanzibarquill')
    expect((await check(session.headers)).json()).toMatchObject({ ok: false, problem: 'guessable' })
  })

  it('is rate limited', async () => {
    const limited = await createTestApp({ PASSWORD_CHECK_RATE_LIMIT_MAX: '2' })
    try {
      const codes: number[] = []
      for (let i = 0; i < 3; i++) {
        const r = await limited.app.inject({
          method: 'POST',
          url: '/api/auth/password-check',
          payload: { password: 'amber quokka sails north' },
        })
        codes.push(r.statusCode)
      }
      expect(codes).toEqual([200, 200, 429])
    } finally {
      await limited.close()
    }
  })
})

describe('the breach range API (PASSWORD_BREACH_API)', () => {
  it('refuses a password it lists, at sign-up', async () => {
    breachMode = 'answer'
    const before = breachRequests
    const response = await signUp({ password: BREACHED })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'PASSWORD_REJECTED' })
    expect(response.json().message).toMatch(/data breach/)
    expect(breachRequests).toBe(before + 1)
  })

  it('never blocks a sign-up when it is down', async () => {
    breachMode = 'down'
    expect((await signUp({ password: BREACHED })).statusCode).toBe(202)
    breachMode = 'answer'
  })
})

describe('display names', () => {
  it.each([
    ['a URL', 'Claim your prize at https://evil.example'],
    ['a domain', 'Win at evil.com'],
    ['a line break', 'Pat\nSupport: reply with your code'],
    ['a right-to-left override', 'Pat\u202Egnp.exe'],
    ['a zero-width space', 'Pat\u200BDoe'],
  ])('refuses a name with %s at sign-up', async (_, displayName) => {
    const response = await signUp({ displayName })
    expect(response.statusCode).toBe(400)
    expect(['INVALID_DISPLAY_NAME', 'INVALID_INPUT']).toContain(response.json().code)
  })

  it('says INVALID_DISPLAY_NAME for names that carry a URL or an invisible format character, are too long or blank', async () => {
    for (const displayName of [
      'Win at evil.com',
      'Pat\u202Egnp.exe',
      'Pat\u200BDoe',
      'see www.example',
      'x'.repeat(101),
      '   ',
    ]) {
      expect((await signUp({ displayName })).json().code).toBe('INVALID_DISPLAY_NAME')
    }
  })

  it('refuses such a name in a staff invitation', async () => {
    const admin = await t.createStaff('security_admin')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/staff/members',
      headers: admin.session.headers,
      payload: {
        email: `s-${crypto.randomUUID()}@example.org`,
        displayName: 'Support at bit.ly',
        role: 'support',
      },
    })
    expect(response.json().code).toBe('INVALID_DISPLAY_NAME')
  })

  it('quotes a good name in the welcome email and says who typed it', async () => {
    const email = `welcome-${crypto.randomUUID()}@example.org`
    expect((await signUp({ email, displayName: 'Pat "Support" Doe' })).statusCode).toBe(202)
    const text = await mailTo(email, /Confirm your email/)
    expect(text).toContain('The name given for this account: "Pat \u201DSupport\u201D Doe"')
    expect(text).toContain('typed by whoever opened the account')
    expect(text).not.toContain('Welcome to Bulwark, Pat')
  })
})

describe('text a person typed, in alert emails', () => {
  it('quotes an API key label and says who typed it', async () => {
    const { email, session } = await t.createCustomer('labels')
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/api-keys',
      headers: session.headers,
      payload: { label: 'Support: call +1 555 0100', permissions: ['read'], passphrase: 'bot-passphrase' },
    })
    expect(created.statusCode).toBe(201)
    const text = await mailTo(email, /API key/)
    expect(text).toContain('label: "Support: call +1 555 0100" (typed by whoever made the change)')
  })
})
