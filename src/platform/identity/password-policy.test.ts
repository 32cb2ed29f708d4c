import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  breachedList,
  checkPasswordLocally,
  createPasswordPolicy,
  hash53,
  type PasswordContext,
} from './password-policy.ts'

const ana: PasswordContext = {
  email: 'ana.lopez@example.com',
  displayName: 'Ana Lopez',
  hasSecondFactor: false,
}

describe('the password policy', () => {
  it('holds a breached list of at least 100,000 entries from the pinned package', () => {
    const list = breachedList()
    expect(list.size).toBeGreaterThan(1_000_000)
    for (const p of ['password', '123456', 'baseball', 'iloveyou2', 'qwertyuiop'])
      expect(list.has(p)).toBe(true)
    expect(list.has('violet tram kayak harbour')).toBe(false)
  })

  it.each([
    ['password password password', 'common'],
    ['123456789012345678', 'guessable'],
    ['correct horse battery staple', 'common'],
    ['Correct-Horse-Battery-Staple', 'common'],
    ['The quick brown fox jumps over the lazy dog', 'common'],
    ['aaaaaaaaaaaaaaaa', 'common'],
    ['baseball12345678', 'common'],
    ['1qaz2wsx3edc4rfv', 'common'],
    ['passwordpassword', 'common'],
  ])('refuses %j as %s', (password, problem) => {
    expect(checkPasswordLocally(password, ana)).toMatchObject({ ok: false, problem })
  })

  it('refuses a password zxcvbn scores below 3, with its advice', () => {
    const verdict = checkPasswordLocally('qwertyuiopasdfgh', ana)
    expect(verdict).toMatchObject({ ok: false })
    if (verdict.ok) return
    expect(['common', 'guessable']).toContain(verdict.problem)
    const guessable = checkPasswordLocally('abcdefghijklmnopq', ana)
    expect(guessable).toMatchObject({ ok: false, problem: 'guessable' })
    expect(guessable.ok === false && guessable.message).toMatch(/too easy to guess/)
  })

  it('counts the display name as guessable', () => {
    const named: PasswordContext = {
      email: 'x@example.com',
      displayName: 'Bartholomew Quinteros',
      hasSecondFactor: true,
    }
    expect(checkPasswordLocally('BartholomewQuinteros1', named)).toMatchObject({
      ok: false,
      problem: 'guessable',
    })
    expect(checkPasswordLocally('BartholomewQuinteros1', { ...named, displayName: 'X' })).toMatchObject({
      ok: true,
    })
  })

  it('needs 15 characters without a second factor and 12 with one', () => {
    expect(checkPasswordLocally('violet-tram-41', ana)).toMatchObject({ ok: false, problem: 'too_short' })
    expect(checkPasswordLocally('violet-tram-41', { ...ana, hasSecondFactor: true })).toMatchObject({
      ok: true,
    })
  })

  it('refuses a password containing the email or its local part, and caps the length at 128', () => {
    expect(checkPasswordLocally('my ana.lopez secret phrase', ana)).toMatchObject({
      problem: 'contains_email',
    })
    expect(checkPasswordLocally('x'.repeat(129), ana)).toMatchObject({ problem: 'too_long' })
  })

  it('accepts the demo and test passwords and a random passphrase', () => {
    for (const p of [
      'correct-horse-bulwark-demo',
      'test-password-long-enough',
      'harbour lantern quietly 42',
    ]) {
      expect(checkPasswordLocally(p, ana)).toMatchObject({ ok: true })
    }
  })

  it('reports no random password as listed (the hashed list has no practical false positives)', () => {
    const list = breachedList()
    let hits = 0
    for (let i = 0; i < 20_000; i++) {
      if (list.has(Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64'))) hits++
    }
    expect(hits).toBe(0)
    expect(hash53('password')).not.toBe(hash53('Password'))
  })
})

describe('the breach range API (a fake server on 127.0.0.1)', () => {
  let server: Server
  let url = ''
  const seen: string[] = []
  let mode: 'answer' | 'hang' | 'error' | 'huge' = 'answer'
  const breachedPassword = 'violet tram kayak harbour'
  const sha1 = createHash('sha1').update(breachedPassword).digest('hex').toUpperCase()

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.url ?? '')
      if (mode === 'hang') return
      if (mode === 'huge') {
        response.writeHead(200).end(`${sha1.slice(5)}:1\r\n${'0'.repeat(2_000_000)}`)
        return
      }
      if (mode === 'error') {
        response.writeHead(503).end()
        return
      }
      const prefix = (request.url ?? '').split('/').pop() ?? ''
      const lines = ['0018A45C4D1DEF81644B54AB7F969B88D65:0', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2']
      if (prefix === sha1.slice(0, 5)) lines.push(`${sha1.slice(5)}:3861493`)
      response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range/`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('refuses a password the range answer lists, sending only the 5-digit prefix', async () => {
    mode = 'answer'
    const policy = createPasswordPolicy({ breachApi: url, breachTimeoutMs: 1000 })
    const verdict = await policy.check(breachedPassword, ana)
    expect(verdict).toMatchObject({ ok: false, problem: 'breached', breachCheck: 'found' })
    expect(seen.at(-1)).toBe(`/range/${sha1.slice(0, 5)}`)
    await expect(policy.assertAcceptable(breachedPassword, ana)).rejects.toMatchObject({
      code: 'PASSWORD_REJECTED',
      details: { problem: 'breached' },
    })
  })

  it('accepts a password whose suffix is not in the answer', async () => {
    mode = 'answer'
    const policy = createPasswordPolicy({ breachApi: url, breachTimeoutMs: 1000 })
    expect(await policy.check('amber quokka sails north', ana)).toMatchObject({
      ok: true,
      breachCheck: 'passed',
    })
  })

  it('never blocks when the API times out, fails or sends an oversized answer: the local verdict stands', async () => {
    const policy = createPasswordPolicy({ breachApi: url, breachTimeoutMs: 100 })
    mode = 'hang'
    const started = Date.now()
    expect(await policy.check(breachedPassword, ana)).toMatchObject({ ok: true, breachCheck: 'unavailable' })
    expect(Date.now() - started).toBeLessThan(1000)
    mode = 'error'
    expect(await policy.check(breachedPassword, ana)).toMatchObject({ ok: true, breachCheck: 'unavailable' })
    mode = 'huge'
    expect(await policy.check(breachedPassword, ana)).toMatchObject({ ok: true, breachCheck: 'unavailable' })
    expect(await policy.check('password password password', ana)).toMatchObject({
      ok: false,
      problem: 'common',
    })
  })
})
