import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  amountForFiat,
  fiatForAmount,
  floatingPrice,
  formatUnits,
  parsePrice,
  parseUnits,
  ratio,
} from './money.ts'

describe('P2P money', () => {
  it('parses decimal strings into smallest units exactly', () => {
    expect(parseUnits('12.5', 6)).toBe(12_500_000n)
    expect(parseUnits('0.000001', 6)).toBe(1n)
    expect(parseUnits('100', 2)).toBe(10_000n)
    expect(parsePrice('0.9215')).toBe(92_150_000n)
  })

  it('refuses extra decimals, signs, exponents and junk instead of rounding', () => {
    expect(() => parseUnits('0.0000001', 6)).toThrow(/more than 6 decimals/)
    expect(() => parseUnits('-1', 6)).toThrow(/decimal number/)
    expect(() => parseUnits('1e3', 6)).toThrow(/decimal number/)
    expect(() => parseUnits('01.5', 6)).toThrow(/decimal number/)
  })

  it('formats and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 18 }), (v, d) => {
        expect(parseUnits(formatUnits(v, d), d)).toBe(v)
      }),
    )
  })

  it('prices an order at exact decimals and rounds fiat up for the buyer to pay', () => {
    // 100 USDT at 0.92 EUR = 92.00 EUR exactly
    expect(fiatForAmount(100_000_000n, parsePrice('0.92'), 'USDT', 'EUR')).toBe(9200n)
    // 0.000001 USDT at 0.92 EUR is a fraction of a cent: the buyer pays one cent
    expect(fiatForAmount(1n, parsePrice('0.92'), 'USDT', 'EUR')).toBe(1n)
    // 0.1 + 0.2 style traps do not exist: 0.3 USDT at 1.1 = 0.33 EUR
    expect(fiatForAmount(300_000n, parsePrice('1.1'), 'USDT', 'EUR')).toBe(33n)
  })

  it('never gives more coin for fiat than the fiat pays for', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.bigInt({ min: 1n, max: 10n ** 14n }),
        (fiat, price) => {
          const amount = amountForFiat(fiat, price, 'USDT', 'EUR')
          expect(fiatForAmount(amount, price, 'USDT', 'EUR')).toBeLessThanOrEqual(fiat)
        },
      ),
    )
  })

  it('moves a reference price by a margin in basis points', () => {
    expect(floatingPrice(parsePrice('0.92'), 150)).toBe(parsePrice('0.9338'))
    expect(floatingPrice(parsePrice('0.92'), -200)).toBe(parsePrice('0.9016'))
    expect(() => floatingPrice(parsePrice('1'), -10_000)).toThrow(/margin/)
  })

  it('writes ratios as four-decimal strings and says nothing about an empty denominator', () => {
    expect(ratio(1n, 3n)).toBe('0.3333')
    expect(ratio(2, 3)).toBe('0.6667')
    expect(ratio(0, 0)).toBeNull()
  })
})
