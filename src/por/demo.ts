/**
 * @module Synthetic snapshots for demos, tests and the benchmark: an assets file with K assets (22 named demo
 * assets, then generated ones up to 500+) and a liabilities file with N users, a few percent of them borrowing
 * against collateral (always covered, so the build passes). Deterministic from a seed.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs'

// Decimals are the exchange's ledger precision, not the chain's: with [0, 2^64) per component an 18-decimal
// ledger could not hold more than 18.4 ETH per user, so exchanges (and this demo) keep 10 for EVM tokens.
const DEMO_ASSETS: [string, number, string][] = [
  ['BTC', 8, '65000'],
  ['ETH', 10, '3200'],
  ['USDT', 6, '1'],
  ['USDC', 6, '1'],
  ['BNB', 10, '580'],
  ['SOL', 9, '150'],
  ['XRP', 6, '0.52'],
  ['DOGE', 8, '0.12'],
  ['ADA', 6, '0.45'],
  ['TRX', 6, '0.12'],
  ['TON', 9, '6.1'],
  ['DOT', 10, '6.8'],
  ['MATIC', 10, '0.7'],
  ['LTC', 8, '80'],
  ['SHIB', 10, '0.000018'],
  ['AVAX', 10, '28'],
  ['LINK', 10, '14'],
  ['BCH', 8, '380'],
  ['ATOM', 6, '8.1'],
  ['XLM', 7, '0.1'],
  ['ETC', 10, '26'],
  ['FIL', 10, '5.5'],
]

/** Assets CSV text with `count` assets. */
export function demoAssetsCsv(count = 22): string {
  const rows = ['symbol,decimals,price_usd,haircut']
  for (let i = 0; i < count; i++) {
    const d = DEMO_ASSETS[i]
    if (d) rows.push(`${d[0]},${d[1]},${d[2]},${d[0].startsWith('USD') ? '1' : '0.9'}`)
    else rows.push(`TK${i},${6 + (i % 5)},${(i % 97) + 1}.5,0.5`)
  }
  return `${rows.join('\n')}\n`
}

/** Decimals of the demo asset at index i (matches demoAssetsCsv). */
function decimalsAt(i: number): number {
  return DEMO_ASSETS[i]?.[1] ?? 6 + (i % 5)
}

/** Small fast PRNG (xorshift32) for data generation only, never for anything secret. */
function xorshift(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
}

function amount(rand: () => number, decimals: number): string {
  // Most holdings are small; a few are large. At most 8 fraction digits, like an exchange's display precision.
  const whole = Math.floor(rand() < 0.9 ? rand() * 20 : rand() * 5000)
  const fd = Math.min(decimals, 8)
  const frac = fd === 0 ? '' : `.${String(Math.floor(rand() * 10 ** fd)).padStart(fd, '0')}`
  return `${whole}${frac}`
}

/**
 * Writes a liabilities CSV with `users` rows over the first `assets` demo assets. About 3% of users hold a debt
 * in USDT (or the third asset) of at most a tenth of their BTC-equivalent holdings, so every user is covered.
 */
export function writeDemoLiabilities(path: string, users: number, assets = 22, seed = 1): void {
  const rand = xorshift(seed)
  const fd = openSync(path, 'w')
  const header = [
    'user_id',
    ...demoAssetsCsv(assets)
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',')[0]),
  ]
  let chunk = `${header.join(',')}\n`
  for (let u = 0; u < users; u++) {
    const cells: string[] = [`user-${u}`]
    for (let a = 0; a < assets; a++) {
      cells.push(rand() < 0.35 ? amount(rand, decimalsAt(a)) : '0')
    }
    if (assets >= 3 && rand() < 0.03) {
      cells[1] = String(1 + Math.floor(rand() * 5)) // 1-5 BTC of collateral
      cells[3] = `-${Math.floor(rand() * 1000)}.5` // < 1000.5 USDT (or third asset) of debt
    }
    chunk += `${cells.join(',')}\n`
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk)
      chunk = ''
    }
  }
  writeSync(fd, chunk)
  closeSync(fd)
}

/** Writes the demo assets file. */
export function writeDemoAssets(path: string, count = 22): void {
  writeFileSync(path, demoAssetsCsv(count))
}
