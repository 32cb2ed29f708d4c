/**
 * @module Reserves of a built round in one call: read the round's public summary (assets and
 * per-asset totals), the challenge and the reserves CSV, verify every row, and report each asset's
 * reserves against its liabilities. Used by `bulwark por reserves` and by the auditor's check.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../platform/errors.ts'
import { loadChallenge } from './challenge.ts'
import { loadReserves } from './csv.ts'
import type { EsploraClient } from './esplora.ts'
import type { EvmReader } from './evm.ts'
import { type ReserveReportRow, reserveReport } from './report.ts'
import { type ReservesVerification, verifyReserves } from './verify.ts'

type RoundSummaryView = {
  assets: { symbol: string; decimals: number }[]
  totals: { symbol: string; equity: string; debt: string }[]
}

export type RoundReserves = {
  verification: ReservesVerification
  report: ReserveReportRow[]
  /** Every row verified and no asset below 100 %. */
  ok: boolean
}

/**
 * Verifies `reservesFile` for the round in `roundDir` (its `round.json`). Liabilities per asset are
 * the round's total user equity minus total user debt.
 * @example await verifyRoundReserves({ roundDir, reservesFile: 'R.csv', challengeFile: 'challenge.json' })
 */
export async function verifyRoundReserves(params: {
  roundDir: string
  reservesFile: string
  challengeFile: string
  evm?: Record<string, EvmReader>
  esplora?: Record<string, EsploraClient>
  /** Auditor mode: count only balances read from a chain. */
  auditor?: boolean
}): Promise<RoundReserves> {
  let summary: RoundSummaryView
  try {
    summary = JSON.parse(await readFile(join(params.roundDir, 'round.json'), 'utf8')) as RoundSummaryView
  } catch (cause) {
    throw new AppError('POR_ROUND_NOT_FOUND', 404, `${params.roundDir} has no readable round.json`, { cause })
  }
  const liabilities: Record<string, bigint> = {}
  for (const t of summary.totals) liabilities[t.symbol] = BigInt(t.equity) - BigInt(t.debt)
  const verification = await verifyReserves({
    entries: await loadReserves(params.reservesFile, summary.assets),
    challenge: await loadChallenge(params.challengeFile),
    ...(params.evm ? { evm: params.evm } : {}),
    ...(params.esplora ? { esplora: params.esplora } : {}),
    balances: params.auditor ? 'chain' : 'chain-or-declared',
  })
  const decimals = Object.fromEntries(summary.assets.map((a) => [a.symbol, a.decimals]))
  const report = reserveReport({ reserves: verification.totals, liabilities, decimals })
  return { verification, report, ok: verification.failed === 0 && report.every((r) => !r.below100) }
}
