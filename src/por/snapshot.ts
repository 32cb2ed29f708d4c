/**
 * @module The round's liabilities from the custody ledger instead of a hand-made CSV: every customer's
 * `available` + `locked` + `pending_withdrawal` + `held_deposit` balance per asset, read in one
 * REPEATABLE READ transaction (one consistent point: a movement committed during the read is either
 * wholly in the snapshot or wholly out of it), written in the liabilities CSV format `buildRound`
 * imports (docs/por-spec.md §2). With the round's assets file, the columns are its assets at its
 * precision, and an amount finer than that precision is rounded up, so no liability is understated.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { sql } from 'kysely'
import { formatUnits } from '../p2p/index.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import type { AssetSpec } from './assets.ts'

/** The customer account kinds that are owed to the customer, hence liabilities of the exchange. */
export const LIABILITY_KINDS = ['available', 'locked', 'pending_withdrawal', 'held_deposit'] as const

export type LiabilitySnapshot = {
  /** The database's clock inside the snapshot transaction. */
  at: Date
  /** Column order: the assets file's order, or the ledger's assets sorted by symbol. */
  assets: { symbol: string; ledgerDecimals: number; roundDecimals: number }[]
  /** One row per customer with a custody account, by user id; totals in the ledger's smallest units. */
  users: { userId: string; totals: bigint[] }[]
}

export type SnapshotOptions = {
  /** The round's assets (from its assets file); default: every asset on the ledger at ledger precision. */
  assets?: AssetSpec[]
  /** Smallest-unit decimals of each ledger asset (the custody asset table). */
  ledgerDecimals: Record<string, number>
}

/**
 * Reads every customer's liabilities at one consistent point.
 * @example const snap = await snapshotLiabilities(db, { ledgerDecimals: { ETH: 18, BTC: 8 } })
 */
export async function snapshotLiabilities(db: Db, options: SnapshotOptions): Promise<LiabilitySnapshot> {
  const { rows, at } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const { now } = (await sql<{ now: Date }>`select now() as now`.execute(tx)).rows[0]!
      const rows = await tx
        .selectFrom('custody_accounts')
        .select(['owner_id', 'asset', sql<string>`sum(balance)::text`.as('total')])
        .where('owner_id', 'is not', null)
        .where('kind', 'in', [...LIABILITY_KINDS])
        .groupBy(['owner_id', 'asset'])
        .orderBy('owner_id')
        .orderBy('asset')
        .execute()
      return { rows, at: new Date(now) }
    })
  const onLedger = [...new Set(rows.map((r) => r.asset))].sort()
  const decimalsOf = (symbol: string) => {
    const d = options.ledgerDecimals[symbol]
    if (d === undefined) throw new Error(`custody asset ${symbol} has no decimals`)
    return d
  }
  let assets: LiabilitySnapshot['assets']
  if (options.assets) {
    const listed = new Set(options.assets.map((a) => a.symbol))
    const missing = onLedger.filter(
      (s) => !listed.has(s) && rows.some((r) => r.asset === s && BigInt(r.total) !== 0n),
    )
    if (missing.length > 0)
      throw new AppError(
        'POR_SNAPSHOT_ASSET_MISSING',
        400,
        `Customers hold ${missing.join(', ')}, which the assets file does not list; add ${missing.length === 1 ? 'it' : 'them'} so no liability is left out.`,
        { details: { missing } },
      )
    assets = options.assets.map((a) => ({
      symbol: a.symbol,
      ledgerDecimals: Object.hasOwn(options.ledgerDecimals, a.symbol) ? decimalsOf(a.symbol) : a.decimals,
      roundDecimals: a.decimals,
    }))
  } else {
    assets = onLedger.map((s) => ({ symbol: s, ledgerDecimals: decimalsOf(s), roundDecimals: decimalsOf(s) }))
  }
  const column = new Map(assets.map((a, i) => [a.symbol, i]))
  const users: LiabilitySnapshot['users'] = []
  for (const r of rows) {
    const owner = r.owner_id!
    let last = users[users.length - 1]
    if (last?.userId !== owner) {
      last = { userId: owner, totals: assets.map(() => 0n) }
      users.push(last)
    }
    const i = column.get(r.asset)
    if (i !== undefined) last.totals[i] = BigInt(r.total)
  }
  return { at, assets, users }
}

/** A ledger amount as a decimal at the round's precision, rounded up when the ledger is finer. */
export function roundAmount(amount: bigint, ledgerDecimals: number, roundDecimals: number): string {
  if (roundDecimals >= ledgerDecimals) return formatUnits(amount, ledgerDecimals)
  const step = 10n ** BigInt(ledgerDecimals - roundDecimals)
  const up = (amount + step - 1n) / step
  return formatUnits(up, roundDecimals)
}

/**
 * Writes the snapshot as a liabilities CSV (`user_id,<asset>,…`, decimals in whole units).
 * Returns how many cells were rounded up to the round's precision.
 */
export async function writeLiabilitiesCsv(
  path: string,
  snapshot: LiabilitySnapshot,
): Promise<{ roundedUp: number }> {
  const out = createWriteStream(path)
  let roundedUp = 0
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain')
  }
  await write(`user_id,${snapshot.assets.map((a) => a.symbol).join(',')}\n`)
  for (const u of snapshot.users) {
    const cells = u.totals.map((t, i) => {
      const a = snapshot.assets[i]!
      const step = a.roundDecimals < a.ledgerDecimals ? 10n ** BigInt(a.ledgerDecimals - a.roundDecimals) : 1n
      if (t % step !== 0n) roundedUp++
      return roundAmount(t, a.ledgerDecimals, a.roundDecimals)
    })
    await write(`${u.userId},${cells.join(',')}\n`)
  }
  out.end()
  await once(out, 'finish')
  return { roundedUp }
}
