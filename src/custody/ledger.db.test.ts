/**
 * The custody ledger on the real database engine: idempotency, the non-negative guard, verification,
 * properties over random movement sequences (fast-check) and 100 racing posts.
 */
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { createUser } from '../platform/identity/users.ts'
import { type AccountRef, createLedger, describeProblem, type Ledger } from './ledger.ts'

let database: TestDatabase
let db: Db
let ledger: Ledger
let n = 0

beforeAll(async () => {
  database = await createTestDatabase()
  db = database.db
  ledger = createLedger({ db })
})
afterAll(async () => {
  await database?.close()
})

async function customer() {
  const user = await createUser(db, {
    email: `ledger-${++n}-${crypto.randomUUID().slice(0, 8)}@test.bulwark`,
    displayName: `Customer ${n}`,
    kind: 'customer',
    password: null,
  })
  return user.id
}

const available = (owner: string, asset = 'USDT'): AccountRef => ({ owner, asset, kind: 'available' })
const balanceOf = async (owner: string, kind: string, asset = 'USDT') =>
  (await ledger.balances(db, owner)).find((b) => b.kind === kind && b.asset === asset)?.balance ?? 0n

async function expectAppError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AppError)
  expect((error as AppError).code).toBe(code)
}

describe('custody ledger', () => {
  it('credits a deposit once per idempotency key and returns the first result to a repeat', async () => {
    const alice = await customer()
    const deposit = { key: `dep-${alice}`, ref: 'tx:1', owner: alice, asset: 'USDT', amount: 5_000_000n }
    const first = await ledger.creditDeposit(db, deposit)
    const again = await ledger.creditDeposit(db, deposit)
    expect(first.repeated).toBe(false)
    expect(again).toEqual({ ...first, repeated: true })
    expect(await balanceOf(alice, 'available')).toBe(5_000_000n)
  })

  it('credits once when ten posts with the same key arrive at the same time', async () => {
    const alice = await customer()
    const deposit = { key: `same-${alice}`, ref: 'tx:9', owner: alice, asset: 'ETH', amount: 3n }
    const results = await Promise.all(Array.from({ length: 10 }, () => ledger.creditDeposit(db, deposit)))
    expect(new Set(results.map((r) => r.id)).size).toBe(1)
    expect(results.filter((r) => !r.repeated)).toHaveLength(1)
    expect(await balanceOf(alice, 'available', 'ETH')).toBe(3n)
  })

  it('refuses a repeated key with different content (409 IDEMPOTENCY_KEY_REUSED) and moves nothing', async () => {
    const alice = await customer()
    await ledger.creditDeposit(db, {
      key: `k-${alice}`,
      ref: 'tx:2',
      owner: alice,
      asset: 'USDT',
      amount: 7n,
    })
    await expectAppError(
      ledger.creditDeposit(db, { key: `k-${alice}`, ref: 'tx:2', owner: alice, asset: 'USDT', amount: 8n }),
      'IDEMPOTENCY_KEY_REUSED',
    )
    expect(await balanceOf(alice, 'available')).toBe(7n)
  })

  it('holds and releases to another customer, and refuses to hold more than is available', async () => {
    const [seller, buyer] = [await customer(), await customer()]
    await ledger.creditDeposit(db, {
      key: `d-${seller}`,
      ref: 'r',
      owner: seller,
      asset: 'USDT',
      amount: 100n,
    })
    await ledger.hold(db, { key: `h-${seller}`, ref: 'order:1', owner: seller, asset: 'USDT', amount: 60n })
    await expectAppError(
      ledger.hold(db, { key: `h2-${seller}`, ref: 'order:2', owner: seller, asset: 'USDT', amount: 41n }),
      'CUSTODY_INSUFFICIENT_BALANCE',
    )
    await ledger.release(db, {
      key: `r-${seller}`,
      ref: 'order:1',
      owner: seller,
      to: buyer,
      asset: 'USDT',
      amount: 60n,
    })
    expect(await balanceOf(seller, 'available')).toBe(40n)
    expect(await balanceOf(seller, 'locked')).toBe(0n)
    expect(await balanceOf(buyer, 'available')).toBe(60n)
    const history = await ledger.history(db, seller)
    expect(history.map((h) => [h.kind, h.account, h.amount])).toEqual([
      ['release', 'locked', -60n],
      ['hold', 'locked', 60n],
      ['hold', 'available', -60n],
      ['deposit', 'available', 100n],
    ])
  })

  it('refuses movements that do not sum to zero, name no owner for a customer account, or touch an account twice', async () => {
    const alice = await customer()
    const post = (entries: { account: AccountRef; amount: bigint }[]) =>
      ledger.post(db, { key: crypto.randomUUID(), kind: 'move', ref: '', entries })
    await expectAppError(
      post([
        { account: available(alice), amount: 5n },
        { account: { owner: null, asset: 'USDT', kind: 'hot_wallet' }, amount: -4n },
      ]),
      'INVALID_INPUT',
    )
    await expectAppError(
      post([
        { account: { owner: null, asset: 'USDT', kind: 'available' }, amount: 5n },
        { account: { owner: null, asset: 'USDT', kind: 'hot_wallet' }, amount: -5n },
      ]),
      'INVALID_INPUT',
    )
    await expectAppError(
      post([
        { account: available(alice), amount: 5n },
        { account: available(alice), amount: -5n },
      ]),
      'INVALID_INPUT',
    )
  })

  it('keeps the balance >= 0 invariant in the database itself, not only in code', async () => {
    const alice = await customer()
    await ledger.creditDeposit(db, { key: `c-${alice}`, ref: 'r', owner: alice, asset: 'USDT', amount: 1n })
    const write = sql`update custody_accounts set balance = -1 where owner_id = ${alice} and kind = 'available'`
    await expect(write.execute(db)).rejects.toThrow(/check constraint/)
  })

  it('verify is clean on a consistent book and names the first account whose balance was changed directly', async () => {
    const alice = await customer()
    await ledger.creditDeposit(db, { key: `v-${alice}`, ref: 'r', owner: alice, asset: 'ETH', amount: 10n })
    expect((await ledger.verify()).ok).toBe(true)
    await sql`update custody_accounts set balance = balance + 1 where owner_id = ${alice} and asset = 'ETH'`.execute(
      db,
    )
    const result = await ledger.verify()
    expect(result.ok).toBe(false)
    expect(result.problems).toHaveLength(1)
    expect(describeProblem(result.problems[0]!)).toContain(
      `(available ETH of user ${alice}): balance 11, entries sum to 10`,
    )
    await sql`update custody_accounts set balance = balance - 1 where owner_id = ${alice} and asset = 'ETH'`.execute(
      db,
    )
    expect((await ledger.verify()).ok).toBe(true)
  })
})

type Op =
  | { op: 'deposit'; who: number; asset: 'USDT' | 'ETH'; amount: bigint }
  | { op: 'hold' | 'unhold' | 'fee'; who: number; asset: 'USDT' | 'ETH'; amount: bigint }
  | { op: 'pay'; who: number; to: number; asset: 'USDT' | 'ETH'; amount: bigint }

const asset = fc.constantFrom('USDT' as const, 'ETH' as const)
const amount = fc.bigInt({ min: 1n, max: 1_000n })
const who = fc.integer({ min: 0, max: 2 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('deposit' as const), who, asset, amount }),
  fc.record({ op: fc.constantFrom('hold' as const, 'unhold' as const, 'fee' as const), who, asset, amount }),
  fc.record({ op: fc.constant('pay' as const), who, to: who, asset, amount }),
)

describe('custody ledger properties', () => {
  it('random movement sequences never create or lose money, and no customer balance goes negative', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const people = [await customer(), await customer(), await customer()]
        const model = new Map<string, bigint>()
        const add = (k: string, v: bigint) => model.set(k, (model.get(k) ?? 0n) + v)
        const get = (k: string) => model.get(k) ?? 0n
        for (const op of ops) {
          const owner = people[op.who]!
          const key = crypto.randomUUID()
          const m = { key, ref: 'prop', owner, asset: op.asset, amount: op.amount }
          const av = `${owner}|${op.asset}|available`
          const lk = `${owner}|${op.asset}|locked`
          const fee = `fees|${op.asset}`
          const attempt = async (run: () => Promise<unknown>, enough: boolean, apply: () => void) => {
            if (enough) {
              await run()
              apply()
            } else {
              await expectAppError(run(), 'CUSTODY_INSUFFICIENT_BALANCE')
            }
          }
          if (op.op === 'deposit') {
            await ledger.creditDeposit(db, m)
            add(av, op.amount)
          } else if (op.op === 'hold') {
            await attempt(
              () => ledger.hold(db, m),
              get(av) >= op.amount,
              () => {
                add(av, -op.amount)
                add(lk, op.amount)
              },
            )
          } else if (op.op === 'unhold') {
            await attempt(
              () => ledger.release(db, m),
              get(lk) >= op.amount,
              () => {
                add(lk, -op.amount)
                add(av, op.amount)
              },
            )
          } else if (op.op === 'fee') {
            await attempt(
              () =>
                ledger.move(db, {
                  key,
                  kind: 'fee',
                  ref: 'prop',
                  amount: op.amount,
                  from: available(owner, op.asset),
                  to: { owner: null, asset: op.asset, kind: 'fees' },
                }),
              get(av) >= op.amount,
              () => {
                add(av, -op.amount)
                add(fee, op.amount)
              },
            )
          } else if (op.op === 'pay') {
            const to = people[op.to]!
            if (to === owner) continue
            await attempt(
              () =>
                ledger.move(db, {
                  key,
                  kind: 'pay',
                  ref: 'prop',
                  amount: op.amount,
                  from: available(owner, op.asset),
                  to: available(to, op.asset),
                }),
              get(av) >= op.amount,
              () => {
                add(av, -op.amount)
                add(`${to}|${op.asset}|available`, op.amount)
              },
            )
          }
        }
        for (const owner of people) {
          for (const b of await ledger.balances(db, owner)) {
            expect(b.balance).toBeGreaterThanOrEqual(0n)
            expect(b.balance).toBe(get(`${owner}|${b.asset}|${b.kind}`))
          }
        }
        // Conservation: over the whole book, every asset's balances sum to zero.
        const sums = await db
          .selectFrom('custody_accounts')
          .select(['asset', sql<string>`sum(balance)::text`.as('sum')])
          .groupBy('asset')
          .execute()
        for (const s of sums) expect(BigInt(s.sum)).toBe(0n)
        expect((await ledger.verify()).ok).toBe(true)
      }),
      { numRuns: 15 },
    )
  }, 120_000)

  it('100 parallel posts from 10 accounts racing on the same balances end consistent, and verify is clean', async () => {
    const people = await Promise.all(Array.from({ length: 10 }, () => customer()))
    for (const p of people)
      await ledger.creditDeposit(db, { key: `seed-${p}`, ref: 'race', owner: p, asset: 'USDT', amount: 100n })
    // Post i spends from customer i/10, so the ten posts of each customer run at once and race on
    // one balance of 100: only some of them can be paid (30 each), depending on the interleaving.
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => {
        const from = Math.floor(i / 10)
        return ledger.move(db, {
          key: `race-${people[0]}-${i}`,
          kind: 'pay',
          ref: 'race',
          amount: 30n,
          from: available(people[from]!),
          to: available(people[(from + 1 + (i % 9)) % 10]!),
        })
      }),
    )
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('CUSTODY_INSUFFICIENT_BALANCE')
    }
    const done = results.filter((r) => r.status === 'fulfilled').length
    expect(done).toBeGreaterThan(0)
    let total = 0n
    for (const p of people) {
      const b = await balanceOf(p, 'available')
      expect(b).toBeGreaterThanOrEqual(0n)
      total += b
    }
    expect(total).toBe(1_000n)
    const entries = await db
      .selectFrom('custody_transactions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('idempotency_key', 'like', `race-${people[0]}-%`)
      .executeTakeFirstOrThrow()
    expect(Number(entries.n)).toBe(done)
    expect((await ledger.verify()).ok).toBe(true)
  })
})
