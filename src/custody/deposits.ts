/**
 * @module Deposits: a transfer to a customer's deposit address is recorded as `pending` when first
 * seen, and credited exactly once after the asset's confirmations. Before crediting, the sender is
 * screened (sanctions and drainer lists, or any injected `screen`): a flagged deposit goes to the
 * customer's `held_deposit` account, not to their available balance, is audit-logged and reported
 * through `onHeld` (the risk side, in the hold's transaction). Credits are ledger transactions keyed by the chain output, so
 * a restart, a retry or a second watcher can never credit the same output twice.
 */
import type { Selectable, Transaction } from 'kysely'
import { travelRuleDepositCheck } from '../compliance/index.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Database, Db } from '../platform/db/index.ts'
import type { EventBus } from '../platform/events.ts'
import { formatAmount, isCustodyAsset } from './assets.ts'
import type { Ledger } from './ledger.ts'
import type { CustodyDepositsTable, DepositChain, ScreeningRecord } from './tables.ts'

/** What screening says about a sender address. */
export type ScreenResult = { flagged: boolean; reasons: string[] }
/** Screens a counterparty address before its deposit is credited. */
export type Screen = (address: string) => ScreenResult | Promise<ScreenResult>

export type DepositRow = Selectable<CustodyDepositsTable>

/** A transfer to a deposit address, as a chain reader or an import file reports it. */
export type SeenDeposit = {
  chain: DepositChain
  txid: string
  /** Bitcoin vout, ERC-20 log index, -1 for native ETH. */
  outputIndex: number
  asset: string
  address: string
  userId: string
  amount: bigint
  sender: string | null
  blockNumber: bigint | null
  blockHash: string | null
  confirmations: number
}

export type DepositsDeps = {
  db: Db
  clock: Clock
  ledger: Ledger
  screen: Screen
  /** Confirmations required per asset (see parseConfirmations). */
  confirmations: Record<string, number>
  events?: Pick<EventBus, 'publish'>
  /**
   * Called for a flagged deposit inside the transaction that puts it on hold, so what it writes (the
   * risk case) commits with the hold or not at all: a crash cannot leave a hold without its case.
   */
  onHeld?: (deposit: DepositRow, tx: Transaction<Database>) => Promise<void>
}

/** Parses `ETH=12,USDT=12,BTC=3` into a record; throws naming the bad pair. */
export function parseConfirmations(value: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const pair of value.split(',').filter((p) => p.trim())) {
    const [asset, n] = pair.split('=').map((s) => s.trim())
    if (!asset || !isCustodyAsset(asset) || !n || !/^\d{1,4}$/.test(n))
      throw new RangeError(`confirmations: expected ASSET=N with a known asset, got "${pair}"`)
    out[asset] = Number(n)
  }
  return out
}

/** The default when an asset is not listed: safe rather than fast. */
const DEFAULT_CONFIRMATIONS = 12

export function depositKey(d: Pick<SeenDeposit, 'chain' | 'txid' | 'outputIndex' | 'asset'>): string {
  return `deposit:${d.chain}:${d.txid}:${d.outputIndex}:${d.asset}`
}

export function createDeposits(deps: DepositsDeps) {
  const { db, clock, ledger } = deps
  const required = (asset: string) => deps.confirmations[asset] ?? DEFAULT_CONFIRMATIONS

  /**
   * Records a seen transfer (idempotent per output). A pending deposit's block and confirmations
   * are updated; a credited one is never touched. Returns the stored row.
   */
  async function record(seen: SeenDeposit): Promise<DepositRow> {
    const now = clock.now()
    await db
      .insertInto('custody_deposits')
      .values({
        chain: seen.chain,
        txid: seen.txid,
        output_index: seen.outputIndex,
        asset: seen.asset,
        address: seen.address,
        sender: seen.sender,
        user_id: seen.userId,
        amount: seen.amount.toString(),
        block_number: seen.blockNumber,
        block_hash: seen.blockHash,
        confirmations: seen.confirmations,
        status: 'pending',
        screening: null,
        ledger_transaction_id: null,
        seen_at: now,
        credited_at: null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['chain', 'txid', 'output_index', 'asset'])
          .doUpdateSet((eb) => ({
            confirmations: eb.ref('excluded.confirmations'),
            block_number: eb.ref('excluded.block_number'),
            block_hash: eb.ref('excluded.block_hash'),
            // A deposit removed by a reorg that comes back in a new block is pending again.
            status: 'pending',
            updated_at: now,
          }))
          .where('custody_deposits.status', 'in', ['pending', 'removed']),
      )
      .execute()
    return db
      .selectFrom('custody_deposits')
      .selectAll()
      .where('chain', '=', seen.chain)
      .where('txid', '=', seen.txid)
      .where('output_index', '=', seen.outputIndex)
      .where('asset', '=', seen.asset)
      .executeTakeFirstOrThrow()
  }

  /**
   * Credits a pending deposit that has its confirmations: screens the sender (outside any
   * transaction: it may be slow), then, in one transaction, posts the ledger credit and marks the
   * deposit credited or held. Does nothing to a deposit no longer pending.
   */
  async function settle(id: string, confirmations: number): Promise<DepositRow | null> {
    const before = await db.selectFrom('custody_deposits').selectAll().where('id', '=', id).executeTakeFirst()
    if (before?.status !== 'pending' || confirmations < required(before.asset)) return null
    let screening: ScreeningRecord | null = before.sender ? await screenSafely(before.sender) : null
    // Travel Rule (src/compliance): from a directory VASP's address without its data → held for review.
    const travelRule = await travelRuleDepositCheck({ db, clock }, before)
    if (travelRule.flagged)
      screening = { flagged: true, reasons: [...(screening?.reasons ?? []), ...travelRule.reasons] }
    const held = screening?.flagged === true
    const settled = await db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('custody_deposits')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirstOrThrow()
      if (row.status !== 'pending') return null
      const credit = await ledger.creditDeposit(tx, {
        key: depositKey({
          chain: row.chain,
          txid: row.txid,
          outputIndex: row.output_index,
          asset: row.asset,
        }),
        ref: `${row.chain}:${row.txid}`,
        owner: row.user_id,
        asset: row.asset,
        amount: BigInt(row.amount),
        held,
      })
      const now = clock.now()
      const updated = await tx
        .updateTable('custody_deposits')
        .set({
          status: held ? 'held' : 'credited',
          confirmations,
          screening: screening === null ? null : JSON.stringify(screening),
          ledger_transaction_id: credit.id,
          credited_at: now,
          updated_at: now,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(tx, {
        actor: 'system',
        action: held ? 'custody.deposit_held' : 'custody.deposit_credited',
        target: `user:${row.user_id}`,
        details: {
          deposit: row.id,
          chain: row.chain,
          txid: row.txid,
          asset: row.asset,
          amount: row.amount,
          ...(held ? { reasons: screening?.reasons ?? [] } : {}),
        },
      })
      if (held) await deps.onHeld?.(updated, tx)
      return updated
    })
    if (!settled) return null
    deps.events?.publish({
      type: 'deposit',
      at: clock.now().toISOString(),
      account: settled.user_id,
      asset: settled.asset,
      amount: settled.amount,
      ...(settled.sender ? { from: settled.sender } : {}),
      txHash: settled.txid,
    })
    if (held) {
      deps.events?.publish({
        type: 'custody_deposit_held',
        at: clock.now().toISOString(),
        account: settled.user_id,
        deposit: settled.id,
        asset: settled.asset,
        amount: settled.amount,
        reasons: screening?.reasons ?? [],
      })
    }
    return settled
  }

  // A screening failure must not credit unscreened funds: it keeps the deposit pending (the error
  // propagates to the watcher, which retries on its next poll).
  async function screenSafely(address: string): Promise<ScreeningRecord> {
    const result = await deps.screen(address)
    return { flagged: result.flagged, reasons: [...result.reasons] }
  }

  return {
    required,
    record,
    settle,

    /** Marks a pending deposit removed: its block is no longer on the chain. */
    async remove(id: string, why: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const done = await tx
          .updateTable('custody_deposits')
          .set({ status: 'removed', updated_at: clock.now() })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .returning(['user_id', 'txid', 'asset', 'amount'])
          .executeTakeFirst()
        if (!done) return
        await appendAudit(tx, {
          actor: 'system',
          action: 'custody.deposit_removed',
          target: `user:${done.user_id}`,
          details: { deposit: id, txid: done.txid, asset: done.asset, amount: done.amount, why },
        })
      })
    },

    /**
     * A deposit already credited whose block left the chain (a reorg deeper than the required
     * confirmations). It is NOT debited automatically: it is marked `reorged`, audit-logged and
     * raised as an alert, for people to decide.
     */
    async deepReorg(id: string, details: Record<string, unknown>): Promise<DepositRow | null> {
      const row = await db.transaction().execute(async (tx) => {
        const r = await tx
          .updateTable('custody_deposits')
          .set({ status: 'reorged', updated_at: clock.now() })
          .where('id', '=', id)
          .where('status', 'in', ['credited', 'held'])
          .returningAll()
          .executeTakeFirst()
        if (!r) return null
        await appendAudit(tx, {
          actor: 'system',
          action: 'custody.deposit_deep_reorg',
          target: `user:${r.user_id}`,
          details: { deposit: id, txid: r.txid, asset: r.asset, amount: r.amount, ...details },
        })
        return r
      })
      if (row) {
        deps.events?.publish({
          type: 'custody_deep_reorg',
          at: clock.now().toISOString(),
          account: row.user_id,
          deposit: row.id,
          txid: row.txid,
          asset: row.asset,
          amount: row.amount,
        })
      }
      return row
    },

    /** A customer's deposits, newest first. */
    list(userId: string, limit = 100) {
      return db
        .selectFrom('custody_deposits')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('seen_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute()
    },
  }
}
export type Deposits = ReturnType<typeof createDeposits>

/** The customer-facing view of a deposit: decimal amount, required confirmations, no internals. */
export function presentDeposit(d: DepositRow, required: number) {
  return {
    id: d.id,
    asset: d.asset,
    amount: formatAmount(d.asset, BigInt(d.amount)),
    chain: d.chain,
    txid: d.txid,
    address: d.address,
    // A customer is not told why a deposit is held (no tipping off about screening): held and
    // deep-reorged deposits both read "under review", and the reasons stay with staff.
    status: d.status === 'held' || d.status === 'reorged' ? ('under_review' as const) : d.status,
    confirmations: d.confirmations,
    requiredConfirmations: required,
    seenAt: d.seen_at.toISOString(),
    creditedAt: d.credited_at?.toISOString() ?? null,
  }
}
