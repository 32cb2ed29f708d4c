/**
 * @module The reserve check a round build runs on the server: every wallet of the round's reserves
 * file must prove ownership over the round's challenge and hold, at the snapshot block read from the
 * configured node, at least what the exchange declared for it. The result keeps, per wallet, what was
 * verified or the exact reason it was not, so the public page can show it and publication can refuse
 * a ratio that was not verified (docs/por-reserves.md, "Reserves verified by the server").
 */
import { AppError } from '../../platform/errors.ts'
import { formatAmount } from './amount.ts'
import type { ReserveChallenge } from './challenge.ts'
import { parseReservesCsv } from './csv.ts'
import type { EsploraClient } from './esplora.ts'
import type { EvmReader } from './evm.ts'
import { verifyReserves } from './verify.ts'

/** What the build verified about one reserve wallet (one row of the reserves file). */
export interface WalletCheck {
  line: number
  chain: string
  address: string
  asset: string
  token: string | null
  /** Signature over the round's challenge verified, balance read at the snapshot block and not short. */
  ok: boolean
  /** What was verified ("EIP-191 signature by 0x…; 12.5 at block 7"), or why not. */
  detail: string
  /** Declared and on-chain balance in the asset's smallest units; onChain null when not read. */
  declared: string
  onChain: string | null
  /** The snapshot block the balance was read at. */
  block: number | null
}

/** The reserve verification a build stores with its round. */
export interface ReserveCheck {
  /** `wallets`: a reserves file with ownership proofs; `declared-totals`: a `symbol,amount` file. */
  source: 'wallets' | 'declared-totals'
  /** Every wallet verified (a declared-totals file never is). */
  verified: boolean
  /** Why the reserves are not verified (the first failure), null when verified. */
  problem: string | null
  checkedAt: string
  wallets: WalletCheck[]
  /** Hash of each chain's snapshot block, as read. */
  snapshotBlocks: Record<string, { height: number; hash: string }>
  /** Per asset, smallest units: what the verified wallets hold, and what was declared. */
  verifiedTotals: Record<string, string>
  declaredTotals: Record<string, string>
}

/** The header of a reserves file that only declares totals (`symbol,amount`), which nothing verifies. */
export function isDeclaredTotals(text: string): boolean {
  return (text.split('\n')[0] ?? '').trim().toLowerCase() === 'symbol,amount'
}

/** The check of a declared-totals file: never verified, whatever the figures. */
export function declaredTotalsCheck(totals: Record<string, string>, now: Date): ReserveCheck {
  return {
    source: 'declared-totals',
    verified: false,
    problem: 'the reserves file declares totals per asset (symbol,amount); no wallet was verified',
    checkedAt: now.toISOString(),
    wallets: [],
    snapshotBlocks: {},
    verifiedTotals: {},
    declaredTotals: totals,
  }
}

export type CheckWalletsParameters = {
  /** The reserves CSV (docs/por-reserves.md, "Reserves CSV"). */
  text: string
  /** The round's assets: decimals of each symbol. */
  assets: ReadonlyArray<{ symbol: string; decimals: number }>
  challenge: ReserveChallenge
  evm?: Record<string, EvmReader>
  esplora?: Record<string, EsploraClient>
  now: Date
}

/**
 * Verifies every wallet of a reserves file for a round. A wallet counts only when its signature over
 * the challenge verifies, its balance was read from its chain at the snapshot block, and that balance
 * is not below the declared amount. Throws `POR_RESERVES_INVALID` for a malformed or empty file.
 * @example await checkWallets({ text, assets, challenge, evm: { ethereum: client }, now: new Date() })
 */
export async function checkWallets(params: CheckWalletsParameters): Promise<ReserveCheck> {
  const decimals = new Map(params.assets.map((a) => [a.symbol, a.decimals]))
  const entries = parseReservesCsv(params.text, (s) => decimals.get(s))
  if (entries.length === 0) {
    throw new AppError(
      'POR_RESERVES_INVALID',
      400,
      'The reserves file lists no wallet; add one row per wallet.',
    )
  }
  const verification = await verifyReserves({
    entries,
    challenge: params.challenge,
    ...(params.evm ? { evm: params.evm } : {}),
    ...(params.esplora ? { esplora: params.esplora } : {}),
    balances: 'chain',
  })
  const verifiedTotals: Record<string, bigint> = {}
  const declaredTotals: Record<string, bigint> = {}
  const wallets = verification.rows.map((r): WalletCheck => {
    const dec = decimals.get(r.asset) ?? 0
    const block = r.balanceSource === 'chain' ? (params.challenge.snapshots[r.chain] ?? null) : null
    declaredTotals[r.asset] = (declaredTotals[r.asset] ?? 0n) + r.declared
    let ok = false
    let detail: string
    if (!r.ownership.ok) detail = `signature not verified: ${r.ownership.reason}`
    else if (r.balanceSource !== 'chain' || r.onChain === undefined)
      detail = `balance not verified: ${r.notes[0] ?? `no reader for chain "${r.chain}"`}`
    else if (r.onChain < r.declared)
      detail = `balance short: declared ${formatAmount(r.declared, dec)} but the chain shows ${formatAmount(r.onChain, dec)} at block ${block}`
    else {
      ok = true
      detail = `${r.ownership.detail}; balance ${formatAmount(r.onChain, dec)} at block ${block}`
      verifiedTotals[r.asset] = (verifiedTotals[r.asset] ?? 0n) + r.onChain
    }
    return {
      line: r.line,
      chain: r.chain,
      address: r.address,
      asset: r.asset,
      token: r.token ?? null,
      ok,
      detail,
      declared: r.declared.toString(),
      onChain: r.onChain === undefined ? null : r.onChain.toString(),
      block,
    }
  })
  const failed = wallets.find((w) => !w.ok)
  const asStrings = (m: Record<string, bigint>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toString()]))
  return {
    source: 'wallets',
    verified: failed === undefined,
    problem: failed
      ? `line ${failed.line} (${failed.chain} ${failed.address} ${failed.asset}): ${failed.detail}`
      : null,
    checkedAt: params.now.toISOString(),
    wallets,
    snapshotBlocks: verification.snapshotBlocks,
    verifiedTotals: asStrings(verifiedTotals),
    declaredTotals: asStrings(declaredTotals),
  }
}
