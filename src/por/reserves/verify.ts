/**
 * @module Verifies a round's reserves: every row's ownership proof against the round's challenge
 * text (rebuilt here, never read from the file), and, where a chain reader is configured, its
 * balance at the snapshot height. Only rows whose ownership verifies are counted; each row keeps
 * the exact reason it failed so the auditor's report can show it.
 */
import {
  type OwnershipResult,
  verifyBip322Simple,
  verifyBitcoinMessage,
  verifyBitcoinMultisig,
} from './bitcoin.ts'
import { challengeMessage, type ReserveChallenge, snapshotHeight } from './challenge.ts'
import type { ReserveEntry } from './csv.ts'
import { verifyEd25519 } from './ed25519.ts'
import { type EsploraClient, esploraBalanceAt, esploraBlockHash } from './esplora.ts'
import { type EvmReader, evmBalanceAt, verifyEip191, verifyErc1271, verifySafeOwners } from './evm.ts'
import { verifyTronMessage } from './tron.ts'

export type VerifyReservesParams = {
  entries: ReserveEntry[]
  challenge: ReserveChallenge
  /** EVM readers by chain id (`ethereum`, …): signatures of contract wallets and balances. */
  evm?: Record<string, EvmReader>
  /** Esplora clients by chain id (`bitcoin`, …): balances at the snapshot height. */
  esplora?: Record<string, EsploraClient>
  /**
   * `chain` (auditor mode): a row counts only with a balance read from its chain.
   * `chain-or-declared` (default): rows of chains without a reader count their declared amount,
   * marked `declared` in the result so the report never passes it off as verified.
   */
  balances?: 'chain' | 'chain-or-declared'
  /** Rows checked at once (RPC round trips dominate); default 8. */
  concurrency?: number
}

export type ReserveRowResult = {
  line: number
  chain: string
  address: string
  asset: string
  token: string | undefined
  ownership: OwnershipResult
  /** Where the counted amount comes from. */
  balanceSource: 'chain' | 'declared' | 'none'
  declared: bigint
  onChain: bigint | undefined
  /** What this row adds to the asset's reserves (0 when ownership or balance failed). */
  counted: bigint
  notes: string[]
}

export type ReservesVerification = {
  message: string
  rows: ReserveRowResult[]
  /** Counted reserves per asset symbol, smallest units. */
  totals: Record<string, bigint>
  /** Rows whose ownership or balance check failed. */
  failed: number
  /**
   * Hash of the snapshot block of every chain read, so the report pins exactly which chain state was
   * counted (a reorg after the snapshot shows up as a different hash on re-audit).
   */
  snapshotBlocks: Record<string, { height: number; hash: string }>
}

function dedupeKey(e: ReserveEntry): string {
  const evmLike = /^0x[0-9a-fA-F]{40}$/.test(e.address)
  return [
    e.chain,
    evmLike ? e.address.toLowerCase() : e.address,
    e.asset,
    (e.token ?? '').toLowerCase(),
  ].join('|')
}

async function checkOwnership(
  e: ReserveEntry,
  message: string,
  evm: EvmReader | undefined,
  height: number,
): Promise<OwnershipResult> {
  const [first = ''] = e.signatures
  switch (e.scheme) {
    case 'eip191':
      return verifyEip191(e.address, message, first)
    case 'safe':
    case 'erc1271': {
      if (!evm) return { ok: false, reason: `contract wallets need an RPC endpoint for chain "${e.chain}"` }
      const blockNumber = BigInt(height)
      return e.scheme === 'safe'
        ? verifySafeOwners(evm, { address: e.address, message, signatures: e.signatures, blockNumber })
        : verifyErc1271(evm, { address: e.address, message, signature: first, blockNumber })
    }
    case 'btc-message':
      return verifyBitcoinMessage(e.address, message, first)
    case 'bip322':
      return verifyBip322Simple(e.address, message, first)
    case 'btc-multisig':
      return verifyBitcoinMultisig(e.address, message, e.signatures, e.script ?? '')
    case 'ed25519':
      return verifyEd25519(e.chain, e.address, message, first, e.publicKey ?? '')
    case 'tron-message':
      return verifyTronMessage(e.address, message, first)
  }
}

/**
 * Verifies every reserve row for the round described by `challenge`.
 * @example const v = await verifyReserves({ entries, challenge, evm: { ethereum: client } })
 */
export async function verifyReserves(params: VerifyReservesParams): Promise<ReservesVerification> {
  const message = challengeMessage(params.challenge)
  const mode = params.balances ?? 'chain-or-declared'
  const seen = new Map<string, number>()
  // Decide duplicates in file order first, so the first row of an address wins whatever the
  // network timing of the concurrent checks below.
  const plans = params.entries.map((e) => {
    const key = dedupeKey(e)
    const dup = seen.get(key)
    if (dup === undefined) seen.set(key, e.line)
    return { e, dup }
  })
  const rows = await mapPool(
    plans,
    params.concurrency ?? 8,
    async ({ e, dup }): Promise<ReserveRowResult> => {
      const base = {
        line: e.line,
        chain: e.chain,
        address: e.address,
        asset: e.asset,
        token: e.token,
        declared: e.declared,
      }
      const rejected = (reason: string): ReserveRowResult => ({
        ...base,
        ownership: { ok: false, reason },
        balanceSource: 'none',
        onChain: undefined,
        counted: 0n,
        notes: [],
      })
      if (dup !== undefined) return rejected(`duplicate of line ${dup}: an address is counted once per asset`)
      let height: number
      try {
        height = snapshotHeight(params.challenge, e.chain)
      } catch (cause) {
        return rejected((cause as Error).message)
      }
      const evm = params.evm?.[e.chain]
      const esplora = params.esplora?.[e.chain]
      const ownership = await checkOwnership(e, message, evm, height)
      const notes: string[] = []
      let onChain: bigint | undefined
      let balanceSource: ReserveRowResult['balanceSource'] = 'none'
      if (evm || esplora) {
        try {
          onChain = evm
            ? await evmBalanceAt(evm, { address: e.address, blockNumber: BigInt(height), token: e.token })
            : await esploraBalanceAt(esplora!, e.address, height)
          balanceSource = 'chain'
          if (onChain !== e.declared)
            notes.push(`declared ${e.declared} but the chain shows ${onChain} at height ${height}`)
        } catch (cause) {
          notes.push(`balance lookup failed: ${(cause as Error).message.split('\n')[0]}`)
        }
      } else if (mode === 'chain-or-declared') {
        balanceSource = 'declared'
        notes.push(`no reader for chain "${e.chain}": declared amount counted unverified`)
      } else {
        notes.push(`no reader for chain "${e.chain}": not counted in auditor mode`)
      }
      const amount =
        balanceSource === 'chain' ? (onChain ?? 0n) : balanceSource === 'declared' ? e.declared : 0n
      return { ...base, ownership, balanceSource, onChain, counted: ownership.ok ? amount : 0n, notes }
    },
  )
  const totals: Record<string, bigint> = {}
  for (const r of rows) totals[r.asset] = (totals[r.asset] ?? 0n) + r.counted
  const failed = rows.filter((r) => !r.ownership.ok || r.balanceSource === 'none').length
  const snapshotBlocks: ReservesVerification['snapshotBlocks'] = {}
  const chains = new Set([...Object.keys(params.evm ?? {}), ...Object.keys(params.esplora ?? {})])
  for (const chain of chains) {
    const height = params.challenge.snapshots[chain]
    if (height === undefined || !params.entries.some((e) => e.chain === chain)) continue
    try {
      const evm = params.evm?.[chain]
      const hash = evm
        ? (await evm.getBlock({ blockNumber: BigInt(height) })).hash
        : await esploraBlockHash(params.esplora![chain]!, height)
      if (hash) snapshotBlocks[chain] = { height, hash }
    } catch {
      // The rows of this chain already carry the lookup failure.
    }
  }
  return { message, rows, totals, failed, snapshotBlocks }
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
async function mapPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}
