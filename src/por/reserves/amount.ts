/**
 * @module Exact conversions between decimal text and smallest-unit bigints for reserve amounts,
 * and the reserve ratio as a decimal string. No floats anywhere: a ratio of 0.99999999 must never
 * round up to "1".
 */

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/

/**
 * Parses a non-negative decimal like `12.5` into smallest units; `null` with a reason if the text is
 * not a plain decimal or carries more fractional digits than the asset has.
 * @example parseAmount('1.5', 8) // { value: 150000000n }
 */
export function parseAmount(text: string, decimals: number): { value: bigint } | { error: string } {
  const m = DECIMAL_RE.exec(text.trim())
  if (!m) return { error: `"${text}" is not a non-negative decimal number` }
  const whole = m[1] ?? '0'
  const frac = m[2] ?? ''
  if (frac.replace(/0+$/, '').length > decimals) {
    return { error: `"${text}" has more than ${decimals} decimal places` }
  }
  const padded = (frac + '0'.repeat(decimals)).slice(0, decimals)
  return { value: BigInt(whole) * 10n ** BigInt(decimals) + BigInt(padded === '' ? '0' : padded) }
}

/** Formats smallest units as a decimal string without trailing zeros: `150000000n, 8` -> `1.5`. */
export function formatAmount(value: bigint, decimals: number): string {
  const negative = value < 0n
  const abs = negative ? -value : value
  const base = 10n ** BigInt(decimals)
  const whole = abs / base
  const frac = (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`
}

/**
 * `reserves / liabilities` truncated (never rounded up) to `digits` decimals, e.g. `1.0412`.
 * `null` when there are no liabilities (any reserve covers them; a ratio is meaningless).
 */
export function ratioString(reserves: bigint, liabilities: bigint, digits = 4): string | null {
  if (liabilities <= 0n) return null
  const scaled = (reserves * 10n ** BigInt(digits)) / liabilities
  return formatFixed(scaled, digits)
}

function formatFixed(scaled: bigint, digits: number): string {
  const base = 10n ** BigInt(digits)
  const frac = (scaled % base).toString().padStart(digits, '0')
  return digits === 0 ? `${scaled / base}` : `${scaled / base}.${frac}`
}
