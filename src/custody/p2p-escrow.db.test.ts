/**
 * The custody ledger behind P2P's escrow interface: the real P2P order flow (place → paid →
 * release, and cancel → refund) runs on it, and each escrow step happens once per order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { type AdInput, createP2p, type EscrowLedger, type P2p } from '../p2p/index.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { createEventBus } from '../platform/events.ts'
import { createUser } from '../platform/identity/users.ts'
import { createLedger } from './ledger.ts'
import { custodyEscrowLedger } from './p2p-escrow.ts'

let database: TestDatabase
let db: Db
let escrow: EscrowLedger
let p2p: P2p
let n = 0
const clock = createManualClock(new Date('2026-03-02T09:00:00Z'))

beforeAll(async () => {
  database = await createTestDatabase()
  db = database.db
  const ledger = createLedger({ db, clock })
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
})
