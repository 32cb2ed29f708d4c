/**
 * @module P2P escrow on the custody ledger: the `EscrowLedger` P2P runs on (routes, CLI, demo seed,
 * benchmark), and the migration that moved P2P's legacy private ledger onto it.
 *
 * Mapping: P2P `available` → custody `available`, P2P `escrow` → custody `locked`, money from
 * outside P2P (the CLI stand-in deposit, demo funding) comes from the exchange's
 * `external_clearing`. Every step is one ledger transaction inside P2P's own database transaction
 * (the one that changes the order's status), keyed per order step:
 * - `p2p:hold:order:<id>` — the seller's available → their locked, when the order is placed;
 * - `p2p:settle:order:<id>` — the seller's locked → the buyer's available (release) or back to the
 *   seller's available (cancel, expiry, refund on a dispute). Release and refund share the key on
 *   purpose: an order's escrow leaves once, and the ledger itself refuses the other way out with
 *   `IDEMPOTENCY_KEY_REUSED` even if an order's status check were ever bypassed; the same step
 *   repeated is answered from the first posting, without moving anything again.
 * Deposits have no natural key (demo funding repeats its ref) and get a fresh one each time.
 */
import type { Kysely, Migration } from 'kysely'
import type { Balance, EscrowLedger } from '../p2p/index.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { isCustodyAsset } from './assets.ts'
import { createLedger, type Ledger, type LedgerDeps, type Tx } from './ledger.ts'

/** The idempotency key of an order's escrow hold. */
export const holdKey = (ref: string) => `p2p:hold:${ref}`
/** The idempotency key of the one movement that takes an order's escrow out (release or refund). */
export const settleKey = (ref: string) => `p2p:settle:${ref}`

/**
 * P2P's escrow on a custody ledger.
 * @example const p2p = createP2p({ ...deps, ledger: custodyEscrowLedger(createLedger({ db, clock })) })
 */
export function custodyEscrowLedger(ledger: Ledger): EscrowLedger {
  return {
    async deposit(tx, m) {
      await ledger.move(tx, {
        key: `p2p:deposit:${crypto.randomUUID()}`,
        kind: 'p2p_deposit',
        ref: m.ref,
        amount: m.amount,
        from: { owner: null, asset: m.asset, kind: 'external_clearing' },
        to: { owner: m.owner, asset: m.asset, kind: 'available' },
      })
    },
    async hold(tx, m) {
      try {
        await ledger.hold(tx, {
          key: holdKey(m.ref),
          ref: m.ref,
          owner: m.owner,
          asset: m.asset,
          amount: m.amount,
        })
      } catch (error) {
        // P2P's contract names its own code (orders turn it into P2P_AD_UNFUNDED for a taker).
        if (error instanceof AppError && error.code === 'CUSTODY_INSUFFICIENT_BALANCE') {
          throw new AppError('P2P_INSUFFICIENT_BALANCE', 409, error.message, {
            cause: error,
            ...(error.details ? { details: error.details } : {}),
          })
        }
        throw error
      }
    },
    async release(tx, m) {
      await ledger.release(tx, {
        key: settleKey(m.ref),
        ref: m.ref,
        owner: m.owner,
        to: m.to,
        asset: m.asset,
        amount: m.amount,
      })
    },
    async refund(tx, m) {
      await ledger.release(tx, {
        key: settleKey(m.ref),
        ref: m.ref,
        owner: m.owner,
        asset: m.asset,
        amount: m.amount,
      })
    },
    async balances(db, owner) {
      const byAsset = new Map<string, Balance>()
      for (const b of await ledger.balances(db, owner)) {
        if (!isCustodyAsset(b.asset) || (b.kind !== 'available' && b.kind !== 'locked')) continue
        const entry = byAsset.get(b.asset) ?? { asset: b.asset, available: 0n, escrow: 0n }
        if (b.kind === 'available') entry.available = b.balance
        else entry.escrow = b.balance
        byAsset.set(b.asset, entry)
      }
      return [...byAsset.values()]
    },
  }
}

/**
 * The escrow P2P runs on: the custody ledger with the given database and clock.
 * @example const ledger = p2pEscrow({ db, clock })
 */
export function p2pEscrow(deps: LedgerDeps): EscrowLedger {
  return custodyEscrowLedger(createLedger(deps))
}

export type LegacyMoveResult = {
  accounts: number
  moved: Array<{ asset: string; kind: string; amount: bigint }>
}

/**
 * Moves every customer balance left in P2P's legacy ledger (`p2p_ledger_*`) onto the custody
 * ledger, in one database transaction: available → custody `available`, escrow (open orders) →
 * custody `locked`, each credited from `external_clearing` under the key
 * `p2p:migrate:<legacy account id>`. The legacy account is then drained into the legacy book's own
 * external account by a balanced `moved_to_custody` transaction naming the custody transaction, so
 * the legacy book still balances and shows where the money went. A second run finds nothing to
 * move; a repeat of one account's credit is answered by its key. One audit entry sums it up.
 */
export async function moveLegacyP2pBalances(tx: Tx): Promise<LegacyMoveResult> {
  const ledger = createLedger({ db: tx as unknown as Db })
  const rows = await tx
    .selectFrom('p2p_ledger_accounts')
    .select(['id', 'owner_id', 'asset', 'kind', 'balance'])
    .where('owner_id', 'is not', null)
    .where('kind', 'in', ['available', 'escrow'])
    .where('balance', '>', '0')
    .orderBy('id')
    .forUpdate()
    .execute()
  const moved = new Map<string, bigint>()
  for (const row of rows) {
    const amount = BigInt(row.balance)
    const kind = row.kind === 'escrow' ? 'locked' : 'available'
    const posted = await ledger.move(tx, {
      key: `p2p:migrate:${row.id}`,
      kind: 'p2p_migration',
      ref: `p2p-ledger:${row.id}`,
      amount,
      from: { owner: null, asset: row.asset, kind: 'external_clearing' },
      to: { owner: row.owner_id, asset: row.asset, kind },
    })
    const external = await legacyExternalAccount(tx, row.asset)
    const { id } = await tx
      .insertInto('p2p_ledger_transactions')
      .values({ kind: 'moved_to_custody', ref: `custody:${posted.id}`, at: posted.at })
      .returning('id')
      .executeTakeFirstOrThrow()
    await tx
      .insertInto('p2p_ledger_entries')
      .values([
        { transaction_id: id, account_id: row.id, amount: (-amount).toString() },
        { transaction_id: id, account_id: external, amount: amount.toString() },
      ])
      .execute()
    await tx.updateTable('p2p_ledger_accounts').set({ balance: '0' }).where('id', '=', row.id).execute()
    await tx
      .updateTable('p2p_ledger_accounts')
      .set((eb) => ({ balance: eb('balance', '+', amount.toString()) }))
      .where('id', '=', external)
      .execute()
    const total = `${row.asset}|${kind}`
    moved.set(total, (moved.get(total) ?? 0n) + amount)
  }
  const result: LegacyMoveResult = {
    accounts: rows.length,
    moved: [...moved].map(([k, amount]) => {
      const [asset = '', kind = ''] = k.split('|')
      return { asset, kind, amount }
    }),
  }
  if (rows.length > 0) {
    await appendAudit(tx, {
      actor: 'system',
      action: 'p2p.escrow_moved_to_custody',
      target: '',
      details: {
        accounts: rows.length,
        moved: result.moved.map((m) => ({ ...m, amount: m.amount.toString() })),
      },
    })
  }
  return result
}

async function legacyExternalAccount(tx: Tx, asset: string): Promise<string> {
  const find = () =>
    tx
      .selectFrom('p2p_ledger_accounts')
      .select('id')
      .where('owner_id', 'is', null)
      .where('asset', '=', asset)
      .where('kind', '=', 'external')
      .executeTakeFirst()
  const found = await find()
  if (found) return found.id
  await tx
    .insertInto('p2p_ledger_accounts')
    .values({ owner_id: null, asset, kind: 'external', allow_negative: true })
    .onConflict((oc) => oc.doNothing())
    .execute()
  const created = await find()
  if (!created) throw new Error(`legacy p2p external account ${asset} could not be created`)
  return created.id
}

/**
 * Custody migration 0785: P2P's legacy balances onto the custody ledger (after 0700 created it).
 * On a new database the legacy tables are empty and it does nothing.
 */
export const migrations: Record<string, Migration> = {
  '0785_custody_p2p_escrow_balances': {
    async up(db: Kysely<unknown>) {
      const handle = db as unknown as Db
      if (handle.isTransaction) await moveLegacyP2pBalances(handle as unknown as Tx)
      else await handle.transaction().execute((tx) => moveLegacyP2pBalances(tx))
    },
  },
}
