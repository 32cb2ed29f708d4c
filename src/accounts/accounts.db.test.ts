import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { type SmtpSink, startSmtpServer } from '../../test/support/smtp.ts'
import { signRequest } from './api-signature.ts'
import { canWithdrawTo, confirmSensitiveAction, withdrawalLock } from './index.ts'
import { totpCodeAt } from './totp.ts'

let t: TestApp
let smtp: SmtpSink
beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://localhost:8080' })
})
afterAll(async () => {
  await t.close()
  await smtp.close()
})

const HOUR = 3_600_000
const PASSWORD = 'harbour lantern quietly 42'
let counter = 0

import type { Response as Reply } from 'light-my-request'

/** A browser: keeps cookies (session, CSRF, device) and sends the CSRF header like the web app. */
function browser(userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0') {
  const jar = new Map<string, string>()
  async function request(
    method: string,
    url: string,
    payload?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Reply> {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await t.app.inject({
      method: method as 'GET',
      url,
      headers: {
        'user-agent': userAgent,
        ...(cookie ? { cookie } : {}),
        ...(jar.get('bulwark_csrf') ? { 'x-csrf-token': jar.get('bulwark_csrf')! } : {}),
        ...extra,
      },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    for (const c of response.cookies as Array<{ name: string; value: string }>) jar.set(c.name, c.value)
    return response
  }
  return {
    jar,
    request,
    get: (url: string) => request('GET', url),
    post: (url: string, body: unknown = {}) => request('POST', url, body),
  }
}

function linkToken(text: string, path: string): string {
  const match = new RegExp(`${path}#([A-Za-z0-9_-]+)`).exec(text)
  if (!match) throw new Error(`no ${path} link in: ${text}`)
  return match[1]!
}

/** Signs up, confirms by the emailed link and signs in; returns the browser (first device, trusted). */
async function registeredCustomer() {
  const email = `cust-${++counter}@example.org`
  const b = browser()
  expect(
    (await b.post('/api/accounts/signup', { email, displayName: 'Cust', password: PASSWORD })).statusCode,
  ).toBe(202)
  const token = linkToken((await smtp.last(email, /Confirm your email/)).text, '/signup/confirm')
  expect((await b.post('/api/accounts/confirm-email', { token })).statusCode).toBe(200)
  const signin = await b.post('/api/auth/signin', { email, password: PASSWORD })
  expect(signin.statusCode).toBe(200)
  return { email, b, id: signin.json().user.id as string }
}

async function enableTotp(b: ReturnType<typeof browser>) {
  const setup = (await b.post('/api/accounts/totp/setup')).json()
  const confirm = await b.post('/api/accounts/totp/confirm', {
    code: totpCodeAt(setup.secret, t.clock.now()),
  })
  expect(confirm.statusCode).toBe(200)
  t.clock.advance(30_000)
  return { secret: setup.secret as string, recoveryCodes: confirm.json().recoveryCodes as string[] }
}

/** A fresh code: one step later than any code used so far. */
function nextCode(secret: string) {
  t.clock.advance(30_000)
  return totpCodeAt(secret, t.clock.now())
}

describe('sign-up, confirmation and enumeration safety', () => {
  it('answers sign-up the same for a new and a taken email, and mails each mailbox', async () => {
    const { email } = await registeredCustomer()
    const again = await browser().post('/api/accounts/signup', {
      email,
      displayName: 'X',
      password: PASSWORD,
    })
    const fresh = await browser().post('/api/accounts/signup', {
      email: `new-${++counter}@example.org`,
      displayName: 'X',
      password: PASSWORD,
    })
    expect(again.statusCode).toBe(202)
    expect(again.json()).toEqual(fresh.json())
    expect((await smtp.last(email, /tried to open a Bulwark account/)).text).toContain(
      'already have an account',
    )
  })

  it('answers a reset request the same for known and unknown emails', async () => {
    const { email } = await registeredCustomer()
    const known = await browser().post('/api/accounts/password-reset', { email })
    const unknown = await browser().post('/api/accounts/password-reset', { email: 'nobody-here@example.org' })
    expect([known.statusCode, unknown.statusCode]).toEqual([202, 202])
    expect(known.json()).toEqual(unknown.json())
    await smtp.last(email, /Reset your Bulwark password/)
    expect(smtp.to('nobody-here@example.org')).toHaveLength(0)
  })

  it('refuses a breached password at sign-up and a sign-in before the email is confirmed', async () => {
    const weak = await browser().post('/api/accounts/signup', {
      email: 'w@example.org',
      displayName: 'W',
      password: 'baseball12345678',
    })
    expect(weak.json().code).toBe('PASSWORD_REJECTED')
    const email = `unconfirmed-${++counter}@example.org`
    const b = browser()
    await b.post('/api/accounts/signup', { email, displayName: 'U', password: PASSWORD })
    expect((await b.post('/api/auth/signin', { email, password: PASSWORD })).json().code).toBe(
      'EMAIL_NOT_CONFIRMED',
    )
  })

  it('puts the anti-phishing code in every email once set', async () => {
    const { email, b } = await registeredCustomer()
    expect((await smtp.last(email, /Confirm your email/)).text).toContain('Anti-phishing code: not set')
    expect((await b.post('/api/accounts/anti-phishing', { code: 'Lynx2026' })).statusCode).toBe(200)
    expect((await smtp.last(email, /Security alert/)).text).toMatch(
      /^Your Bulwark anti-phishing code: Lynx2026/,
    )
  })
})

describe('two-factor authentication', () => {
  it('asks for the code at sign-in and refuses the same code twice', async () => {
    const { email, b } = await registeredCustomer()
    const { secret } = await enableTotp(b)
    const first = await b.post('/api/auth/signin', { email, password: PASSWORD })
    expect(first.statusCode).toBe(202)
    expect(first.json()).toMatchObject({
      status: 'second_factor_required',
      methods: expect.arrayContaining(['totp']),
    })
    const code = nextCode(secret)
    const ok = await b.post('/api/auth/signin/second-factor', { ticket: first.json().ticket, totpCode: code })
    expect(ok.statusCode).toBe(200)
    const second = await b.post('/api/auth/signin', { email, password: PASSWORD })
    const replay = await b.post('/api/auth/signin/second-factor', {
      ticket: second.json().ticket,
      totpCode: code,
    })
    expect(replay.json().code).toBe('SECOND_FACTOR_INVALID')
  })

  it('locks second-factor attempts for 15 minutes after five wrong codes, and alerts', async () => {
    const { email, b } = await registeredCustomer()
    const { secret } = await enableTotp(b)
    const ticket = (await b.post('/api/auth/signin', { email, password: PASSWORD })).json().ticket
    const codes: string[] = []
    for (let i = 0; i < 5; i++)
      codes.push((await b.post('/api/auth/signin/second-factor', { ticket, totpCode: '000000' })).json().code)
    expect(codes).toEqual([...Array(4).fill('SECOND_FACTOR_INVALID'), 'TWO_FACTOR_LOCKED'])
    const right = await b.post('/api/auth/signin/second-factor', { ticket, totpCode: nextCode(secret) })
    expect(right.json().code).toBe('TWO_FACTOR_LOCKED')
    expect((await smtp.last(email, /Several wrong two-factor codes/)).text).toContain('wasnt-me#')
    t.clock.advance(15 * 60_000)
    const fresh = (await b.post('/api/auth/signin', { email, password: PASSWORD })).json().ticket
    expect(
      (await b.post('/api/auth/signin/second-factor', { ticket: fresh, totpCode: nextCode(secret) }))
        .statusCode,
    ).toBe(200)
  })

  it('accepts a recovery code once', async () => {
    const { email, b } = await registeredCustomer()
    const { recoveryCodes } = await enableTotp(b)
    const code = recoveryCodes[3]!
    const one = (await b.post('/api/auth/signin', { email, password: PASSWORD })).json().ticket
    expect(
      (await b.post('/api/auth/signin/second-factor', { ticket: one, recoveryCode: code })).statusCode,
    ).toBe(200)
    const two = (await b.post('/api/auth/signin', { email, password: PASSWORD })).json().ticket
    expect(
      (await b.post('/api/auth/signin/second-factor', { ticket: two, recoveryCode: code })).json().code,
    ).toBe('SECOND_FACTOR_INVALID')
  })

  it('never lets a password reset bypass the second factor, and locks withdrawals 72 h after it', async () => {
    const { email, b, id } = await registeredCustomer()
    const { secret } = await enableTotp(b)
    await browser().post('/api/accounts/password-reset', { email })
    const token = linkToken((await smtp.last(email, /Reset your Bulwark password/)).text, '/password-reset')
    const newPassword = 'another long phrase of mine 7'
    const without = await browser().post('/api/accounts/password-reset/complete', {
      token,
      password: newPassword,
    })
    expect(without.json().code).toBe('SECOND_FACTOR_REQUIRED')
    const wrong = await browser().post('/api/accounts/password-reset/complete', {
      token,
      password: newPassword,
      totpCode: '123456',
    })
    expect(wrong.json().code).toBe('SECOND_FACTOR_INVALID')
    const ok = await browser().post('/api/accounts/password-reset/complete', {
      token,
      password: newPassword,
      totpCode: nextCode(secret),
    })
    expect(ok.statusCode).toBe(200)
    const lock = await withdrawalLock({ db: t.db }, id, t.clock.now())
    expect(lock.reason).toBe('account_recovered')
    expect(lock.until!.getTime() - t.clock.now().getTime()).toBe(72 * HOUR)
    expect((await b.get('/api/accounts/security')).statusCode).toBe(401)
  })

  it('confirmSensitiveAction requires and checks the second factor', async () => {
    const plain = await registeredCustomer()
    await expect(
      confirmSensitiveAction({ db: t.db, clock: t.clock, config: t.config }, { userId: plain.id }),
    ).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' })
    const { b, id } = await registeredCustomer()
    const { secret } = await enableTotp(b)
    const deps = { db: t.db, clock: t.clock, config: t.config }
    // Asking without a factor lists the enrolled methods and never counts as a failed attempt.
    for (let i = 0; i < 6; i++) {
      await expect(confirmSensitiveAction(deps, { userId: id })).rejects.toMatchObject({
        code: 'SECOND_FACTOR_REQUIRED',
        details: { methods: ['totp', 'recovery_code'] },
      })
    }
    await expect(confirmSensitiveAction(deps, { userId: id, totpCode: '111111' })).rejects.toMatchObject({
      code: 'SECOND_FACTOR_INVALID',
    })
    await expect(confirmSensitiveAction(deps, { userId: id, totpCode: nextCode(secret) })).resolves.toEqual({
      method: 'totp',
    })
  })
})

describe('devices', () => {
  it('holds a sign-in from a new device until the emailed link approves it, once', async () => {
    const { email, b } = await registeredCustomer()
    const other = browser('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/130.0')
    const pending = await other.post('/api/auth/signin', { email, password: PASSWORD })
    expect(pending.statusCode).toBe(202)
    expect(pending.json().status).toBe('device_approval_required')
    const ticket = pending.json().ticket
    expect((await other.post('/api/auth/signin/continue', { ticket })).statusCode).toBe(202)
    // The ticket is bound to the device cookie: another browser cannot finish this sign-in.
    expect((await browser().post('/api/auth/signin/continue', { ticket })).json().code).toBe(
      'SIGNIN_TICKET_INVALID',
    )
    const token = linkToken((await smtp.last(email, /Approve a sign-in/)).text, '/devices/approve')
    expect((await browser().post('/api/accounts/devices/approve', { token })).statusCode).toBe(200)
    expect((await browser().post('/api/accounts/devices/approve', { token })).json().code).toBe(
      'LINK_INVALID',
    )
    const done = await other.post('/api/auth/signin/continue', { ticket })
    expect(done.statusCode).toBe(200)
    expect((await smtp.last(email, /New sign-in from a device/)).text).toContain('Firefox on macOS')
    expect(t.events.filter((e) => e.type === 'device_new').map((e) => e.account)).toContain(
      done.json().user.id,
    )
    // Revoking the device ends its session at once.
    const devices = (await b.get('/api/accounts/devices')).json().devices
    const firefox = devices.find((d: { description: string }) => d.description === 'Firefox on macOS')
    expect((await b.request('DELETE', `/api/accounts/devices/${firefox.id}`)).json().sessionsEnded).toBe(1)
    expect((await other.get('/api/accounts/security')).statusCode).toBe(401)
  })

  it('refuses an approval link after 10 minutes', async () => {
    const { email } = await registeredCustomer()
    await browser('curl/8').post('/api/auth/signin', { email, password: PASSWORD })
    const token = linkToken((await smtp.last(email, /Approve a sign-in/)).text, '/devices/approve')
    t.clock.advance(10 * 60_000)
    expect((await browser().post('/api/accounts/devices/approve', { token })).json().code).toBe(
      'LINK_INVALID',
    )
  })

  it('issues a fresh session at each sign-in, ending the presented one (no fixation)', async () => {
    const { email, b } = await registeredCustomer()
    const before = b.jar.get('bulwark_session')!
    expect((await b.post('/api/auth/signin', { email, password: PASSWORD })).statusCode).toBe(200)
    expect(b.jar.get('bulwark_session')).not.toBe(before)
    const stale = await t.app.inject({
      url: '/api/accounts/security',
      headers: { cookie: `bulwark_session=${before}` },
    })
    expect(stale.statusCode).toBe(401)
  })

  it('refuses a state change without the CSRF header', async () => {
    const { b } = await registeredCustomer()
    const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/anti-phishing',
      headers: { cookie },
      payload: { code: 'Abcd1234' },
    })
    expect(response.json().code).toBe('CSRF_TOKEN_INVALID')
  })
})

describe('withdrawal whitelist and locks', () => {
  const address = '0x52908400098527886E0F7030069857D2E4169EE7'
  const other = '0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe'

  it('refuses every whitelist bypass', async () => {
    const { b, id, email } = await registeredCustomer()
    const { secret } = await enableTotp(b)
    const noFactor = await b.post('/api/accounts/whitelist', { network: 'ethereum', address, label: 'cold' })
    expect(noFactor.json().code).toBe('SECOND_FACTOR_REQUIRED')
    expect(
      (await b.post('/api/accounts/whitelist/mode', { enabled: true, totpCode: nextCode(secret) })).json()
        .enabled,
    ).toBe(true)
    const added = await b.post('/api/accounts/whitelist', {
      network: 'ethereum',
      address,
      label: 'cold',
      totpCode: nextCode(secret),
    })
    expect(added.statusCode).toBe(201)
    const addedAt = t.clock.now().getTime()
    const at = (h: number) => new Date(addedAt + h * HOUR)
    // Added 23 h ago: not yet usable (and the change itself locks withdrawals 24 h).
    t.clock.set(at(23))
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', address, at(23))).toMatchObject({
      allowed: false,
      code: 'WITHDRAWAL_LOCKED',
    })
    const lockEnd = (await withdrawalLock({ db: t.db }, id, at(23))).until!.getTime()
    const afterLock = new Date(Math.max(lockEnd, addedAt + 24 * HOUR))
    expect(
      await canWithdrawTo({ db: t.db }, id, 'ethereum', address, new Date(afterLock.getTime() - 1)),
    ).toMatchObject({ allowed: false })
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', address, afterLock)).toEqual({ allowed: true })
    // Case-changed address: a broken checksum, refused rather than "normalised" into the entry.
    const caseChanged = address.replace('E7', 'e7')
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', caseChanged, afterLock)).toMatchObject({
      allowed: false,
      code: 'ADDRESS_INVALID',
    })
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', other, afterLock)).toMatchObject({
      code: 'ADDRESS_NOT_WHITELISTED',
    })
    // Turning the whitelist off waits 24 h (sign in again: the old session has expired meanwhile).
    t.clock.set(afterLock)
    const ticket = (await b.post('/api/auth/signin', { email, password: PASSWORD })).json().ticket
    expect(
      (await b.post('/api/auth/signin/second-factor', { ticket, totpCode: nextCode(secret) })).statusCode,
    ).toBe(200)
    const off = await b.post('/api/accounts/whitelist/mode', { enabled: false, totpCode: nextCode(secret) })
    expect(off.json()).toMatchObject({ enabled: true, requested: true })
    const offAt = t.clock.now().getTime()
    const justBefore = new Date(offAt + 24 * HOUR - 1)
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', other, justBefore)).toMatchObject({
      allowed: false,
    })
    expect(await canWithdrawTo({ db: t.db }, id, 'ethereum', other, new Date(offAt + 24 * HOUR))).toEqual({
      allowed: true,
    })
  })

  it('extends the lock with each new trigger', async () => {
    const { b, id, email } = await registeredCustomer()
    await b.post('/api/accounts/anti-phishing', { code: 'First1' })
    const first = (await withdrawalLock({ db: t.db }, id, t.clock.now())).until!
    t.clock.advance(11 * HOUR)
    await b.post('/api/auth/signin', { email, password: PASSWORD })
    expect((await b.post('/api/accounts/anti-phishing', { code: 'Second2' })).statusCode).toBe(200)
    const second = (await withdrawalLock({ db: t.db }, id, t.clock.now())).until!
    expect(second.getTime() - first.getTime()).toBe(11 * HOUR)
    const shown = (await b.get('/api/accounts/security')).json().withdrawalLock
    expect(shown).toEqual({ locked: true, until: second.toISOString(), reason: 'anti_phishing_changed' })
  })

  it('audits a protection change twice: the lock by the system, the change by the customer', async () => {
    const { b, id } = await registeredCustomer()
    const at = t.clock.now()
    expect((await b.post('/api/accounts/anti-phishing', { code: 'Audit1' })).statusCode).toBe(200)
    const entries = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target', 'details'])
      .where('target', '=', `user:${id}`)
      .where('action', 'in', ['accounts.withdrawal_locked', 'accounts.anti_phishing_code_set'])
      .orderBy('seq')
      .execute()
    expect(entries).toEqual([
      {
        actor: 'system',
        action: 'accounts.withdrawal_locked',
        target: `user:${id}`,
        details: { reason: 'anti_phishing_changed', until: new Date(at.getTime() + 24 * HOUR).toISOString() },
      },
      {
        actor: `user:${id}`,
        action: 'accounts.anti_phishing_code_set',
        target: `user:${id}`,
        details: { first: true },
      },
    ])
  })
})

describe('API keys', () => {
  async function keyFor(permissions: string[], allowedIps: string[] = []) {
    const { b, id } = await registeredCustomer()
    const created = await b.post('/api/accounts/api-keys', {
      label: 'bot',
      permissions,
      allowedIps,
      passphrase: 'bot-passphrase',
    })
    expect(created.statusCode).toBe(201)
    return { b, userId: id, ...(created.json() as { accessKey: string; secret: string }) }
  }
  function signed(
    key: { accessKey: string; secret: string },
    method: string,
    url: string,
    body = '',
    at = t.clock.now(),
  ) {
    const timestamp = at.toISOString()
    return {
      method: method as 'GET',
      url,
      headers: {
        'bw-access-key': key.accessKey,
        'bw-access-passphrase': 'bot-passphrase',
        'bw-access-timestamp': timestamp,
        'bw-access-sign': signRequest(key.secret, { timestamp, method, path: url, body }),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { payload: body } : {}),
    }
  }

  it('authenticates a signed request and refuses it replayed, stale or tampered', async () => {
    const key = await keyFor(['read'])
    const request = signed(key, 'GET', '/api/v1/account')
    const ok = await t.app.inject(request)
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ id: key.userId, authMethod: 'api_key' })
    expect((await t.app.inject(request)).json().code).toBe('API_SIGNATURE_REPLAYED')
    const old = signed(key, 'GET', '/api/v1/account', '', new Date(t.clock.now().getTime() - 31_000))
    expect((await t.app.inject(old)).json().code).toBe('API_TIMESTAMP_STALE')
    const tampered = signed(key, 'GET', '/api/v1/account')
    expect((await t.app.inject({ ...tampered, url: '/api/v1/account?x=1' })).json().code).toBe(
      'API_SIGNATURE_INVALID',
    )
    // An API key never reaches account security.
    expect((await t.app.inject(signed(key, 'GET', '/api/accounts/security'))).json().code).toBe(
      'API_KEY_NOT_ALLOWED',
    )
  })

  it('limits withdraw keys to their IPs and refuses a tampered body', async () => {
    const { b } = await registeredCustomer()
    const refused = await b.post('/api/accounts/api-keys', {
      label: 'w',
      permissions: ['withdraw'],
      passphrase: 'bot-passphrase',
    })
    expect(refused.json().code).toBe('API_KEY_IPS_REQUIRED')
    const { secret } = await enableTotp(b)
    const created = await b.post('/api/accounts/api-keys', {
      label: 'w',
      permissions: ['withdraw'],
      allowedIps: ['10.1.2.3'],
      passphrase: 'bot-passphrase',
      totpCode: nextCode(secret),
    })
    const key = created.json()
    const body = JSON.stringify({ network: 'ethereum', address })
    const fromWrongIp = await t.app.inject(signed(key, 'POST', '/api/v1/withdrawal-check', body))
    expect(fromWrongIp.json().code).toBe('API_KEY_IP_NOT_ALLOWED')
    const fromIp = await t.app.inject({
      ...signed(key, 'POST', '/api/v1/withdrawal-check', body),
      remoteAddress: '10.1.2.3',
    })
    expect(fromIp.statusCode).toBe(200)
    const request = signed(key, 'POST', '/api/v1/withdrawal-check', body)
    const tampered = await t.app.inject({
      ...request,
      remoteAddress: '10.1.2.3',
      payload: body.replace('ethereum', 'polygon'),
    })
    expect(tampered.json().code).toBe('API_SIGNATURE_INVALID')
  })
  const address = '0x52908400098527886E0F7030069857D2E4169EE7'

  it('expires a key without IPs after 14 days unused', async () => {
    const key = await keyFor(['read'])
    t.clock.advance(14 * 24 * HOUR)
    expect((await t.app.inject(signed(key, 'GET', '/api/v1/account'))).json().code).toBe('API_KEY_EXPIRED')
  })

  it('needs the trade permission for a change and read for a lookup', async () => {
    const key = await keyFor(['read'])
    const body = JSON.stringify({ network: 'ethereum', address })
    expect((await t.app.inject(signed(key, 'POST', '/api/v1/withdrawal-check', body))).json().code).toBe(
      'API_KEY_PERMISSION',
    )
  })
})

describe('alerts and "This wasn\'t me"', () => {
  it('freezes the account: it can look, not act, withdraw or use API keys, until support unfreezes it', async () => {
    const { b, id } = await registeredCustomer()
    await b.post('/api/accounts/anti-phishing', { code: 'Locked24' })
    const key = (
      await b.post('/api/accounts/api-keys', {
        label: 'k',
        permissions: ['read'],
        passphrase: 'bot-passphrase',
      })
    ).json()
    const alerts = (await b.get('/api/accounts/alerts')).json().alerts
    const apiAlert = alerts.find((a: { kind: string }) => a.kind === 'api_key_created')
    expect(apiAlert.title).toBe('An API key was created')
    expect((await b.post(`/api/accounts/alerts/${apiAlert.id}/wasnt-me`)).statusCode).toBe(200)

    expect((await b.get('/api/accounts/security')).json().frozen).toBe(true)
    expect((await b.post('/api/accounts/anti-phishing', { code: 'Nope1234' })).json().code).toBe(
      'ACCOUNT_FROZEN',
    )
    expect(
      await canWithdrawTo(
        { db: t.db },
        id,
        'ethereum',
        '0x52908400098527886E0F7030069857D2E4169EE7',
        t.clock.now(),
      ),
    ).toMatchObject({ code: 'ACCOUNT_FROZEN' })
    const timestamp = t.clock.now().toISOString()
    const apiCall = await t.app.inject({
      url: '/api/v1/account',
      headers: {
        'bw-access-key': key.accessKey,
        'bw-access-passphrase': 'bot-passphrase',
        'bw-access-timestamp': timestamp,
        'bw-access-sign': signRequest(key.secret, {
          timestamp,
          method: 'GET',
          path: '/api/v1/account',
          body: '',
        }),
      },
    })
    // The key was created by the session the alert names, so the report revoked it for good
    // (test/attacks/accounts-wasnt-me.test.ts covers keys of other sessions).
    expect(apiCall.json().code).toBe('API_KEY_INVALID')

    const lockBefore = await withdrawalLock({ db: t.db }, id, t.clock.now())
    expect(lockBefore.locked).toBe(true)
    const analyst = await t.createStaff('risk_analyst')
    const denied = await t.app.inject({
      method: 'POST',
      url: `/api/staff/accounts/${id}/unfreeze`,
      headers: analyst.session.headers,
      payload: { note: 'checked' },
    })
    expect(denied.statusCode).toBe(403)
    const support = await t.createStaff('support')
    const frozen = (
      await t.app.inject({ url: '/api/staff/accounts/frozen', headers: support.session.headers })
    ).json().accounts
    expect(frozen.map((a: { id: string }) => a.id)).toContain(id)
    const lifted = await t.app.inject({
      method: 'POST',
      url: `/api/staff/accounts/${id}/unfreeze`,
      headers: support.session.headers,
      payload: { note: 'called the customer, it was them' },
    })
    expect(lifted.statusCode).toBe(200)
    expect(await withdrawalLock({ db: t.db }, id, t.clock.now())).toEqual(lockBefore)
    expect((await b.post('/api/accounts/anti-phishing', { code: 'Back1234' })).statusCode).toBe(200)
    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${id}`)
      .execute()
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['accounts.frozen', 'accounts.unfrozen', 'accounts.api_key_created']),
    )
  })

  it('freezes from the single-use link in an alert email', async () => {
    const { email, b } = await registeredCustomer()
    await b.post('/api/accounts/anti-phishing', { code: 'Mail1234' })
    const token = linkToken(
      (await smtp.last(email, /anti-phishing code was changed/)).text,
      '/security/wasnt-me',
    )
    expect((await browser().post('/api/accounts/wasnt-me', { token })).statusCode).toBe(200)
    expect((await browser().post('/api/accounts/wasnt-me', { token })).json().code).toBe('LINK_INVALID')
    // From the email link nobody is known to be the owner: every session ends.
    expect((await b.get('/api/accounts/security')).statusCode).toBe(401)
    await b.post('/api/auth/signin', { email, password: PASSWORD })
    expect((await b.get('/api/accounts/security')).json().frozen).toBe(true)
  })
})

describe('email change', () => {
  it('moves the account to a confirmed new address, tells the old one and locks withdrawals for 72 h', async () => {
    const { email, b, id } = await registeredCustomer()
    const newEmail = `moved-${++counter}@example.org`
    const wrong = await b.post('/api/accounts/email', { newEmail, currentPassword: 'not my password at all' })
    expect(wrong.json().code).toBe('PASSWORD_INCORRECT')
    expect((await b.post('/api/accounts/email', { newEmail, currentPassword: PASSWORD })).statusCode).toBe(
      202,
    )
    const token = linkToken(
      (await smtp.last(newEmail, /Confirm your new email/)).text,
      '/security/email/confirm',
    )
    expect((await browser().post('/api/accounts/email/confirm', { token })).statusCode).toBe(200)
    expect((await browser().post('/api/accounts/email/confirm', { token })).json().code).toBe('LINK_INVALID')
    expect((await smtp.last(email, /email address of your account was changed/)).text).toContain(newEmail)
    const lock = await withdrawalLock({ db: t.db }, id, t.clock.now())
    expect(lock).toMatchObject({ locked: true, reason: 'email_changed' })
    expect(lock.until!.getTime() - t.clock.now().getTime()).toBe(72 * HOUR)
    expect(
      (await browser().post('/api/auth/signin', { email: newEmail, password: PASSWORD })).statusCode,
    ).toBe(202)
  })
})

describe('live alerts', () => {
  it('streams alerts to an event-stream client and refuses other clients', async () => {
    const { b } = await registeredCustomer()
    expect((await b.get('/api/accounts/alerts/stream')).statusCode).toBe(406)
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const controller = new AbortController()
    const response = await fetch(`${address}/api/accounts/alerts/stream`, {
      headers: { cookie, accept: 'text/event-stream' },
      signal: controller.signal,
    })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.getReader()
    await reader.read() // ": connected"
    await b.post('/api/accounts/anti-phishing', { code: 'Live2026' })
    let text = ''
    while (!text.includes('\n\n') || !text.includes('event: alert')) {
      const chunk = await reader.read()
      text += new TextDecoder().decode(chunk.value)
    }
    const data = JSON.parse(/data: (.*)/.exec(text)![1]!)
    expect(data).toMatchObject({ kind: 'anti_phishing_changed', antiPhishingCode: 'Live2026' })
    controller.abort()
  })
})

describe('staff members', () => {
  it('can turn on TOTP for their own account, which sign-in then requires', async () => {
    const staff = await t.createStaff('security_admin', { secondFactor: false })
    const setup = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/totp/setup',
      headers: staff.session.headers,
    })
    const secret = setup.json().secret as string
    const confirm = await t.app.inject({
      method: 'POST',
      url: '/api/accounts/totp/confirm',
      headers: staff.session.headers,
      payload: { code: totpCodeAt(secret, t.clock.now()) },
    })
    expect(confirm.statusCode).toBe(200)
    const b = browser()
    const pending = await b.post('/api/auth/signin', {
      email: staff.email,
      password: 'test-password-long-enough',
    })
    expect(pending.json().status).toBe('second_factor_required')
    const done = await b.post('/api/auth/signin/second-factor', {
      ticket: pending.json().ticket,
      totpCode: nextCode(secret),
    })
    expect(done.json().permissions).toContain('staff.manage')
    // Customer-only parts stay closed to staff.
    expect((await b.get('/api/accounts/whitelist')).json().code).toBe('CUSTOMERS_ONLY')
  })
})
