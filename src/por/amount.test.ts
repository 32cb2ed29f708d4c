import { describe, expect, it } from 'vitest'
import { formatAmount, parseAmount, parseDecimal } from './amount.ts'

describe('parseAmount', () => {
  it('converts decimal units into exact smallest units', () => {
    expect(parseAmount('1.5', 8)).toBe(150_000_000n)
    expect(parseAmount('0.00000001', 8)).toBe(1n)
    expect(parseAmount('-2500', 6)).toBe(-2_500_000_000n)
    expect(parseAmount('', 8)).toBe(0n)
    expect(parseAmount('-0', 8)).toBe(0n)
    expect(parseAmount('7.', 2)).toBe(700n)
  })

  it('accepts 2^64 - 1 smallest units and refuses 2^64', () => {
    expect(parseAmount('18446744073709551615', 0)).toBe((1n << 64n) - 1n)
    expect(() => parseAmount('18446744073709551616', 0)).toThrow(/2\^64 or more/)
    expect(() => parseAmount('-18446744073709551616', 0)).toThrow(/2\^64 or more/)
    expect(() => parseAmount('18.446744073709551616', 18)).toThrow(/2\^64 or more/)
  })

  it('refuses more fraction digits than the asset has, and anything that is not a decimal', () => {
    expect(() => parseAmount('0.123', 2)).toThrow(/more than 2 decimal places/)
    for (const bad of ['1e5', '1,5', '--1', '1.2.3', '+1', '-', '.', ' 1 2']) {
      expect(() => parseAmount(bad, 8), bad).toThrow(RangeError)
    }
  })

  it('formats smallest units back to the same decimal', () => {
    for (const s of ['1.5', '0.00000001', '-2500', '0', '123456789.12345678']) {
      expect(formatAmount(parseAmount(s, 8), 8)).toBe(s)
    }
  })
})

describe('parseDecimal', () => {
  it('keeps prices and haircuts exact', () => {
    expect(parseDecimal('3200.50')).toEqual({ units: 320050n, scale: 2 })
    expect(parseDecimal('1')).toEqual({ units: 1n, scale: 0 })
    expect(() => parseDecimal('-1')).toThrow(/non-negative/)
  })
})
