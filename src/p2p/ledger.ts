/**
 * @module The P2P escrow ledger: a small double-entry book until custody takes over. Every
 * movement is one ledger transaction with entries that sum to zero; balances are rows locked
 * `for update` (in id order, so two movements never deadlock) and guarded by `CHECK (balance >= 0)`.
 *
 * The rest of P2P talks only to the `EscrowLedger` type (deposit / hold / release / refund /
 * balances), always inside the caller's database transaction, so custody can replace this file
 * with its own ledger by providing the same five operations.
 */
import { sql, type Transaction } from 'kysely'
import type { Database, Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { type Asset, assets, formatUnits } from './money.ts'

type Tx = Transaction<Database>

export type Movement = {
  /** The customer whose funds move. */
  owner: string
  asset: Asset
  amount: bigint
  /** What it is about, e.g. `order:<id>`; kept on the ledger transaction. */
  ref: string
  at: Date
}

export type Balance = { asset: Asset; available: bigint; escrow: bigint }

/** What P2P needs from a ledger. Custody's ledger can implement the same operations. */
export type EscrowLedger = {
  /** Credits a customer from outside P2P (custody moving funds in; demo funding). */
  deposit(tx: Tx, movement: Movement): Promise<void>
  /** Moves a seller's available funds into escrow for an order. */
  hold(tx: Tx, movement: Movement): Promise<void>
  /** Pays a seller's escrow to the buyer's available balance. */
  release(tx: Tx, movement: Movement & { to: string }): Promise<void>
  /** Returns escrow to the seller's available balance. */
  refund(tx: Tx, movement: Movement): Promise<void>
  balances(db: Db | Tx, owner: string): Promise<Balance[]>
}

type AccountKey = { owner: string | null; asset: Asset; kind: 'available' | 'escrow' | 'external' }

/** The internal ledger over the p2p_ledger_* tables. */
export function createLedger(): EscrowLedger & {
  /** Sum of every entry per ledger transaction that is not zero (should be none). */
  unbalancedTransactions(db: Db): Promise<string[]>
} {
  return {
    deposit: (tx, m) =>
      transfer(
        tx,
        'deposit',
        m,
        { owner: null, asset: m.asset, kind: 'external' },
        available(m.owner, m.asset),
      ),
    hold: (tx, m) => transfer(tx, 'escrow_hold', m, available(m.owner, m.asset), escrow(m.owner, m.asset)),
    release: (tx, m) => transfer(tx, 'escrow_release', m, escrow(m.owner, m.asset), available(m.to, m.asset)),
    refund: (tx, m) =>
      transfer(tx, 'escrow_refund', m, escrow(m.owner, m.asset), available(m.owner, m.asset)),
    async balances(db, owner) {
      const rows = await db
        .selectFrom('p2p_ledger_accounts')
        .select(['asset', 'kind', 'balance'])
        .where('owner_id', '=', owner)
        .orderBy('asset')
        .execute()
      const byAsset = new Map<Asset, Balance>()
      for (const row of rows) {
        const asset = row.asset as Asset
        const entry = byAsset.get(asset) ?? { asset, available: 0n, escrow: 0n }
        if (row.kind === 'available') entry.available = BigInt(row.balance)
        if (row.kind === 'escrow') entry.escrow = BigInt(row.balance)
        byAsset.set(asset, entry)
      }
      return [...byAsset.values()]
    },
    async unbalancedTransactions(db) {
      const rows = await db
        .selectFrom('p2p_ledger_entries')
        .select(['transaction_id', sql<string>`sum(amount)::text`.as('total')])
        .groupBy('transaction_id')
        .having(sql`sum(amount)`, '<>', 0)
        .execute()
      return rows.map((r) => r.transaction_id)
    },
  }
}

const available = (owner: string, asset: Asset): AccountKey => ({ owner, asset, kind: 'available' })
const escrow = (owner: string, asset: Asset): AccountKey => ({ owner, asset, kind: 'escrow' })

async function accountId(tx: Tx, key: AccountKey): Promise<string> {
  const find = () => {
    let query = tx
      .selectFrom('p2p_ledger_accounts')
      .select('id')
      .where('asset', '=', key.asset)
      .where('kind', '=', key.kind)
    query = key.owner === null ? query.where('owner_id', 'is', null) : query.where('owner_id', '=', key.owner)
    return query.executeTakeFirst()
  }
  const existing = await find()
  if (existing) return existing.id
  // Two transactions may create the same account at once: the unique index keeps one.
  await tx
    .insertInto('p2p_ledger_accounts')
    .values({
      owner_id: key.owner,
      asset: key.asset,
      kind: key.kind,
      allow_negative: key.kind === 'external',
    })
    .onConflict((oc) => oc.doNothing())
    .execute()
  const created = await find()
  if (!created) throw new Error(`ledger account ${key.kind}/${key.asset} could not be created`)
  return created.id
}

async function transfer(tx: Tx, kind: string, m: Movement, from: AccountKey, to: AccountKey): Promise<void> {
  if (m.amount <= 0n) throw new RangeError(`ledger amount must be positive, got ${m.amount}`)
  const fromId = await accountId(tx, from)
  const toId = await accountId(tx, to)
  // Lock both rows in a fixed order so concurrent movements queue instead of deadlocking.
  const locked = await tx
    .selectFrom('p2p_ledger_accounts')
    .select(['id', 'balance', 'allow_negative'])
    .where('id', 'in', [fromId, toId])
    .orderBy('id')
    .forUpdate()
    .execute()
  const source = locked.find((r) => r.id === fromId)
  if (!source) throw new Error('ledger source account vanished')
  if (!source.allow_negative && BigInt(source.balance) < m.amount) {
    const what = from.kind === 'escrow' ? 'escrow' : 'available balance'
    throw new AppError(
      'P2P_INSUFFICIENT_BALANCE',
      409,
      `The ${what} holds ${formatUnits(BigInt(source.balance), assets[m.asset])} ${m.asset}, less than the ${formatUnits(m.amount, assets[m.asset])} ${m.asset} needed.`,
    )
  }
  const amount = m.amount.toString()
  await tx
    .updateTable('p2p_ledger_accounts')
    .set({ balance: sql`balance - ${amount}::numeric` })
    .where('id', '=', fromId)
    .execute()
  await tx
    .updateTable('p2p_ledger_accounts')
    .set({ balance: sql`balance + ${amount}::numeric` })
    .where('id', '=', toId)
    .execute()
  const { id } = await tx
    .insertInto('p2p_ledger_transactions')
    .values({ kind, ref: m.ref, at: m.at })
    .returning('id')
    .executeTakeFirstOrThrow()
  await tx
    .insertInto('p2p_ledger_entries')
    .values([
      { transaction_id: id, account_id: fromId, amount: `-${amount}` },
      { transaction_id: id, account_id: toId, amount },
    ])
    .execute()
}
