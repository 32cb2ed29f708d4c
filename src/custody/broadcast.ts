/**
 * @module After approval: sign (hot wallet), broadcast, count confirmations, and make the final
 * ledger movement — or refund once on failure. Crash-safe by construction: a signed transaction and
 * its hash are committed *before* the first send, so after a restart the processor re-sends the
 * very same bytes (same nonce, same hash), never a new transaction; nonces are unique per wallet in
 * the database; the completion and refund ledger movements have fixed idempotency keys
 * (`withdrawal:<id>:complete`, `withdrawal:<id>:refund`).
 */

import { type Address, createPublicClient, type Hex, http, type PublicClient } from 'viem'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import type { HotSigner } from './hot-signer.ts'
import { createLedger } from './ledger.ts'
import { buildTransaction, type FeeQuote, serializeUnsigned, txHashOf } from './signing.ts'
import { completionEntries, type WithdrawalRow, type Withdrawals } from './withdrawals.ts'

export type ProcessorDeps = {
  db: Db
  clock: Pick<Clock, 'now'>
  rpcUrl: string
  tokens: Map<string, Address>
  /** Confirmations needed per asset (CUSTODY_CONFIRMATIONS). */
  confirmations: (asset: string) => number
  hotSigner: HotSigner | null
  withdrawals: Withdrawals
}

export type TickResult = { signed: number; sent: number; confirmed: number; failed: number }

/** The RPC client the processor and the offline export use. */
export function rpcClient(url: string): PublicClient {
  return createPublicClient({ transport: http(url, { timeout: 10_000, retryCount: 1 }) }) as PublicClient
}

export async function feeQuote(client: PublicClient): Promise<FeeQuote> {
  const f = await client.estimateFeesPerGas({ chain: null, type: 'eip1559' })
  return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas }
}

/** The next nonce for `wallet`: past what the chain has seen and past every nonce we assigned. */
export async function nextNonce(
  db: Db,
  client: PublicClient,
  mode: 'hot' | 'offline',
  chainId: number,
  wallet: Address,
): Promise<number> {
  const chain = await client.getTransactionCount({ address: wallet, blockTag: 'pending' })
  const row = await db
    .selectFrom('custody_withdrawals')
    .select((eb) => eb.fn.max('nonce').as('n'))
    .where('signing_mode', '=', mode)
    .where('chain_id', '=', chainId)
    .executeTakeFirst()
  const ours = row?.n === null || row?.n === undefined ? -1 : Number(row.n)
  return Math.max(chain, ours + 1)
}

export function createWithdrawalProcessor(deps: ProcessorDeps) {
  const client = rpcClient(deps.rpcUrl)
  const ledger = createLedger({ db: deps.db, clock: deps.clock })
  let chainId: number | null = null
  const chain = async () => (chainId ??= await client.getChainId())

  async function signHot(): Promise<number> {
    const signer = deps.hotSigner
    if (!signer) return 0
    const ready = await deps.db
      .selectFrom('custody_withdrawals')
      .select('id')
      .where('status', '=', 'approved')
      .where('signing_mode', '=', 'hot')
      .orderBy('approved_at')
      .limit(50)
      .execute()
    if (ready.length === 0) return 0
    const id = await chain()
    const fees = await feeQuote(client)
    let signed = 0
    for (const { id: wid } of ready) {
      const nonce = await nextNonce(deps.db, client, 'hot', id, signer.address)
      try {
        await deps.withdrawals.transition(wid, ['approved'], 'system', async (_tx, row) => {
          const tx = buildTransaction(row, deps.tokens, { chainId: id, nonce, fees })
          const raw = await signer.sign(tx)
          return {
            status: 'signing',
            set: {
              chain_id: id,
              nonce,
              unsigned_tx: serializeUnsigned(tx),
              signed_tx: raw,
              tx_hash: txHashOf(raw),
            },
            step: { step: 'signing', verdict: 'pass', detail: `hot wallet, nonce ${nonce}` },
            audit: { signer: signer.address, nonce, txHash: txHashOf(raw) },
          }
        })
        signed++
      } catch (error) {
        // Cancelled or held meanwhile: the next tick looks again. Anything else is a real failure.
        if (!(error instanceof AppError && error.code === 'WITHDRAWAL_STATE')) throw error
      }
    }
    return signed
  }

  async function send(): Promise<number> {
    const rows = (await deps.db
      .selectFrom('custody_withdrawals')
      .selectAll()
      .where('status', '=', 'signing')
      .where('signed_tx', 'is not', null)
      .orderBy('nonce')
      .limit(100)
      .execute()) as WithdrawalRow[]
    let sent = 0
    for (const row of rows) {
      try {
        await resend(row.signed_tx as Hex)
      } catch (error) {
        // Some nodes answer an error for a transaction they mined and reverted: a receipt settles it.
        const mined = await client.getTransactionReceipt({ hash: row.tx_hash as Hex }).catch(() => null)
        if (!mined) throw error
      }
      await deps.withdrawals.transition(row.id, ['signing'], 'system', async () => ({
        status: 'broadcast',
        set: { broadcast_at: deps.clock.now() },
        step: { step: 'broadcast', verdict: 'pass', detail: row.tx_hash ?? '' },
        audit: { txHash: row.tx_hash },
      }))
      sent++
    }
    return sent
  }

  /** Sends raw bytes; "already known" and "nonce too low" after a restart mean it was sent before. */
  async function resend(raw: Hex) {
    try {
      await client.sendRawTransaction({ serializedTransaction: raw })
    } catch (error) {
      const text = String((error as Error).message ?? error).toLowerCase()
      if (
        !/already known|known transaction|nonce too low|already imported|nonce has already been used/.test(
          text,
        )
      )
        throw error
    }
  }

  async function track(): Promise<{ confirmed: number; failed: number }> {
    const rows = (await deps.db
      .selectFrom('custody_withdrawals')
      .selectAll()
      .where('status', '=', 'broadcast')
      .orderBy('nonce')
      .limit(200)
      .execute()) as WithdrawalRow[]
    if (rows.length === 0) return { confirmed: 0, failed: 0 }
    const head = await client.getBlockNumber()
    let confirmed = 0
    let failed = 0
    for (const row of rows) {
      const hash = row.tx_hash as Hex
      const receipt = await client.getTransactionReceipt({ hash }).catch(() => null)
      if (!receipt) {
        // Dropped from a mempool (or a node restarted): the same bytes go out again.
        await resend(row.signed_tx as Hex)
        continue
      }
      const count = Number(head - receipt.blockNumber + 1n)
      if (receipt.status === 'reverted') {
        await deps.withdrawals.transition(row.id, ['broadcast'], 'system', async () => ({
          status: 'failed',
          refund: true,
          set: {
            failure: 'reverted on chain',
            completed_at: deps.clock.now(),
            block_number: receipt.blockNumber,
          },
          step: { step: 'confirmations', verdict: 'block', detail: 'the transaction reverted' },
          audit: { txHash: hash },
        }))
        failed++
        continue
      }
      const needed = deps.confirmations(row.asset)
      if (count < needed) {
        if (count !== row.confirmations)
          await deps.db
            .updateTable('custody_withdrawals')
            .set({ confirmations: count, block_number: receipt.blockNumber })
            .where('id', '=', row.id)
            .where('status', '=', 'broadcast')
            .execute()
        continue
      }
      await deps.withdrawals.transition(row.id, ['broadcast'], 'system', async (tx, locked) => {
        await ledger.post(tx, {
          key: `withdrawal:${locked.id}:complete`,
          kind: 'withdrawal',
          ref: `withdrawal:${locked.id}`,
          entries: completionEntries(
            locked,
            locked.signing_mode === 'offline' ? 'cold_wallet' : 'hot_wallet',
          ),
        })
        return {
          status: 'confirmed',
          set: {
            confirmations: count,
            block_number: receipt.blockNumber,
            completed_at: deps.clock.now(),
            funds_held: false,
          },
          step: { step: 'confirmations', verdict: 'pass', detail: `${count} of ${needed}` },
          audit: { txHash: hash, block: receipt.blockNumber.toString() },
        }
      })
      confirmed++
    }
    return { confirmed, failed }
  }

  return {
    /** One pass: sign, send, track. Safe to run again at any time (and after a crash). */
    async tick(): Promise<TickResult> {
      const signed = await signHot()
      const sent = await send()
      const { confirmed, failed } = await track()
      return { signed, sent, confirmed, failed }
    },
    client,
  }
}
export type WithdrawalProcessor = ReturnType<typeof createWithdrawalProcessor>
