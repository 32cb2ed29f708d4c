import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { formatAmount, parseAmount, ratioString } from './amount.ts'
import { ed25519Addresses, verifyEd25519 } from './ed25519.ts'
import { formatReserveReport, reserveReport } from './report.ts'

describe('amounts and ratios', () => {
  it('parses decimals exactly and refuses excess precision', () => {
    expect(parseAmount('1.5', 8)).toEqual({ value: 150_000_000n })
    expect(parseAmount('0.000000010', 8)).toEqual({ value: 1n })
    expect(parseAmount('0.000000001', 8)).toEqual({ error: '"0.000000001" has more than 8 decimal places' })
    expect(parseAmount('-1', 8)).toMatchObject({ error: expect.stringContaining('not a non-negative') })
    expect(formatAmount(150_000_000n, 8)).toBe('1.5')
  })

  it('truncates the ratio so 99.999 % never shows as 100 %', () => {
    expect(ratioString(99_999_999n, 100_000_000n)).toBe('0.9999')
    expect(ratioString(3n, 2n)).toBe('1.5000')
    expect(ratioString(1n, 0n)).toBeNull()
  })
})

describe('reserveReport', () => {
  it('flags every asset whose reserves are below its liabilities', () => {
    const rows = reserveReport({
      reserves: { BTC: 110_000_000n, USDT: 5_000_000n },
      liabilities: { BTC: 100_000_000n, USDT: 5_000_001n, ETH: 1n },
      decimals: { BTC: 8, USDT: 6, ETH: 18 },
    })
    expect(rows.map((r) => [r.asset, r.ratio, r.below100])).toEqual([
      ['BTC', '1.1000', false],
      ['ETH', '0.0000', true],
      ['USDT', '0.9999', true],
    ])
    expect(formatReserveReport(rows).split('\n')[3]).toMatch(/^USDT\s+5\s+5\.000001\s+0\.9999\s+BELOW 100%$/)
  })
})

describe('Ed25519 ownership', () => {
  const sk = new Uint8Array(32).fill(9)
  const pk = ed25519.getPublicKey(sk)
  const message = 'challenge'
  const sig = bytesToHex(ed25519.sign(utf8ToBytes(message), sk))

  it('accepts the key that derives the address on each chain', () => {
    for (const chain of ['solana', 'aptos', 'sui', 'near']) {
      const address = ed25519Addresses(chain, pk)[0]!
      expect(verifyEd25519(chain, address, message, sig, bytesToHex(pk))).toMatchObject({ ok: true })
    }
  })

  it('rejects a valid signature whose key does not own the address', () => {
    const other = ed25519.getPublicKey(new Uint8Array(32).fill(8))
    const result = verifyEd25519(
      'solana',
      ed25519Addresses('solana', other)[0]!,
      message,
      sig,
      bytesToHex(pk),
    )
    expect(result).toMatchObject({ ok: false })
    expect(!result.ok && result.reason).toContain('derives')
  })
})
