/**
 * The custody ledger behind P2P's escrow interface: the real P2P order flow (place → paid →
 * release, and cancel → refund) runs on it, each escrow step happens once per order, an order's
 * escrow leaves once (release and refund share a key), and the migration moves P2P's legacy
 * balances onto it once.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { type AdInput, createP2p, type EscrowLedger, type P2p } from '../p2p/index.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { createEventBus } from '../platform/events.ts'
import { createUser } from '../platform/identity/users.ts'
import { createLedger, type Ledger } from './ledger.ts'
import { custodyEscrowLedger, migrations } from './p2p-escrow.ts'

let database: TestDatabase
let db: Db
let escrow: EscrowLedger
let ledger: Ledger
let p2p: P2p
let n = 0
const clock = createManualClock(new Date('2026-03-02T09:00:00Z'))

beforeAll(async () => {
  database = await createTestDatabase()
  db = database.db
  ledger = createLedger({ db, clock })
  escrow = custodyEscrowLedger(ledger)
  // Built as a value, not a literal: P2P's dependencies are gaining an outflow gate right now,
  // and this stays valid whichever version of P2pDeps it meets. The gate here lets every outflow
  // through; the escrow adapter is what is under test.
  const deps = {
    db,
    clock,
    events: createEventBus(),
    ledger: escrow,
    secondFactor: { isEnabled: async () => true, confirm: async () => {} },
    outflow: async () => ({ decision: 'allow' as const, reasons: [], steps: [] }),
  }
  p2p = createP2p(deps)
})
afterAll(async () => {
  await database?.close()
})

async function customer(name: string) {
  const user = await createUser(db, {
    email: `${name}-${crypto.randomUUID().slice(0, 6)}@test.bulwark`,
    displayName: name,
    kind: 'customer',
    password: null,
  })
  return user.id
}

async function person(staffId: string) {
  const user = await createUser(db, {
    email: `escrow-${++n}-${crypto.randomUUID().slice(0, 6)}@test.bulwark`,
    displayName: `Person ${n}`,
    kind: 'customer',
    password: null,
  })
  await p2p.identities.submit(user.id, 'DE')
  await p2p.identities.review(staffId, { userId: user.id, decision: 'verify' })
  return user.id
}

const ad: AdInput = {
  side: 'sell',
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice: '1.00',
  minOrder: '1',
  maxOrder: '1000',
  availableAmount: '500',
  paymentMethods: ['SEPA'],
  terms: 'Pay within the window.',
  allowedCountries: [],
  paymentWindowMinutes: 15,
}

describe('custody escrow ledger for P2P', () => {
  it('runs a P2P order through hold and release, and a cancelled one through refund', async () => {
    const staff = await createUser(db, {
      email: `staff-${crypto.randomUUID().slice(0, 6)}@test.bulwark`,
      displayName: 'Compliance',
      kind: 'staff',
      role: 'compliance_officer',
      password: null,
    })
    const [seller, buyer] = [await person(staff.id), await person(staff.id)]
    await db.transaction().execute((tx) =>
      escrow.deposit(tx, {
        owner: seller,
        asset: 'USDT',
        amount: 1_000_000_000n,
        ref: 'test',
        at: clock.now(),
      }),
    )
    const adId = await p2p.ads.create(seller, ad)
    const order = await p2p.orders.place(buyer, adId, { amount: '100', idempotencyKey: 'o1' })
    expect(await escrow.balances(db, seller)).toEqual([
      { asset: 'USDT', available: 900_000_000n, escrow: 100_000_000n },
    ])
    await p2p.orders.markPaid(buyer, order.id)
    await p2p.orders.release(seller, order.id, { totpCode: '000000' })
    expect(await escrow.balances(db, seller)).toEqual([
      { asset: 'USDT', available: 900_000_000n, escrow: 0n },
    ])
    expect(await escrow.balances(db, buyer)).toEqual([{ asset: 'USDT', available: 100_000_000n, escrow: 0n }])

    const second = await p2p.orders.place(buyer, adId, { amount: '50', idempotencyKey: 'o2' })
    await p2p.orders.cancel(buyer, second.id)
    expect(await escrow.balances(db, seller)).toEqual([
      { asset: 'USDT', available: 900_000_000n, escrow: 0n },
    ])
  })

  it('holds at most once per order even when P2P repeats the step', async () => {
    const owner = (
      await createUser(db, {
        email: `rep-${crypto.randomUUID().slice(0, 6)}@test.bulwark`,
        displayName: 'R',
        kind: 'customer',
        password: null,
      })
    ).id
    const at = clock.now()
    await db.transaction().execute(async (tx) => {
      await escrow.deposit(tx, { owner, asset: 'ETH', amount: 10n, ref: 'test', at })
      await escrow.hold(tx, { owner, asset: 'ETH', amount: 4n, ref: 'order:x', at })
      await escrow.hold(tx, { owner, asset: 'ETH', amount: 4n, ref: 'order:x', at })
    })
    expect(await escrow.balances(db, owner)).toEqual([{ asset: 'ETH', available: 6n, escrow: 4n }])
  })

  it('lets an order’s escrow leave once: a repeated release moves nothing, a refund after it is refused', async () => {
    const [seller, buyer] = [await customer('settle-seller'), await customer('settle-buyer')]
    const at = clock.now()
    const m = { owner: seller, asset: 'USDT' as const, amount: 4n, ref: 'order:settle-once', at }
    await db.transaction().execute(async (tx) => {
      await escrow.deposit(tx, { ...m, amount: 10n, ref: 'test' })
      await escrow.hold(tx, m)
      // Another order's escrow sits in the same locked account: a double payout would find funds.
      await escrow.hold(tx, { ...m, ref: 'order:other' })
    })
    await db.transaction().execute((tx) => escrow.release(tx, { ...m, to: buyer }))
    await db.transaction().execute((tx) => escrow.release(tx, { ...m, to: buyer }))
    const refund = await db
      .transaction()
      .execute((tx) => escrow.refund(tx, m))
      .then(
        () => null,
        (error: unknown) => error,
      )
    expect(refund).toBeInstanceOf(AppError)
    expect((refund as AppError).code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(await escrow.balances(db, seller)).toEqual([{ asset: 'USDT', available: 2n, escrow: 4n }])
    expect(await escrow.balances(db, buyer)).toEqual([{ asset: 'USDT', available: 4n, escrow: 0n }])
  })

  it('refuses a hold larger than the seller’s available balance with P2P’s own code', async () => {
    const seller = await customer('short-seller')
    const at = clock.now()
    const error = await db
      .transaction()
      .execute(async (tx) => {
        await escrow.deposit(tx, { owner: seller, asset: 'USDT', amount: 5n, ref: 'test', at })
        await escrow.hold(tx, { owner: seller, asset: 'USDT', amount: 6n, ref: 'order:short', at })
      })
      .then(
        () => null,
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'P2P_INSUFFICIENT_BALANCE', status: 409 })
  })

  it('moves balances left in P2P’s legacy ledger onto the custody ledger once, open escrow included', async () => {
    const [seller, buyer] = [await customer('legacy-seller'), await customer('legacy-buyer')]
    // The legacy book as P2P's old ledger left it: 100 USDT deposited, 30 of it in escrow.
    const account = async (
      owner: string | null,
      kind: 'available' | 'escrow' | 'external',
      balance: bigint,
    ) => {
      const row = await db
        .insertInto('p2p_ledger_accounts')
        .values({
          owner_id: owner,
          asset: 'USDT',
          kind,
          balance: balance.toString(),
          allow_negative: owner === null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (row) return row.id
      const existing = await db
        .selectFrom('p2p_ledger_accounts')
        .select('id')
        .where('owner_id', 'is', null)
        .where('kind', '=', 'external')
        .where('asset', '=', 'USDT')
        .executeTakeFirstOrThrow()
      await db
        .updateTable('p2p_ledger_accounts')
        .set((eb) => ({ balance: eb('balance', '+', balance.toString()) }))
        .where('id', '=', existing.id)
        .execute()
      return existing.id
    }
    const external = await account(null, 'external', -100_000_000n)
    const available = await account(seller, 'available', 70_000_000n)
    const held = await account(seller, 'escrow', 30_000_000n)
    const legacyTx = async (ref: string, entries: Array<[string, bigint]>) => {
      const { id } = await db
        .insertInto('p2p_ledger_transactions')
        .values({ kind: 'legacy', ref, at: clock.now() })
        .returning('id')
        .executeTakeFirstOrThrow()
      await db
        .insertInto('p2p_ledger_entries')
        .values(
          entries.map(([account_id, amount]) => ({
            transaction_id: id,
            account_id,
            amount: amount.toString(),
          })),
        )
        .execute()
    }
    await legacyTx('test', [
      [external, -100_000_000n],
      [available, 100_000_000n],
    ])
    await legacyTx('order:legacy-open', [
      [available, -30_000_000n],
      [held, 30_000_000n],
    ])

    const migration = migrations['0785_custody_p2p_escrow_balances']!
    await migration.up(db as never)
    expect(await escrow.balances(db, seller)).toEqual([
      { asset: 'USDT', available: 70_000_000n, escrow: 30_000_000n },
    ])
    const legacy = await db
      .selectFrom('p2p_ledger_accounts')
      .select(['owner_id', 'kind', 'balance'])
      .where('id', 'in', [available, held])
      .execute()
    expect(legacy.map((a) => String(a.balance))).toEqual(['0', '0'])
    const unbalanced = await db
      .selectFrom('p2p_ledger_entries')
      .select('transaction_id')
      .groupBy('transaction_id')
      .having((eb) => eb.fn.sum('amount'), '<>', 0)
      .execute()
    expect(unbalanced).toEqual([])
    const moved = await db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'p2p.escrow_moved_to_custody')
      .execute()
    expect(moved).toHaveLength(1)

    // A second run moves nothing.
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('custody_transactions')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const before = await count()
    await migration.up(db as never)
    expect(await count()).toBe(before)
    expect(await escrow.balances(db, seller)).toEqual([
      { asset: 'USDT', available: 70_000_000n, escrow: 30_000_000n },
    ])

    // The order opened on the old ledger is released from the custody escrow it moved into.
    await db.transaction().execute((tx) =>
      escrow.release(tx, {
        owner: seller,
        to: buyer,
        asset: 'USDT',
        amount: 30_000_000n,
        ref: 'order:legacy-open',
        at: clock.now(),
      }),
    )
    expect(await escrow.balances(db, buyer)).toEqual([{ asset: 'USDT', available: 30_000_000n, escrow: 0n }])
    expect((await ledger.verify()).problems).toEqual([])
  })

  it('ran the move as a migration on this database, where the legacy book was empty', async () => {
    const ran = await sql<{
      name: string
    }>`select name from kysely_migration where name like '0785_%'`.execute(db)
    expect(ran.rows.map((r) => r.name)).toEqual(['0785_custody_p2p_escrow_balances'])
  })
})
