/**
 * @module The assets file of a round (public format, docs/por-spec.md "Input files"): CSV with header
 * `symbol,decimals,price_usd,haircut`. Prices and haircuts are exact decimals; haircut in [0,1] is the share of
 * the asset's value that counts as collateral against a user's debts.
 */
import { type Decimal, parseDecimal } from './amount.ts'

export interface AssetSpec {
  symbol: string
  decimals: number
  priceUsd: Decimal
  haircut: Decimal
}

/** A problem in an input file, with the 1-based line it is on. */
export interface ImportIssue {
  file: string
  line: number
  message: string
}

const SYMBOL = /^[A-Z0-9][A-Z0-9._-]{0,31}$/

/**
 * Parses the assets CSV text. Returns the assets in file order, or the issues found (all of them, line-numbered).
 *
 * @example parseAssetsCsv('symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n', 'assets.csv')
 */
export function parseAssetsCsv(
  text: string,
  file = 'assets.csv',
): { assets: AssetSpec[]; issues: ImportIssue[] } {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  const issues: ImportIssue[] = []
  const assets: AssetSpec[] = []
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase())
  if (header.join(',') !== 'symbol,decimals,price_usd,haircut') {
    issues.push({ file, line: 1, message: 'header must be exactly "symbol,decimals,price_usd,haircut"' })
    return { assets, issues }
  }
  const seen = new Map<string, number>()
  lines.slice(1).forEach((raw, i) => {
    const line = i + 2
    if (raw.trim() === '') return
    const cells = raw.split(',').map((c) => c.trim())
    if (cells.length !== 4) {
      issues.push({ file, line, message: `expected 4 columns, found ${cells.length}` })
      return
    }
    const [symbol, dec, price, haircut] = cells as [string, string, string, string]
    if (!SYMBOL.test(symbol)) {
      issues.push({ file, line, message: `symbol "${symbol}" must be 1-32 of A-Z 0-9 . _ - (upper case)` })
      return
    }
    const first = seen.get(symbol)
    if (first !== undefined) {
      issues.push({ file, line, message: `asset ${symbol} already defined on line ${first}` })
      return
    }
    seen.set(symbol, line)
    if (!/^[0-9]{1,2}$/.test(dec) || Number(dec) > 36) {
      issues.push({ file, line, message: `decimals "${dec}" must be an integer 0..36` })
      return
    }
    let priceUsd: Decimal
    let cut: Decimal
    try {
      priceUsd = parseDecimal(price)
      cut = parseDecimal(haircut)
    } catch (e) {
      issues.push({ file, line, message: (e as Error).message })
      return
    }
    if (cut.units > 10n ** BigInt(cut.scale)) {
      issues.push({ file, line, message: `haircut ${haircut} must be between 0 and 1` })
      return
    }
    assets.push({ symbol, decimals: Number(dec), priceUsd, haircut: cut })
  })
  if (assets.length === 0 && issues.length === 0) issues.push({ file, line: 1, message: 'no assets defined' })
  return { assets, issues }
}

/**
 * Integer weights for the collateral check, exact over all assets: a user is covered when
 * Σ equity_k × collateral_k ≥ Σ debt_k × debt_k (amounts in smallest units).
 */
export function collateralWeights(assets: readonly AssetSpec[]): { collateral: bigint[]; debt: bigint[] } {
  const maxDec = Math.max(...assets.map((a) => a.decimals))
  const ps = Math.max(...assets.map((a) => a.priceUsd.scale))
  const hs = Math.max(...assets.map((a) => a.haircut.scale))
  const collateral: bigint[] = []
  const debt: bigint[] = []
  for (const a of assets) {
    const amountScale = 10n ** BigInt(maxDec - a.decimals)
    const price = a.priceUsd.units * 10n ** BigInt(ps - a.priceUsd.scale)
    const cut = a.haircut.units * 10n ** BigInt(hs - a.haircut.scale)
    collateral.push(amountScale * price * cut)
    debt.push(amountScale * price * 10n ** BigInt(hs))
  }
  return { collateral, debt }
}
