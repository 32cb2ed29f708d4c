/**
 * @module Travel Rule thresholds per jurisdiction (e.g. EU 0 EUR, US 3000 USD) and the reference
 * prices that convert a crypto amount into the threshold's currency. A transfer needs Travel Rule
 * data when its value is at or above the threshold; an asset with no price in that currency is
 * treated as above it (safe rather than silent).
 */
import { type CustodyAsset, decimalsOf } from '../custody/assets.ts'

export type Threshold = { jurisdiction: string; amount: string; currency: string }

const decimal = /^\d+(\.\d+)?$/

/** A non-negative decimal string as a fraction with a power-of-ten denominator. */
function fraction(value: string): { n: bigint; scale: number } {
  const [whole, frac = ''] = value.split('.')
  return { n: BigInt(`${whole}${frac}`), scale: frac.length }
}

/**
 * A threshold amount in its canonical form (no leading zeros, no trailing decimal zeros), or null
 * when it is not a non-negative decimal of up to 15 digits and 8 decimals.
 * @example canonicalDecimal('01000.50') // '1000.5'
 */
export function canonicalDecimal(value: string): string | null {
  const m = /^(\d{1,15})(?:\.(\d{1,8}))?$/.exec(value.trim())
  if (!m) return null
  const whole = BigInt(m[1]!).toString()
  const frac = (m[2] ?? '').replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : whole
}

/** Parses `EU=0 EUR,US=3000 USD`; throws naming the bad entry. */
export function parseThresholds(value: string): Map<string, Threshold> {
  const out = new Map<string, Threshold>()
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Z]{2})=(\S+) ([A-Z]{3})$/.exec(part)
    if (!m || !decimal.test(m[2]!))
      throw new RangeError(`TRAVEL_RULE_THRESHOLDS: expected JURISDICTION=AMOUNT CURRENCY, got "${part}"`)
    out.set(m[1]!, { jurisdiction: m[1]!, amount: m[2]!, currency: m[3]! })
  }
  return out
}

/** Parses `ETH=3000 USD,ETH=2800 EUR` into `ETH:USD → "3000"`; throws naming the bad entry. */
export function parsePrices(value: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Z0-9]{1,16})=(\S+) ([A-Z]{3})$/.exec(part)
    if (!m || !decimal.test(m[2]!))
      throw new RangeError(`TRAVEL_RULE_PRICES: expected ASSET=PRICE CURRENCY, got "${part}"`)
    out.set(`${m[1]}:${m[3]}`, m[2]!)
  }
  return out
}

export type ThresholdAnswer = { required: boolean; detail: string }

/**
 * Whether `amount` (smallest units of `asset`) is at or above `threshold`.
 * @example aboveThreshold('ETH', 10n ** 18n, { jurisdiction: 'US', amount: '3000', currency: 'USD' }, prices) // 1 ETH at 3000 USD: required
 */
export function aboveThreshold(
  asset: CustodyAsset,
  amount: bigint,
  threshold: Threshold,
  prices: Map<string, string>,
): ThresholdAnswer {
  const limit = `${threshold.amount} ${threshold.currency} (${threshold.jurisdiction})`
  const price = prices.get(`${asset}:${threshold.currency}`)
  if (price === undefined)
    return {
      required: true,
      detail: `no ${asset} price in ${threshold.currency}; threshold ${limit} applied`,
    }
  // value = amount / 10^d * price; compare amount * p.n * 10^t.scale with t.n * 10^(d + p.scale).
  const p = fraction(price)
  const t = fraction(threshold.amount)
  const left = amount * p.n * 10n ** BigInt(t.scale)
  const right = t.n * 10n ** BigInt(decimalsOf(asset) + p.scale)
  return left >= right
    ? { required: true, detail: `at or above the threshold of ${limit}` }
    : { required: false, detail: `below the threshold of ${limit}` }
}
