/**
 * @module The exchange's double-entry ledger. Every movement of funds is one ledger transaction
 * whose entries sum to zero per asset, named by a unique idempotency key: a repeat with the same
 * key and the same content returns the first result, with other content it is refused (409
 * IDEMPOTENCY_KEY_REUSED). Balances are rows locked `for update` in id order (two movements queue,
 * never deadlock) and guarded by `CHECK (balance >= 0)` on every account that may not go
 * negative. Works inside the caller's database transaction, so a domain can move funds atomically
 * with its own writes (P2P escrow, withdrawals).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { sql, type Transaction } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import type { Database, Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { formatAmount, isCustodyAsset } from './assets.ts'
import { ACCOUNT_KINDS, type AccountKind } from './tables.ts'

export type Tx = Transaction<Database>
/** A database handle or a transaction: `post` opens its own transaction when given the former. */
export type Executor = Db | Tx

/** Kinds owned by the exchange itself (no customer). */
export const SYSTEM_KINDS: ReadonlySet<AccountKind> = new Set([
  'fees',
  'insurance_fund',
  'hot_wallet',
  'warm_wallet',
  'cold_wallet',
  'external_clearing',
])
/**
 * Kinds that may go negative: the on-chain side of the book. A wallet account holds minus what the
 * wallet holds on chain (−5 ETH in `hot_wallet` = 5 ETH in the hot wallet, owed to customers, fees
 * and the insurance fund), so that every transaction still sums to zero.
 */
export const NEGATIVE_KINDS: ReadonlySet<AccountKind> = new Set([
  'hot_wallet',
  'warm_wallet',
  'cold_wallet',
  'external_clearing',
])

/** An account: customer accounts name their owner, system accounts have `owner: null`. */
export type AccountRef = { owner: string | null; asset: string; kind: AccountKind }
export type Entry = { account: AccountRef; amount: bigint }

export type PostInput = {
  /** Unique per movement, e.g. `deposit:evm:<txid>:<log>`; a retry reuses it. */
  key: string
  /** What kind of movement, e.g. `deposit`, `hold`, `release`, `move`. */
  kind: string
  /** What it is about, e.g. `order:<id>`; kept on the transaction. */
  ref: string
  entries: Entry[]
}
export type PostResult = { id: string; key: string; at: Date; repeated: boolean }

export type Balance = { asset: string; kind: AccountKind; balance: bigint }
export type HistoryEntry = {
  transactionId: string
  key: string
  kind: string
  ref: string
  at: Date
  asset: string
  account: AccountKind
  amount: bigint
}

export type VerifyProblem =
  | { type: 'account'; accountId: string; account: AccountRef; balance: bigint; entries: bigint }
  | { type: 'transaction'; transactionId: string; key: string; asset: string; sum: bigint }
export type VerifyResult = { ok: boolean; accounts: number; transactions: number; problems: VerifyProblem[] }

type Amounted = { key: string; ref: string; owner: string; asset: string; amount: bigint }

const MAX_ENTRIES = 32

export type LedgerDeps = { db: Db; clock?: Clock }

/**
 * The ledger over the custody_* tables.
 * @example
 * const ledger = createLedger({ db })
 * await ledger.creditDeposit(tx, { key: 'deposit:evm:0xabc:-1', ref: 'tx:0xabc', owner, asset: 'ETH', amount: 10n ** 18n })
 */
export function createLedger(deps: LedgerDeps) {
  const now = () => deps.clock?.now() ?? new Date()

  async function post(executor: Executor, input: PostInput): Promise<PostResult> {
    const entries = checkEntries(input)
    if (!executor.isTransaction) return deps.db.transaction().execute((tx) => postIn(tx, input, entries))
    return postIn(executor as Tx, input, entries)
  }

  async function postIn(tx: Tx, input: PostInput, entries: Entry[]): Promise<PostResult> {
    const fingerprint = fingerprintOf(input.kind, input.ref, entries)
    const at = now()
    // Claim the key first: a concurrent post with the same key waits here for ours to commit.
    const claimed = await tx
      .insertInto('custody_transactions')
      .values({ idempotency_key: input.key, kind: input.kind, ref: input.ref, fingerprint, at })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning(['id', 'at'])
      .executeTakeFirst()
    if (!claimed) {
      const first = await tx
        .selectFrom('custody_transactions')
        .select(['id', 'at', 'fingerprint'])
        .where('idempotency_key', '=', input.key)
        .executeTakeFirstOrThrow()
      if (first.fingerprint !== fingerprint) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          409,
          'This idempotency key was already used for a different movement. Use a new key for a new movement.',
          { details: { key: input.key } },
        )
      }
      return { id: first.id, key: input.key, at: first.at, repeated: true }
    }
    // Accounts are created in key order and locked in id order, so concurrent posts never deadlock.
    const ids = await accountIds(
      tx,
      entries.map((e) => e.account),
    )
    const idOf = (a: AccountRef) => ids.get(refKey(a))!
    const locked = await tx
      .selectFrom('custody_accounts')
      .select(['id', 'balance', 'allow_negative'])
      .where('id', 'in', [...ids.values()])
      .orderBy('id')
      .forUpdate()
      .execute()
    const byId = new Map(locked.map((r) => [r.id, r]))
    for (const e of entries) {
      const row = byId.get(idOf(e.account))
      if (!row) throw new Error('custody ledger account vanished while locked')
      const after = BigInt(row.balance) + e.amount
      if (!row.allow_negative && after < 0n) throw insufficient(e.account, BigInt(row.balance), -e.amount)
    }
    const changes = entries.map((e) => sql`(${idOf(e.account)}::uuid, ${e.amount.toString()}::numeric)`)
    await sql`
      update custody_accounts as a set balance = a.balance + v.amount
      from (values ${sql.join(changes)}) as v (id, amount)
      where a.id = v.id`.execute(tx)
    await tx
      .insertInto('custody_entries')
      .values(
        entries.map((e) => ({
          transaction_id: claimed.id,
          account_id: idOf(e.account),
          amount: e.amount.toString(),
        })),
      )
      .execute()
    return { id: claimed.id, key: input.key, at: claimed.at, repeated: false }
  }

  const two = (kind: string, m: Amounted, from: AccountRef, to: AccountRef) =>
    ({
      key: m.key,
      kind,
      ref: m.ref,
      entries: [
        { account: from, amount: -m.amount },
        { account: to, amount: m.amount },
      ],
    }) satisfies PostInput

  return {
    post,

    /**
     * Credits a confirmed deposit: the hot wallet (the on-chain side) pays the customer's
     * available balance, or `held_deposit` when screening flagged it.
     */
    creditDeposit: (executor: Executor, m: Amounted & { held?: boolean }) =>
      post(
        executor,
        two(
          m.held ? 'deposit_held' : 'deposit',
          m,
          { owner: null, asset: m.asset, kind: 'hot_wallet' },
          { owner: m.owner, asset: m.asset, kind: m.held ? 'held_deposit' : 'available' },
        ),
      ),

    /** Moves available funds to `locked` (escrow, holds). */
    hold: (executor: Executor, m: Amounted) =>
      post(
        executor,
        two(
          'hold',
          m,
          { owner: m.owner, asset: m.asset, kind: 'available' },
          { owner: m.owner, asset: m.asset, kind: 'locked' },
        ),
      ),

    /** Pays locked funds to the available balance of `to` (default: the owner). */
    release: (executor: Executor, m: Amounted & { to?: string }) =>
      post(
        executor,
        two(
          'release',
          m,
          { owner: m.owner, asset: m.asset, kind: 'locked' },
          { owner: m.to ?? m.owner, asset: m.asset, kind: 'available' },
        ),
      ),

    /** Any two-account movement of one asset (fees, insurance fund, wallet to wallet). */
    move: (
      executor: Executor,
      m: { key: string; kind: string; ref: string; amount: bigint; from: AccountRef; to: AccountRef },
    ) => {
      if (m.from.asset !== m.to.asset) throw errors.invalidInput('A move stays within one asset.')
      return post(executor, two(m.kind, { ...m, owner: '', asset: m.from.asset }, m.from, m.to))
    },

    /** Every account of a customer (or, with `null`, of the exchange) and its balance. */
    async balances(executor: Executor, owner: string | null): Promise<Balance[]> {
      let q = executor.selectFrom('custody_accounts').select(['asset', 'kind', 'balance'])
      q = owner === null ? q.where('owner_id', 'is', null) : q.where('owner_id', '=', owner)
      const rows = await q.orderBy('asset').orderBy('kind').execute()
      return rows.map((r) => ({ asset: r.asset, kind: r.kind, balance: BigInt(r.balance) }))
    },

    /** A customer's entries, newest first (`before`: an entry id to page from). */
    async history(
      executor: Executor,
      owner: string,
      options: { limit?: number; before?: bigint } = {},
    ): Promise<(HistoryEntry & { id: bigint })[]> {
      let q = executor
        .selectFrom('custody_entries as e')
        .innerJoin('custody_accounts as a', 'a.id', 'e.account_id')
        .innerJoin('custody_transactions as t', 't.id', 'e.transaction_id')
        .select([
          'e.id',
          'e.amount',
          'a.asset',
          'a.kind as account',
          't.id as transactionId',
          't.idempotency_key as key',
          't.kind',
          't.ref',
          't.at',
        ])
        .where('a.owner_id', '=', owner)
      if (options.before !== undefined) q = q.where('e.id', '<', options.before)
      const rows = await q
        .orderBy('e.id', 'desc')
        .limit(options.limit ?? 100)
        .execute()
      return rows.map((r) => ({ ...r, id: BigInt(r.id), amount: BigInt(r.amount) }))
    },

    /**
     * Recomputes every balance from its entries and checks that every transaction sums to zero
     * per asset. Problems come in a fixed order (accounts by id, then transactions by id).
     */
    async verify(executor: Executor = deps.db): Promise<VerifyResult> {
      const accounts = await executor
        .selectFrom('custody_accounts as a')
        .leftJoin('custody_entries as e', 'e.account_id', 'a.id')
        .select([
          'a.id',
          'a.owner_id',
          'a.asset',
          'a.kind',
          sql<string>`a.balance::text`.as('balance'),
          sql<string>`coalesce(sum(e.amount), 0)::text`.as('entries'),
        ])
        .groupBy(['a.id', 'a.owner_id', 'a.asset', 'a.kind', 'a.balance'])
        .orderBy('a.id')
        .execute()
      const problems: VerifyProblem[] = []
      for (const a of accounts) {
        const balance = BigInt(a.balance)
        const fromEntries = BigInt(a.entries)
        if (balance !== fromEntries || (balance < 0n && !NEGATIVE_KINDS.has(a.kind))) {
          problems.push({
            type: 'account',
            accountId: a.id,
            account: { owner: a.owner_id, asset: a.asset, kind: a.kind },
            balance,
            entries: fromEntries,
          })
        }
      }
      const unbalanced = await executor
        .selectFrom('custody_entries as e')
        .innerJoin('custody_accounts as a', 'a.id', 'e.account_id')
        .innerJoin('custody_transactions as t', 't.id', 'e.transaction_id')
        .select(['t.id', 't.idempotency_key', 'a.asset', sql<string>`sum(e.amount)::text`.as('sum')])
        .groupBy(['t.id', 't.idempotency_key', 'a.asset'])
        .having(sql`sum(e.amount)`, '<>', 0)
        .orderBy('t.id')
        .execute()
      for (const t of unbalanced) {
        problems.push({
          type: 'transaction',
          transactionId: t.id,
          key: t.idempotency_key,
          asset: t.asset,
          sum: BigInt(t.sum),
        })
      }
      const { count } = await executor
        .selectFrom('custody_transactions')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow()
      return { ok: problems.length === 0, accounts: accounts.length, transactions: Number(count), problems }
    },
  }
}
export type Ledger = ReturnType<typeof createLedger>

/** A human line for a verification problem, naming the account or transaction. */
export function describeProblem(p: VerifyProblem): string {
  if (p.type === 'account') {
    const who = p.account.owner === null ? 'the exchange' : `user ${p.account.owner}`
    return `account ${p.accountId} (${p.account.kind} ${p.account.asset} of ${who}): balance ${p.balance}, entries sum to ${p.entries}`
  }
  return `transaction ${p.transactionId} (key ${p.key}): ${p.asset} entries sum to ${p.sum}, not 0`
}

function refKey(a: AccountRef): string {
  return `${a.owner ?? '-'}|${a.asset}|${a.kind}`
}

function checkEntries(input: PostInput): Entry[] {
  if (input.key.length === 0 || input.key.length > 200)
    throw errors.invalidInput('An idempotency key has 1 to 200 characters.')
  if (input.kind.length === 0 || input.kind.length > 64)
    throw errors.invalidInput('A movement kind has 1 to 64 characters.')
  if (input.ref.length > 200) throw errors.invalidInput('A movement reference has at most 200 characters.')
  const { entries } = input
  if (entries.length < 2 || entries.length > MAX_ENTRIES)
    throw errors.invalidInput(`A movement has 2 to ${MAX_ENTRIES} entries, got ${entries.length}.`)
  const seen = new Set<string>()
  const sums = new Map<string, bigint>()
  for (const e of entries) {
    const a = e.account
    if (!(ACCOUNT_KINDS as readonly string[]).includes(a.kind))
      throw errors.invalidInput(`Unknown account kind ${JSON.stringify(a.kind)}.`)
    if (!isCustodyAsset(a.asset)) throw errors.invalidInput(`Unknown asset ${JSON.stringify(a.asset)}.`)
    if ((a.owner === null) !== SYSTEM_KINDS.has(a.kind)) {
      throw errors.invalidInput(
        SYSTEM_KINDS.has(a.kind)
          ? `A ${a.kind} account belongs to the exchange and has no owner.`
          : `A ${a.kind} account belongs to a customer: name its owner.`,
      )
    }
    if (e.amount === 0n) throw errors.invalidInput('A ledger entry moves a non-zero amount.')
    const k = refKey(a)
    if (seen.has(k))
      throw errors.invalidInput(`The account ${a.kind} ${a.asset} appears twice in one movement.`)
    seen.add(k)
    sums.set(a.asset, (sums.get(a.asset) ?? 0n) + e.amount)
  }
  for (const [asset, sum] of sums) {
    if (sum !== 0n)
      throw errors.invalidInput(`The ${asset} entries of a movement must sum to zero, got ${sum}.`)
  }
  return entries
}

function fingerprintOf(kind: string, ref: string, entries: Entry[]): string {
  const canonical = entries
    .map((e) => `${refKey(e.account)}=${e.amount}`)
    .sort()
    .join(';')
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify([kind, ref, canonical]))))
}

/** The ids of the accounts, creating missing ones (in key order) first. */
async function accountIds(tx: Tx, refs: AccountRef[]): Promise<Map<string, string>> {
  const find = async () => {
    const rows = await tx
      .selectFrom('custody_accounts')
      .select(['id', 'owner_id', 'asset', 'kind'])
      .where((eb) =>
        eb.or(
          refs.map((r) =>
            eb.and([
              r.owner === null ? eb('owner_id', 'is', null) : eb('owner_id', '=', r.owner),
              eb('asset', '=', r.asset),
              eb('kind', '=', r.kind),
            ]),
          ),
        ),
      )
      .execute()
    return new Map(rows.map((r) => [refKey({ owner: r.owner_id, asset: r.asset, kind: r.kind }), r.id]))
  }
  const found = await find()
  const missing = refs.filter((r) => !found.has(refKey(r))).sort((a, b) => refKey(a).localeCompare(refKey(b)))
  if (missing.length === 0) return found
  // Two transactions may create the same account at once: the unique index keeps one.
  for (const r of missing) {
    await tx
      .insertInto('custody_accounts')
      .values({ owner_id: r.owner, asset: r.asset, kind: r.kind, allow_negative: NEGATIVE_KINDS.has(r.kind) })
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  const all = await find()
  for (const r of refs) {
    if (!all.has(refKey(r))) throw new Error(`custody account ${r.kind}/${r.asset} could not be created`)
  }
  return all
}

function insufficient(account: AccountRef, balance: bigint, needed: bigint): AppError {
  const what =
    account.kind === 'available' ? 'available balance' : `${account.kind.replace('_', ' ')} balance`
  return new AppError(
    'CUSTODY_INSUFFICIENT_BALANCE',
    409,
    `The ${what} holds ${formatAmount(account.asset, balance)} ${account.asset}, less than the ${formatAmount(account.asset, needed)} ${account.asset} needed.`,
    { details: { asset: account.asset, kind: account.kind } },
  )
}
