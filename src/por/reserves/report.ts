/**
 * @module The reserve report: per asset, verified reserves against liabilities, the ratio as an
 * exact decimal string (truncated, never rounded up) and a flag for every asset below 100 %.
 */
import { formatAmount, ratioString } from './amount.ts'

export type ReserveReportRow = {
  asset: string
  reserves: bigint
  liabilities: bigint
  /** `reserves / liabilities` to 4 decimals, e.g. `1.0412`; null without liabilities. */
  ratio: string | null
  /** True when reserves < liabilities. */
  below100: boolean
  /** Human amounts with the asset's decimals. */
  reservesText: string
  liabilitiesText: string
}

/**
 * Builds the per-asset report. Assets appear if they have reserves or liabilities; sorted by symbol.
 * @example reserveReport({ reserves: { BTC: 5n }, liabilities: { BTC: 4n }, decimals: { BTC: 8 } })
 */
export function reserveReport(params: {
  reserves: Record<string, bigint>
  liabilities: Record<string, bigint>
  decimals: Record<string, number>
}): ReserveReportRow[] {
  const assets = [...new Set([...Object.keys(params.reserves), ...Object.keys(params.liabilities)])].sort()
  return assets.map((asset) => {
    const reserves = params.reserves[asset] ?? 0n
    const liabilities = params.liabilities[asset] ?? 0n
    const dec = params.decimals[asset] ?? 0
    return {
      asset,
      reserves,
      liabilities,
      ratio: ratioString(reserves, liabilities),
      below100: reserves < liabilities,
      reservesText: formatAmount(reserves, dec),
      liabilitiesText: formatAmount(liabilities, dec),
    }
  })
}

/** Renders the report as an aligned text table for the CLI. */
export function formatReserveReport(rows: ReserveReportRow[]): string {
  const table = [
    ['asset', 'reserves', 'liabilities', 'ratio', ''],
    ...rows.map((r) => [
      r.asset,
      r.reservesText,
      r.liabilitiesText,
      r.ratio ?? '-',
      r.below100 ? 'BELOW 100%' : 'ok',
    ]),
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)))
  return table
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
