/**
 * ASVS 6.5.2: recovery codes had 50 bits and were stored as one unsalted SHA-256, which a stolen
 * database gives up to a brute force. Codes issued now carry 125 bits (25 base32 characters), above
 * the 112 bits under which a salted slow hash is required; codes stored before (10 characters)
 * still work, so nobody is locked out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recoveryCodeDigest } from '../../src/accounts/recovery-codes.ts'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts'
import { agent } from './accounts-agent.ts'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(async () => {
  await t.close()
})

async function withTwoFactor(prefix: string) {
  const { user, email } = await t.createCustomer(prefix)
  const b = agent(t)
  expect((await b.post('/api/auth/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(200)
  const setup = (await b.post('/api/accounts/totp/setup')).json()
  const confirmed = await b.post('/api/accounts/totp/confirm', {
    code: totpCodeAt(setup.secret, t.clock.now()),
  })
  expect(confirmed.statusCode).toBe(200)
  return { id: user.id, b, codes: confirmed.json().recoveryCodes as string[] }
}

describe('recovery codes', () => {
  it('are issued with at least 112 bits each: 25 base32 characters in five groups', async () => {
    const { codes } = await withTwoFactor('rc-new')
    expect(codes).toHaveLength(10)
    for (const code of codes) {
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/)
      expect(code.replace(/-/g, '').length * 5).toBeGreaterThanOrEqual(112)
    }
  })

  it('accept a new code typed without dashes in lower case, once', async () => {
    const { b, codes } = await withTwoFactor('rc-use')
    const typed = codes[3]!.replace(/-/g, '').toLowerCase()
    expect((await b.post('/api/auth/reauth', { recoveryCode: typed })).json()).toMatchObject({
      method: 'recovery_code',
    })
    expect((await b.post('/api/auth/reauth', { recoveryCode: codes[3]! })).statusCode).toBe(403)
  })

  it('still accept a code stored in the old 10-character format, so existing users are not locked out', async () => {
    const { id, b } = await withTwoFactor('rc-legacy')
    await t.db
      .insertInto('recovery_codes')
      .values({ user_id: id, code_digest: recoveryCodeDigest('7K3QD-M9XTA'), used_at: null })
      .execute()
    expect((await b.post('/api/auth/reauth', { recoveryCode: '7k3qdm9xta' })).json()).toMatchObject({
      method: 'recovery_code',
    })
    expect((await b.post('/api/auth/reauth', { recoveryCode: '7K3QD-M9XTA' })).statusCode).toBe(403)
  })

  it('refuse a short prefix of a new code', async () => {
    const { b, codes } = await withTwoFactor('rc-prefix')
    const prefix = codes[0]!.slice(0, 11)
    expect((await b.post('/api/auth/reauth', { recoveryCode: prefix })).statusCode).toBe(403)
  })
})
