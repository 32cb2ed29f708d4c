/**
 * @module Exact decimal arithmetic on the balance strings other exchanges publish ("0.00007282",
 * "-2049.62190321"). Values are scaled bigints; formatting reproduces what each exchange's own tool
 * feeds its hash (trailing zeros stripped, or a fixed number of decimals), because one different
 * character changes the hash.
 */

export type Dec = { units: bigint; scale: number }

const DEC_RE = /^(-?)(\d+)(?:\.(\d+))?$/

/** Parses a plain decimal (optional minus sign, no exponent); `null` if it is not one. */
export function parseDec(text: string): Dec | null {
  const m = DEC_RE.exec(text)
  if (!m) return null
  const frac = m[3] ?? ''
  const units = BigInt(`${m[2]}${frac}`) * (m[1] === '-' ? -1n : 1n)
  return { units, scale: frac.length }
}

function rescale(d: Dec, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale)
}

/** Exact sum; the result has the larger scale of the two. */
export function addDec(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale)
  return { units: rescale(a, scale) + rescale(b, scale), scale }
}

export function equalDec(a: Dec, b: Dec): boolean {
  const scale = Math.max(a.scale, b.scale)
  return rescale(a, scale) === rescale(b, scale)
}

/** Truncates toward zero to `scale` decimals (Go shopspring `RoundDown`, Java `RoundingMode.DOWN`). */
export function truncDec(d: Dec, scale: number): Dec {
  if (d.scale <= scale) return { units: rescale(d, scale), scale }
  return { units: d.units / 10n ** BigInt(d.scale - scale), scale }
}

/** Plain string with trailing zeros stripped: `1.50` -> `1.5`, `0.000` -> `0` (shopspring `String()`). */
export function formatDecStripped(d: Dec): string {
  const fixed = formatDecFixed(d, d.scale)
  if (!fixed.includes('.')) return fixed === '-0' ? '0' : fixed
  const s = fixed.replace(/0+$/, '').replace(/\.$/, '')
  return s === '-0' ? '0' : s
}

/** Plain string with exactly `scale` decimals (Java `setScale(n).toPlainString()`). */
export function formatDecFixed(d: Dec, scale: number): string {
  const t = truncDec(d, scale)
  const negative = t.units < 0n
  const abs = (negative ? -t.units : t.units).toString().padStart(scale + 1, '0')
  const whole = abs.slice(0, abs.length - scale)
  const frac = abs.slice(abs.length - scale)
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`
}
