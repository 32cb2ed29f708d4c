/**
 * @module Exact money for P2P: crypto amounts and fiat amounts are bigint in smallest units
 * (USDT 6 decimals, EUR cents); prices are exact decimals kept as bigint with 8 decimals
 * ("price per whole coin in fiat", e.g. 0.92 EUR per USDT = 92_000_000n). Decimal strings exist
 * only at the edges (HTTP, CLI, database numeric columns). No floating point anywhere.
 */

/** Crypto assets tradable on P2P and their decimals. */
export const assets = { USDT: 6, USDC: 6, BTC: 8, ETH: 18 } as const
export type Asset = keyof typeof assets
/** Fiat currencies and their ISO 4217 minor-unit exponents. */
export const fiats = { EUR: 2, USD: 2, GBP: 2, CHF: 2, PLN: 2, HKD: 2, TWD: 2, JPY: 0 } as const
export type Fiat = keyof typeof fiats

/** Prices carry 8 decimals: enough for BTC in JPY and USDT in EUR alike. */
export const PRICE_DECIMALS = 8
const PRICE_ONE = 10n ** BigInt(PRICE_DECIMALS)

export function isAsset(value: string): value is Asset {
  return Object.hasOwn(assets, value)
}
export function isFiat(value: string): value is Fiat {
  return Object.hasOwn(fiats, value)
}

const DECIMAL = /^(0|[1-9]\d{0,59})(?:\.(\d+))?$/

/**
 * Parses a non-negative decimal string into smallest units, refusing more decimals than the unit
 * has (no silent rounding of money).
 * @example parseUnits('12.5', 6) // 12_500_000n
 */
export function parseUnits(value: string, decimals: number, what = 'amount'): bigint {
  const match = DECIMAL.exec(value.trim())
  if (!match)
    throw new RangeError(`${what} must be a decimal number like 12.50, got ${JSON.stringify(value)}`)
  const fraction = match[2] ?? ''
  if (fraction.length > decimals) {
    throw new RangeError(`${what} has more than ${decimals} decimals: ${JSON.stringify(value)}`)
  }
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

/**
 * Formats smallest units as a decimal string without trailing zeros in the fraction.
 * @example formatUnits(12_500_000n, 6) // '12.5'
 */
export function formatUnits(value: bigint, decimals: number): string {
  const negative = value < 0n
  const abs = negative ? -value : value
  const scale = 10n ** BigInt(decimals)
  const whole = abs / scale
  const fraction = decimals === 0 ? '' : (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}

/** Parses a price ("0.9215") into bigint with PRICE_DECIMALS. */
export const parsePrice = (value: string) => parseUnits(value, PRICE_DECIMALS, 'price')
export const formatPrice = (value: bigint) => formatUnits(value, PRICE_DECIMALS)

/**
 * A floating price: the reference price moved by a margin in basis points (+150 = 1.5 % above),
 * rounded to the price precision (half up).
 */
export function floatingPrice(reference: bigint, marginBps: number): bigint {
  if (!Number.isInteger(marginBps) || marginBps <= -10_000 || marginBps > 100_000) {
    throw new RangeError(`margin must be whole basis points above -10000, got ${marginBps}`)
  }
  return divRound(reference * BigInt(10_000 + marginBps), 10_000n, 'half-up')
}

/**
 * Fiat to pay for `amount` of an asset at `price`, in fiat minor units, rounded up: a buyer never
 * pays less than the asset is worth at the quoted price.
 */
export function fiatForAmount(amount: bigint, price: bigint, asset: Asset, fiat: Fiat): bigint {
  const numerator = amount * price * 10n ** BigInt(fiats[fiat])
  const denominator = 10n ** BigInt(assets[asset]) * PRICE_ONE
  return divRound(numerator, denominator, 'up')
}

/** Asset units bought by `fiatAmount` (minor units) at `price`, rounded down. */
export function amountForFiat(fiatAmount: bigint, price: bigint, asset: Asset, fiat: Fiat): bigint {
  if (price <= 0n) throw new RangeError('price must be positive')
  const numerator = fiatAmount * 10n ** BigInt(assets[asset]) * PRICE_ONE
  const denominator = 10n ** BigInt(fiats[fiat]) * price
  return numerator / denominator
}

function divRound(n: bigint, d: bigint, mode: 'up' | 'half-up'): bigint {
  const q = n / d
  const r = n % d
  if (r === 0n) return q
  if (mode === 'up') return q + 1n
  return r * 2n >= d ? q + 1n : q
}

/** A ratio as a decimal string with 4 decimals (e.g. completion rate), or null when undefined. */
export function ratio(numerator: bigint | number, denominator: bigint | number): string | null {
  const n = BigInt(numerator)
  const d = BigInt(denominator)
  if (d === 0n) return null
  return formatUnits(divRound(n * 10_000n, d, 'half-up'), 4)
}
