/**
 * @module Exact decimal amounts. Snapshot cells are decimal strings in whole units ("-1.25"); the tree holds
 * integers in the asset's smallest unit, split into equity and debt components, each in [0, 2^64). The hot path
 * parses bytes straight into two 32-bit halves so ten million rows never touch BigInt.
 */

/** A parsed cell: the magnitude as u64 halves and its sign. `error` is set instead when the cell is invalid. */
export interface ParsedCell {
  hi: number
  lo: number
  negative: boolean
  error: string | undefined
}

const TWO32 = 4294967296

/**
 * Parses the decimal at bytes [start, end) of `buf` into smallest units of an asset with `decimals` places,
 * writing into `out`. Accepts an optional leading '-', digits, an optional '.' and fraction digits; an empty cell
 * is zero. Rejects more fraction digits than `decimals`, anything else, and magnitudes of 2^64 or more.
 */
export function parseAmountBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  decimals: number,
  out: ParsedCell,
) {
  out.hi = 0
  out.lo = 0
  out.negative = false
  out.error = undefined
  let i = start
  if (i < end && buf[i] === 45) {
    out.negative = true
    i++
  }
  let hi = 0
  let lo = 0
  let digits = 0
  let fraction = -1
  for (; i < end; i++) {
    const c = buf[i]!
    if (c === 46) {
      if (fraction >= 0) {
        out.error = 'has two decimal points'
        return
      }
      fraction = 0
      continue
    }
    const d = c - 48
    if (d < 0 || d > 9) {
      out.error = 'is not a decimal number'
      return
    }
    digits++
    if (fraction >= 0) {
      fraction++
      if (fraction > decimals) {
        out.error = `has more than ${decimals} decimal places`
        return
      }
    }
    lo = lo * 10 + d
    const carry = Math.floor(lo / TWO32)
    lo -= carry * TWO32
    hi = hi * 10 + carry
    if (hi >= TWO32) {
      out.error = 'is 2^64 or more in smallest units'
      return
    }
  }
  if (digits === 0) {
    if (end - start > 0) out.error = 'is not a decimal number'
    out.negative = false
    return
  }
  for (let z = fraction < 0 ? decimals : decimals - fraction; z > 0; z--) {
    lo *= 10
    const carry = Math.floor(lo / TWO32)
    lo -= carry * TWO32
    hi = hi * 10 + carry
    if (hi >= TWO32) {
      out.error = 'is 2^64 or more in smallest units'
      return
    }
  }
  if (hi === 0 && lo === 0) out.negative = false
  out.hi = hi
  out.lo = lo
}

/** Parses a decimal string into smallest units (signed bigint); throws a RangeError explaining the problem. */
export function parseAmount(text: string, decimals: number): bigint {
  const bytes = new TextEncoder().encode(text.trim())
  const cell: ParsedCell = { hi: 0, lo: 0, negative: false, error: undefined }
  parseAmountBytes(bytes, 0, bytes.length, decimals, cell)
  if (cell.error) throw new RangeError(`"${text}" ${cell.error}`)
  const v = (BigInt(cell.hi) << 32n) | BigInt(cell.lo)
  return cell.negative ? -v : v
}

/** Formats smallest units as a decimal string with `decimals` places, trailing zeros trimmed. */
export function formatAmount(units: bigint, decimals: number): string {
  const neg = units < 0n
  const s = (neg ? -units : units).toString().padStart(decimals + 1, '0')
  const int = s.slice(0, s.length - decimals)
  const frac = s.slice(s.length - decimals).replace(/0+$/, '')
  return (neg ? '-' : '') + int + (frac ? `.${frac}` : '')
}

/** An exact non-negative decimal as an integer and a power-of-ten scale: value = units / 10^scale. */
export interface Decimal {
  units: bigint
  scale: number
}

/** Parses a non-negative decimal ("27000.5", "0.95") exactly; throws a RangeError otherwise. */
export function parseDecimal(text: string): Decimal {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text.trim())
  if (!m) throw new RangeError(`"${text}" is not a non-negative decimal number`)
  const frac = m[2] ?? ''
  return { units: BigInt(m[1]! + frac), scale: frac.length }
}
