import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { canonicalAddress } from './addresses.ts'
import { signRequest, verifySignature } from './api-signature.ts'
import { lockAt, lockEnd } from './locks.ts'
import { looksLikeRecoveryCode, newRecoveryCodes, recoveryCodeDigest } from './recovery-codes.ts'
import { createSealer } from './sealing.ts'
import { newTotpSecret, totpCodeAt, verifyTotp } from './totp.ts'

const HOUR = 3_600_000

describe('TOTP', () => {
  const secret = newTotpSecret()
  const t0 = new Date('2026-03-01T12:00:10Z')
  it('accepts the current code and one step either side, not two', () => {
    expect(verifyTotp(secret, totpCodeAt(secret, t0), t0, null).valid).toBe(true)
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(t0.getTime() - 30_000)), t0, null).valid).toBe(true)
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(t0.getTime() + 30_000)), t0, null).valid).toBe(true)
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(t0.getTime() - 90_000)), t0, null).valid).toBe(
      false,
    )
  })
  it('refuses a code for a step at or before the last one used (replay)', () => {
    const first = verifyTotp(secret, totpCodeAt(secret, t0), t0, null)
    if (!first.valid) throw new Error('expected a valid code')
    expect(verifyTotp(secret, totpCodeAt(secret, t0), t0, first.step)).toEqual({ valid: false, replay: true })
    const earlier = totpCodeAt(secret, new Date(t0.getTime() - 30_000))
    expect(verifyTotp(secret, earlier, t0, first.step)).toEqual({ valid: false, replay: true })
  })
  it('matches the RFC 6238 SHA-1 test vector', async () => {
    const { generateSync, createGuardrails } = await import('otplib')
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' // "12345678901234567890"
    expect(generateSync({ secret: rfcSecret, epoch: 59, digits: 8, guardrails: createGuardrails({}) })).toBe(
      '94287082',
    )
  })
})

describe('recovery codes', () => {
  it('makes ten distinct codes that verify in any case, with or without the dash', () => {
    const codes = newRecoveryCodes()
    expect(new Set(codes).size).toBe(10)
    const code = codes[0]!
    expect(looksLikeRecoveryCode(code)).toBe(true)
    expect(recoveryCodeDigest(code.toLowerCase().replace('-', ''))).toBe(recoveryCodeDigest(code))
    expect(recoveryCodeDigest(codes[1]!)).not.toBe(recoveryCodeDigest(code))
  })
})

describe('withdrawal addresses', () => {
  const evm = '0x52908400098527886E0F7030069857D2E4169EE7'
  it('accepts an EIP-55 address and an all-lower-case one, as the same canonical address', () => {
    expect(canonicalAddress('ethereum', evm)).toEqual({ ok: true, canonical: evm })
    expect(canonicalAddress('ethereum', evm.toLowerCase())).toEqual({ ok: true, canonical: evm })
  })
  it('refuses a mixed-case EVM address with a broken checksum', () => {
    const broken = evm.replace('E7', 'e7')
    expect(canonicalAddress('ethereum', broken).ok).toBe(false)
  })
  it('validates Bitcoin base58, bech32 (v0) and bech32m (v1) addresses', () => {
    expect(canonicalAddress('bitcoin', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2').ok).toBe(true)
    expect(canonicalAddress('bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4').ok).toBe(true)
    expect(canonicalAddress('bitcoin', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toEqual({
      ok: true,
      canonical: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    })
    expect(
      canonicalAddress('bitcoin', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0').ok,
    ).toBe(true)
  })
  it('refuses a bech32 checksum typo, bech32 used for v1, a case-changed base58 address and other networks', () => {
    expect(canonicalAddress('bitcoin', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5').ok).toBe(false)
    expect(
      canonicalAddress(
        'bitcoin',
        'bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx',
      ).ok,
    ).toBe(false)
    expect(canonicalAddress('bitcoin', '1bvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2').ok).toBe(false)
    expect(canonicalAddress('bitcoin-testnet', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2').ok).toBe(false)
    expect(canonicalAddress('ethereum', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2').ok).toBe(false)
  })
})

describe('withdrawal locks', () => {
  const t = new Date('2026-05-01T00:00:00Z')
  it('locks for 24 h after a password change, unlocking exactly at the end', () => {
    const records = [{ reason: 'password_changed', startedAt: t, until: lockEnd('password_changed', t) }]
    expect(lockAt(records, new Date(t.getTime() + 24 * HOUR - 1)).locked).toBe(true)
    expect(lockAt(records, new Date(t.getTime() + 24 * HOUR)).locked).toBe(false)
  })
  it('extends with each new trigger and is never shortened by a shorter later one', () => {
    const recovery = { reason: 'account_recovered', startedAt: t, until: lockEnd('account_recovered', t) }
    const later = new Date(t.getTime() + 10 * HOUR)
    const change = {
      reason: 'whitelist_changed',
      startedAt: later,
      until: lockEnd('whitelist_changed', later),
    }
    const state = lockAt([recovery, change], new Date(t.getTime() + 30 * HOUR))
    expect(state).toEqual({ locked: true, until: recovery.until, reason: 'account_recovered' })
    const twoChanges = [
      { reason: 'password_changed', startedAt: t, until: lockEnd('password_changed', t) },
      {
        reason: 'anti_phishing_changed',
        startedAt: new Date(t.getTime() + 23 * HOUR),
        until: lockEnd('anti_phishing_changed', new Date(t.getTime() + 23 * HOUR)),
      },
    ]
    expect(lockAt(twoChanges, new Date(t.getTime() + 46 * HOUR)).locked).toBe(true)
    expect(lockAt(twoChanges, new Date(t.getTime() + 47 * HOUR)).locked).toBe(false)
  })
})

describe('API signatures', () => {
  const secret = 'a-very-secret-hmac-key-of-the-client'
  const now = new Date('2026-05-01T10:00:00.000Z')
  const request = {
    timestamp: now.toISOString(),
    method: 'POST',
    path: '/api/v1/withdrawal-check',
    body: '{"a":1}',
  }
  it('accepts a request signed as documented: Base64(HMAC-SHA256(secret, timestamp + METHOD + path + body))', () => {
    const independent = base64.encode(
      hmac(
        sha256,
        utf8ToBytes(secret),
        utf8ToBytes(`${request.timestamp}POST/api/v1/withdrawal-check{"a":1}`),
      ),
    )
    expect(signRequest(secret, request)).toBe(independent)
    expect(verifySignature(secret, request, independent, now)).toEqual({ ok: true })
  })
  it('refuses a tampered body, path or method', () => {
    const sig = signRequest(secret, request)
    expect(verifySignature(secret, { ...request, body: '{"a":2}' }, sig, now)).toMatchObject({
      code: 'API_SIGNATURE_INVALID',
    })
    expect(verifySignature(secret, { ...request, path: '/api/v1/account' }, sig, now)).toMatchObject({
      code: 'API_SIGNATURE_INVALID',
    })
    expect(verifySignature(secret, { ...request, method: 'GET' }, sig, now)).toMatchObject({
      code: 'API_SIGNATURE_INVALID',
    })
  })
  it('refuses timestamps more than 30 s away', () => {
    const sig = signRequest(secret, request)
    expect(verifySignature(secret, request, sig, new Date(now.getTime() + 30_000)).ok).toBe(true)
    expect(verifySignature(secret, request, sig, new Date(now.getTime() + 30_001))).toMatchObject({
      code: 'API_TIMESTAMP_STALE',
    })
  })
})

describe('sealing', () => {
  it('round-trips and detects tampering', () => {
    const sealer = createSealer('11'.repeat(32), 'x')
    const sealed = sealer.seal('JBSWY3DPEHPK3PXP')
    expect(sealer.open(sealed)).toBe('JBSWY3DPEHPK3PXP')
    const parts = sealed.split('.')
    parts[2] = parts[2]!.startsWith('A') ? `B${parts[2]!.slice(1)}` : `A${parts[2]!.slice(1)}`
    expect(() => sealer.open(parts.join('.'))).toThrow()
  })
})
