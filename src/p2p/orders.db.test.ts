import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { createOutflowGate } from '../accounts/index.ts'
import { createLedger, custodyEscrowLedger, type Ledger } from '../custody/index.ts'
import { verifyAuditChain } from '../platform/audit.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { createEventBus, type PlatformEvent } from '../platform/events.ts'
import { createUser } from '../platform/identity/users.ts'
import { compileRules, createRiskEngine, parseRiskEvent } from '../risk/index.ts'
import { connectRiskToEventBus } from '../risk/platform-link.ts'
import { createRiskService } from '../risk/service.ts'
import type { AdInput } from './ads.ts'
import type { SecondFactor } from './deps.ts'
import { createP2p, type P2p } from './index.ts'
import type { EscrowLedger } from './ledger.ts'

/** An injected second factor: people listed have 2FA on, and the code is theirs alone. */
function secondFactorFor(codes: Map<string, string>): SecondFactor {
  return {
    isEnabled: async (userId) => codes.has(userId),
    confirm: async ({ userId, totpCode }) => {
      if (!codes.has(userId) || codes.get(userId) !== totpCode)
        throw new AppError('SECOND_FACTOR_INVALID', 403, 'That code is not valid.')
    },
  }
}

let database: TestDatabase
let db: Db
let p2p: P2p
const clock = createManualClock(new Date('2026-03-02T09:00:00Z'))
const codes = new Map<string, string>()
const events: PlatformEvent[] = []
/** The custody ledger P2P escrow runs on, and P2P's view of it. */
let custody: Ledger
let ledger: EscrowLedger
let staffId: string
let n = 0

async function person(country: string | null, opts: { twoFactor?: boolean; usdt?: bigint } = {}) {
  const user = await createUser(db, {
    email: `p2p-${++n}@test.bulwark`,
    displayName: `Person ${n}`,
    kind: 'customer',
    password: null,
  })
  if (country) {
    await p2p.identities.submit(user.id, country)
    await p2p.identities.review(staffId, { userId: user.id, decision: 'verify' })
  }
  if (opts.twoFactor) codes.set(user.id, `code-${n}`)
  if (opts.usdt) {
    await db.transaction().execute((tx) =>
      ledger.deposit(tx, {
        owner: user.id,
        asset: 'USDT',
        amount: opts.usdt!,
        ref: 'test',
        at: clock.now(),
      }),
    )
  }
  return user.id
}

const sellAd = (over: Partial<AdInput> = {}): AdInput => ({
  side: 'sell',
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice: '0.92',
  minOrder: '10',
  maxOrder: '1000',
  availableAmount: '500',
  paymentMethods: ['SEPA'],
  terms: 'SEPA from an account in your own name.',
  allowedCountries: ['DE', 'AT'],
  paymentWindowMinutes: 15,
  ...over,
})

async function balance(owner: string) {
  return (await ledger.balances(db, owner)).find((b) => b.asset === 'USDT') ?? { available: 0n, escrow: 0n }
}

/** The custody ledger transactions of one order, in the order they were posted. */
function custodyMovements(orderId: string) {
  return db
    .selectFrom('custody_transactions')
    .select(['idempotency_key', 'kind'])
    .where('ref', '=', `order:${orderId}`)
    .orderBy('at')
    .orderBy('kind')
    .execute()
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

beforeAll(async () => {
  database = await createTestDatabase()
  db = database.db
  custody = createLedger({ db, clock })
  ledger = custodyEscrowLedger(custody)
  const bus = createEventBus()
  bus.subscribe((e) => {
    events.push(e)
  })
  p2p = createP2p({
    db,
    clock,
    events: bus,
    ledger,
    secondFactor: secondFactorFor(codes),
    outflow: createOutflowGate({ db, clock }),
  })
  staffId = (
    await createUser(db, {
      email: 'compliance@test.bulwark',
      displayName: 'Compliance',
      kind: 'staff',
      role: 'compliance_officer',
      password: null,
    })
  ).id
})
afterAll(() => database.close())

describe('P2P orders and escrow', () => {
  it('refuses to let an advertiser without a verified identity or 2FA post an ad', async () => {
    const unverified = await person(null, { twoFactor: true })
    expect((await refusal(p2p.ads.create(unverified, sellAd()))).code).toBe('P2P_ADVERTISER_NOT_ELIGIBLE')
    const no2fa = await person('DE')
    const error = await refusal(p2p.ads.create(no2fa, sellAd()))
    expect(error.details).toEqual({ requirement: 'second_factor' })
  })

  it('moves the seller’s crypto into escrow when an order is placed, and to the buyer on release', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 1_000_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd())
    const order = await p2p.orders.place(buyer, adId, { amount: '100', idempotencyKey: 'k1' })
    expect(order.status).toBe('pending_payment')
    expect(String(order.fiat_amount)).toBe('9200')
    expect(await balance(seller)).toMatchObject({ available: 900_000_000n, escrow: 100_000_000n })
    const ad = await p2p.ads.get(buyer, { status: 'verified', country: 'AT' }, adId)
    expect(ad.availableAmount).toBe('400')

    await p2p.orders.markPaid(buyer, order.id)
    const wrong = await refusal(p2p.orders.release(seller, order.id, { totpCode: 'nope' }))
    expect(wrong.code).toBe('SECOND_FACTOR_INVALID')
    expect((await p2p.orders.get(seller, order.id)).status).toBe('paid')
    const released = await p2p.orders.release(seller, order.id, { totpCode: codes.get(seller)! })
    expect(released.status).toBe('released')
    expect(await balance(seller)).toMatchObject({ available: 900_000_000n, escrow: 0n })
    expect(await balance(buyer)).toMatchObject({ available: 100_000_000n, escrow: 0n })
    expect(
      events.filter((e) => e.type === 'p2p_order_status' && e.orderId === order.id).map((e) => e.action),
    ).toEqual(['placed', 'paid', 'released'])
    // The risk engine hears of the order once per party, in its own event schema.
    const risk = events.filter((e) => e.type === 'p2p_order' && e.orderId === order.id)
    expect(risk.map((e) => [e.account, e.side, e.counterparty, e.amount])).toEqual([
      [buyer, 'buy', seller, '100000000'],
      [seller, 'sell', buyer, '100000000'],
    ])
    expect(risk.map((e) => parseRiskEvent(e).type)).toEqual(['p2p_order', 'p2p_order'])
    expect((await custody.verify()).problems).toEqual([])
  })

  it('refuses an order the risk engine blocks, leaving the ad and the escrow untouched', async () => {
    const engine = createRiskEngine({
      rules: compileRules({
        version: 'test',
        rules: [
          {
            id: 'p2p-burst',
            events: ['p2p_order'],
            when: { feature: 'p2p.count.1h', op: '>=', value: 3 },
            action: 'block',
            score: 0.95,
            reason: '{p2p.count.1h} P2P orders in an hour',
          },
        ],
      }),
    })
    const guarded = createP2p({
      db,
      clock,
      events: createEventBus(),
      ledger,
      secondFactor: secondFactorFor(codes),
      outflow: createOutflowGate({ db, clock, risk: engine }),
      risk: engine,
    })
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await guarded.ads.create(seller, sellAd({ availableAmount: '100' }))
    await guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'r1' })
    await guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'r2' })
    // The buyer's third order in the hour trips the rule (the passive seller is not scored for it).
    const error = await refusal(guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'r3' }))
    expect(error.code).toBe('P2P_RISK_BLOCKED')
    expect(error.details).toEqual({ reasons: ['rule.p2p-burst'] })
    expect(await balance(seller)).toMatchObject({ available: 60_000_000n, escrow: 40_000_000n })
  })

  it('counts an order once for the risk engine when its events also reach it over the event bus', async () => {
    const engine = createRiskEngine({
      rules: compileRules({
        version: 'test',
        rules: [
          {
            id: 'p2p-burst',
            events: ['p2p_order'],
            when: { feature: 'p2p.count.1h', op: '>=', value: 3 },
            action: 'block',
            score: 0.95,
            reason: '{p2p.count.1h} P2P orders in an hour',
          },
        ],
      }),
    })
    // As in the server: every published event the risk schema knows is stored and, unless it was
    // already decided synchronously, scored.
    const bus = createEventBus()
    const link = connectRiskToEventBus({ risk: createRiskService({ db, clock, engine }), events: bus })
    const guarded = createP2p({
      db,
      clock,
      events: bus,
      ledger,
      secondFactor: secondFactorFor(codes),
      outflow: createOutflowGate({ db, clock, risk: engine }),
      risk: engine,
    })
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await guarded.ads.create(seller, sellAd({ availableAmount: '100' }))
    await guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'once-1' })
    await link.drain()
    await guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'once-2' })
    await link.drain()
    const error = await refusal(guarded.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'once-3' }))
    expect(error.code).toBe('P2P_RISK_BLOCKED')
    // Both placed orders are stored for the warm-up after a restart.
    const stored = await db
      .selectFrom('risk_events')
      .select('id')
      .where('account', '=', buyer)
      .where('type', '=', 'p2p_order')
      .execute()
    expect(stored).toHaveLength(2)
    link.unsubscribe()
  })

  it('refuses a buyer verified outside the allowlist with P2P_REGION_NOT_ALLOWED and counts the attempt', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 500_000_000n })
    const french = await person('FR')
    const adId = await p2p.ads.create(seller, sellAd())
    const error = await refusal(p2p.orders.place(french, adId, { amount: '50', idempotencyKey: 'fr' }))
    expect(error.code).toBe('P2P_REGION_NOT_ALLOWED')
    expect(error.status).toBe(403)
    expect(error.message).toMatch(/Austria and Germany.*France/)
    expect(await balance(seller)).toMatchObject({ escrow: 0n })
    const metrics = await p2p.metrics([adId])
    expect(metrics.ads[0]!.blocked).toBe(1)
  })

  it('refuses unverified users on restricted ads but lets them take ads open to everyone', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 500_000_000n })
    const pending = await person(null)
    await p2p.identities.submit(pending, 'DE')
    const restricted = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const error = await refusal(p2p.orders.place(pending, restricted, { amount: '20', idempotencyKey: 'a' }))
    expect(error.code).toBe('P2P_REGION_NOT_ALLOWED')
    expect(error.details?.reason).toBe('identity_unverified')
    const open = await p2p.ads.create(seller, sellAd({ availableAmount: '100', allowedCountries: [] }))
    expect((await p2p.orders.place(pending, open, { amount: '20', idempotencyKey: 'b' })).status).toBe(
      'pending_payment',
    )
  })

  it('applies an edit to new orders at once while open orders keep the terms they were placed under', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 500_000_000n })
    const buyer = await person('AT')
    const french = await person('FR')
    const adId = await p2p.ads.create(seller, sellAd())
    const first = await p2p.orders.place(buyer, adId, { amount: '100', idempotencyKey: 'before' })
    await p2p.ads.update(
      seller,
      adId,
      sellAd({
        fixedPrice: '0.95',
        terms: 'Revolut only',
        paymentMethods: ['Revolut'],
        allowedCountries: ['DE', 'AT', 'FR'],
        availableAmount: '300',
      }),
    )
    const second = await p2p.orders.place(french, adId, { amount: '100', idempotencyKey: 'after' })
    expect(String(second.price)).toMatch(/^0\.95/)
    expect(second.terms.paymentMethods).toEqual(['Revolut'])
    const kept = await p2p.orders.get(buyer, first.id)
    expect(kept.terms.price).toBe('0.92')
    expect(kept.terms.paymentMethods).toEqual(['SEPA'])
    expect(kept.terms.allowedCountries).toEqual(['AT', 'DE'])
    expect(String(kept.fiat_amount)).toBe('9200')
    const byAllowlist = (await p2p.metrics([adId])).ads[0]!.byAllowlist
    expect(byAllowlist.map((v) => [v.allowedCountries, v.orders])).toEqual([
      [['AT', 'DE'], 1],
      [['AT', 'DE', 'FR'], 1],
    ])
  })

  it('lets the buyer cancel before paying (escrow back to the seller) but not after', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 200_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '200' }))
    const order = await p2p.orders.place(buyer, adId, { amount: '50', idempotencyKey: 'c1' })
    expect((await refusal(p2p.orders.cancel(seller, order.id))).code).toBe('P2P_NOT_THE_BUYER')
    await p2p.orders.cancel(buyer, order.id)
    expect(await balance(seller)).toMatchObject({ available: 200_000_000n, escrow: 0n })
    const paid = await p2p.orders.place(buyer, adId, { amount: '50', idempotencyKey: 'c2' })
    await p2p.orders.markPaid(buyer, paid.id)
    expect((await refusal(p2p.orders.cancel(buyer, paid.id))).code).toBe('P2P_ORDER_WRONG_STATUS')
  })

  it('expires unpaid orders when the payment window ends and returns the escrow', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100', paymentWindowMinutes: 15 }))
    const order = await p2p.orders.place(buyer, adId, { amount: '40', idempotencyKey: 'e1' })
    clock.advance(14 * 60_000)
    expect(await p2p.orders.expireDue()).toEqual({ expired: 0 })
    clock.advance(60_000)
    const { expired } = await p2p.orders.expireDue()
    expect(expired).toBeGreaterThanOrEqual(1)
    expect((await p2p.orders.get(buyer, order.id)).status).toBe('expired')
    expect(await balance(seller)).toMatchObject({ available: 100_000_000n, escrow: 0n })
    expect((await refusal(p2p.orders.markPaid(buyer, order.id))).code).toBe('P2P_ORDER_EXPIRED')
  })

  it('opens an appeal only 15 minutes after "paid", and support resolves it by refund or release', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const a = await p2p.orders.place(buyer, adId, { amount: '30', idempotencyKey: 'd1' })
    const b = await p2p.orders.place(buyer, adId, { amount: '30', idempotencyKey: 'd2' })
    await p2p.orders.markPaid(buyer, a.id)
    await p2p.orders.markPaid(buyer, b.id)
    clock.advance(14 * 60_000)
    expect((await refusal(p2p.orders.appeal(buyer, a.id, 'seller silent'))).code).toBe('P2P_APPEAL_TOO_EARLY')
    clock.advance(60_000)
    await p2p.orders.appeal(buyer, a.id, 'seller silent')
    await p2p.orders.appeal(seller, b.id, 'no money arrived')
    expect((await refusal(p2p.orders.release(seller, a.id, { totpCode: codes.get(seller)! }))).code).toBe(
      'P2P_ORDER_IN_DISPUTE',
    )
    expect((await p2p.orders.disputes()).map((o) => o.id)).toEqual(expect.arrayContaining([a.id, b.id]))
    await p2p.orders.resolve(staffId, a.id, 'release', 'bank statement shows payment')
    await p2p.orders.resolve(staffId, b.id, 'refund', 'no payment')
    expect(await balance(buyer)).toMatchObject({ available: 30_000_000n })
    expect(await balance(seller)).toMatchObject({ available: 70_000_000n, escrow: 0n })
    const m = (await p2p.metrics([adId])).ads[0]!
    expect(m).toMatchObject({
      orders: 2,
      completed: 1,
      refunded: 1,
      appealed: 2,
      abnormal: 2,
      completionRate: '0.5',
    })
  })

  it('returns the same order for a retried idempotency key and refuses the key on another ad', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 300_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const other = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const first = await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'same' })
    const again = await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'same' })
    expect(again.id).toBe(first.id)
    expect(await balance(seller)).toMatchObject({ escrow: 20_000_000n })
    expect(
      (await refusal(p2p.orders.place(buyer, other, { amount: '20', idempotencyKey: 'same' }))).code,
    ).toBe('P2P_IDEMPOTENCY_KEY_REUSED')
  })

  it('never oversells: 100 concurrent orders against a 10 USDT ad fill exactly 10', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 50_000_000n })
    const adId = await p2p.ads.create(
      seller,
      sellAd({ availableAmount: '10', minOrder: '0.92', maxOrder: '0.92', allowedCountries: [] }),
    )
    const buyers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const user = await createUser(db, {
          email: `crowd-${i}-${n}@test.bulwark`,
          displayName: `Crowd ${i}`,
          kind: 'customer',
          password: null,
        })
        return user.id
      }),
    )
    const results = await Promise.allSettled(
      buyers.map((b) => p2p.orders.place(b, adId, { amount: '1', idempotencyKey: 'crowd' })),
    )
    const filled = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    expect(filled).toHaveLength(10)
    expect(new Set(refused.map((r) => (r.reason as AppError).code))).toEqual(
      new Set(['P2P_AD_INSUFFICIENT_AMOUNT']),
    )
    expect(await balance(seller)).toMatchObject({ available: 40_000_000n, escrow: 10_000_000n })
    const ad = await db
      .selectFrom('p2p_ads')
      .select('available_amount')
      .where('id', '=', adId)
      .executeTakeFirstOrThrow()
    expect(String(ad.available_amount)).toBe('0')
    expect((await custody.verify()).problems).toEqual([])
  })

  it('counts views and conversion per ad, and every step is in an intact audit log', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const viewer = { status: 'verified' as const, country: 'AT' }
    for (let i = 0; i < 4; i++) await p2p.ads.get(buyer, viewer, adId, { countView: true })
    await p2p.ads.get(seller, null, adId, { countView: true })
    await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'v1' })
    const m = (await p2p.metrics([adId])).ads[0]!
    expect(m).toMatchObject({ views: 4, orders: 1, open: 1, conversion: '0.25' })
    const actions = (await db.selectFrom('audit_log').select('action').execute()).map((r) => r.action)
    for (const action of [
      'p2p.ad_created',
      'p2p.order_placed',
      'p2p.order_released',
      'p2p.order_refused',
      'p2p.dispute_resolved',
      'p2p.order_expired',
      'p2p.identity_verified',
    ])
      expect(actions).toContain(action)
    expect((await verifyAuditChain(db)).intact).toBe(true)
  })

  it('on a buy ad, escrows the taker’s crypto and releases it to the advertiser', async () => {
    const advertiser = await person('DE', { twoFactor: true })
    const taker = await person('FR', { twoFactor: true, usdt: 80_000_000n })
    const adId = await p2p.ads.create(
      advertiser,
      sellAd({ side: 'buy', fixedPrice: '0.91', allowedCountries: ['FR', 'DE'], availableAmount: '200' }),
    )
    const order = await p2p.orders.place(taker, adId, { fiatAmount: '45.5', idempotencyKey: 'sell-1' })
    expect([order.buyer_id, order.seller_id, String(order.amount)]).toEqual([advertiser, taker, '50000000'])
    expect(await balance(taker)).toMatchObject({ available: 30_000_000n, escrow: 50_000_000n })
    expect((await refusal(p2p.orders.markPaid(taker, order.id))).code).toBe('P2P_NOT_THE_BUYER')
    await p2p.orders.markPaid(advertiser, order.id)
    await p2p.orders.release(taker, order.id, { totpCode: codes.get(taker)! })
    expect(await balance(advertiser)).toMatchObject({ available: 50_000_000n })
    expect(await balance(taker)).toMatchObject({ available: 30_000_000n, escrow: 0n })
  })

  it('refuses an order on a buy ad when the taker has too little to escrow', async () => {
    const advertiser = await person('DE', { twoFactor: true })
    const taker = await person('DE', { usdt: 5_000_000n })
    const adId = await p2p.ads.create(
      advertiser,
      sellAd({ side: 'buy', allowedCountries: [], availableAmount: '200' }),
    )
    const error = await refusal(p2p.orders.place(taker, adId, { amount: '20', idempotencyKey: 'poor' }))
    expect(error.code).toBe('P2P_INSUFFICIENT_BALANCE')
    const ad = await db
      .selectFrom('p2p_ads')
      .select('available_amount')
      .where('id', '=', adId)
      .executeTakeFirstOrThrow()
    expect(String(ad.available_amount)).toBe('200000000')
  })

  it('prices floating ads from the reference price and refuses them when there is none', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(
      seller,
      sellAd({
        fiat: 'CHF',
        priceType: 'floating',
        fixedPrice: null,
        marginBps: 150,
        availableAmount: '100',
      }),
    )
    expect((await refusal(p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'f0' }))).code).toBe(
      'P2P_PRICE_UNAVAILABLE',
    )
    await p2p.ads.setReferencePrice('USDT', 'CHF', '0.88')
    const order = await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'f1' })
    expect(order.terms.price).toBe('0.8932')
    expect(String(order.fiat_amount)).toBe('1787')
  })

  it('refuses a sell ad larger than the balance, and never tells a buyer the seller’s balance', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 50_000_000n })
    expect((await refusal(p2p.ads.create(seller, sellAd({ availableAmount: '60' })))).code).toBe(
      'P2P_INSUFFICIENT_BALANCE',
    )
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '50' }))
    const other = await p2p.ads.create(seller, sellAd({ availableAmount: '50' }))
    const buyer = await person('AT')
    await p2p.orders.place(buyer, other, { amount: '40', idempotencyKey: 'u1' })
    const error = await refusal(p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'u2' }))
    expect(error.code).toBe('P2P_AD_UNFUNDED')
    expect(error.message).not.toMatch(/\d/)
  })

  it('shows local ads only: ads open to my verified country, advertisers from my country first', async () => {
    const viewerId = await person('FR')
    const viewer = await p2p.identities.forRules(viewerId)
    const german = await person('DE', { twoFactor: true, usdt: 1_000_000_000n })
    const french = await person('FR', { twoFactor: true, usdt: 1_000_000_000n })
    const open = await p2p.ads.create(german, sellAd({ fiat: 'PLN', allowedCountries: [] }))
    const forFrance = await p2p.ads.create(french, sellAd({ fiat: 'PLN', allowedCountries: ['FR'] }))
    const forGermany = await p2p.ads.create(german, sellAd({ fiat: 'PLN', allowedCountries: ['DE'] }))
    const ids = [open, forFrance, forGermany]
    const all = (await p2p.ads.list(viewerId, viewer, { fiat: 'PLN' })).filter((a) => ids.includes(a.id))
    expect(all.find((a) => a.id === forGermany)?.eligibility).toMatchObject({
      ok: false,
      code: 'P2P_REGION_NOT_ALLOWED',
    })
    const local = (await p2p.ads.list(viewerId, viewer, { fiat: 'PLN', localOnly: true })).filter((a) =>
      ids.includes(a.id),
    )
    expect(local.map((a) => a.id)).toEqual([forFrance, open])
  })

  it('caps the unpaid orders one taker can hold, so nobody can lock up sellers’ escrow', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 500_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '500' }))
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: `cap${i}` }),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((refused.reason as AppError).code).toBe('P2P_TOO_MANY_UNPAID_ORDERS')
    const first = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }>)
      .value
    await p2p.orders.cancel(buyer, first.id)
    expect((await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'cap-next' })).status).toBe(
      'pending_payment',
    )
  })

  it('pauses and closes ads: no new orders, open orders carry on', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const open = await p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'p1' })
    await p2p.ads.setStatus(seller, adId, 'paused')
    expect((await refusal(p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'p2' }))).code).toBe(
      'P2P_AD_NOT_ACTIVE',
    )
    await p2p.ads.setStatus(seller, adId, 'closed')
    expect((await refusal(p2p.ads.setStatus(seller, adId, 'active'))).code).toBe('P2P_AD_CLOSED')
    await p2p.orders.markPaid(buyer, open.id)
    expect((await p2p.orders.release(seller, open.id, { totpCode: codes.get(seller)! })).status).toBe(
      'released',
    )
  })

  it('audit-logs and publishes every step of an order with its actor and facts', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 200_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '200' }))
    const place = (key: string) => p2p.orders.place(buyer, adId, { amount: '20', idempotencyKey: key })
    const [released, appealed, refunded, cancelled, expired] = [
      await place('steps-1'),
      await place('steps-2'),
      await place('steps-3'),
      await place('steps-4'),
      await place('steps-5'),
    ]
    for (const o of [released, appealed, refunded]) await p2p.orders.markPaid(buyer, o.id)
    await p2p.orders.cancel(buyer, cancelled.id)
    clock.advance(15 * 60_000)
    await p2p.orders.expireDue()
    await p2p.orders.release(seller, released.id, { totpCode: codes.get(seller)! })
    await p2p.orders.appeal(buyer, appealed.id, 'seller silent')
    await p2p.orders.appeal(seller, refunded.id, 'no money arrived')
    await p2p.orders.resolve(staffId, appealed.id, 'release', 'paid')
    await p2p.orders.resolve(staffId, refunded.id, 'refund', 'not paid')

    const ids = [released, appealed, refunded, cancelled, expired].map((o) => o.id)
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target', 'details'])
      .where(
        'target',
        'in',
        ids.map((id) => `order:${id}`),
      )
      .where('action', '!=', 'p2p.order_placed')
      .orderBy('seq')
      .execute()
    const eur = { fiat: 'EUR', fiatAmount: '1840' }
    const coins = { amount: '20000000', asset: 'USDT' }
    const parties = { buyer, seller, amount: '20000000' }
    expect(audit).toEqual([
      { actor: `user:${buyer}`, action: 'p2p.order_paid', target: `order:${released.id}`, details: eur },
      { actor: `user:${buyer}`, action: 'p2p.order_paid', target: `order:${appealed.id}`, details: eur },
      { actor: `user:${buyer}`, action: 'p2p.order_paid', target: `order:${refunded.id}`, details: eur },
      {
        actor: `user:${buyer}`,
        action: 'p2p.order_cancelled',
        target: `order:${cancelled.id}`,
        details: coins,
      },
      {
        actor: 'system',
        action: 'p2p.order_expired',
        target: `order:${expired.id}`,
        details: { buyer, seller, ...coins },
      },
      {
        actor: `user:${seller}`,
        action: 'p2p.order_released',
        target: `order:${released.id}`,
        details: { to: buyer, ...coins, secondFactor: true },
      },
      {
        actor: `user:${buyer}`,
        action: 'p2p.order_appealed',
        target: `order:${appealed.id}`,
        details: { reason: 'seller silent', by: 'buyer' },
      },
      {
        actor: `user:${seller}`,
        action: 'p2p.order_appealed',
        target: `order:${refunded.id}`,
        details: { reason: 'no money arrived', by: 'seller' },
      },
      {
        actor: `staff:${staffId}`,
        action: 'p2p.dispute_resolved',
        target: `order:${appealed.id}`,
        details: { outcome: 'release', note: 'paid', ...parties },
      },
      {
        actor: `staff:${staffId}`,
        action: 'p2p.dispute_resolved',
        target: `order:${refunded.id}`,
        details: { outcome: 'refund', note: 'not paid', ...parties },
      },
    ])
    const published = events
      .filter(
        (e) => e.type === 'p2p_order_status' && ids.includes(e.orderId as string) && e.action !== 'placed',
      )
      .map((e) => [e.orderId, e.action, e.actor, e.status])
    expect(published).toEqual([
      [released.id, 'paid', `user:${buyer}`, 'paid'],
      [appealed.id, 'paid', `user:${buyer}`, 'paid'],
      [refunded.id, 'paid', `user:${buyer}`, 'paid'],
      [cancelled.id, 'cancelled', `user:${buyer}`, 'cancelled'],
      [expired.id, 'expired', 'system', 'expired'],
      [released.id, 'released', `user:${seller}`, 'released'],
      [appealed.id, 'appealed', `user:${buyer}`, 'paid'],
      [refunded.id, 'appealed', `user:${seller}`, 'paid'],
      [appealed.id, 'resolved_release', `staff:${staffId}`, 'released'],
      [refunded.id, 'resolved_refund', `staff:${staffId}`, 'refunded'],
    ])
    const rows = await db
      .selectFrom('p2p_orders')
      .select(['id', 'status', 'resolution', 'resolved_by'])
      .where('id', 'in', [appealed.id, refunded.id])
      .execute()
    expect(rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id))).toEqual([
      { id: appealed.id, status: 'released', resolution: 'release', resolved_by: staffId },
      { id: refunded.id, status: 'refunded', resolution: 'refund', resolved_by: staffId },
    ])
    expect(await balance(seller)).toMatchObject({ available: 160_000_000n, escrow: 0n })
    expect(await balance(buyer)).toMatchObject({ available: 40_000_000n, escrow: 0n })
  })

  it('pays a released order to the buyer once, however many releases race for it', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const order = await p2p.orders.place(buyer, adId, { amount: '30', idempotencyKey: 'race-release' })
    await p2p.orders.markPaid(buyer, order.id)
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => p2p.orders.release(seller, order.id, { totpCode: codes.get(seller)! })),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    expect(new Set(refused.map((r) => (r.reason as AppError).code))).toEqual(
      new Set(['P2P_ORDER_WRONG_STATUS']),
    )
    expect(await balance(buyer)).toMatchObject({ available: 30_000_000n, escrow: 0n })
    expect(await balance(seller)).toMatchObject({ available: 70_000_000n, escrow: 0n })
    expect(await custodyMovements(order.id)).toEqual([
      { idempotency_key: `p2p:hold:order:${order.id}`, kind: 'hold' },
      { idempotency_key: `p2p:settle:order:${order.id}`, kind: 'release' },
    ])
    // Below the order's status check, the ledger itself refuses to refund escrow already paid out.
    const refund = refusal(
      db.transaction().execute((tx) =>
        ledger.refund(tx, {
          owner: seller,
          asset: 'USDT',
          amount: 30_000_000n,
          ref: `order:${order.id}`,
          at: clock.now(),
        }),
      ),
    )
    expect((await refund).code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(await balance(seller)).toMatchObject({ available: 70_000_000n, escrow: 0n })
    expect((await custody.verify()).problems).toEqual([])
  })

  it('returns a cancelled order’s escrow to the seller once, while cancels and the expiry sweep race', async () => {
    const seller = await person('DE', { twoFactor: true, usdt: 100_000_000n })
    const buyer = await person('AT')
    const adId = await p2p.ads.create(seller, sellAd({ availableAmount: '100' }))
    const order = await p2p.orders.place(buyer, adId, { amount: '25', idempotencyKey: 'race-cancel' })
    expect(await balance(seller)).toMatchObject({ available: 75_000_000n, escrow: 25_000_000n })
    // Past the payment window: the buyer's cancels and the expiry job both want to unwind it.
    clock.advance(16 * 60_000)
    const [cancels, sweeps] = await Promise.all([
      Promise.allSettled(Array.from({ length: 4 }, () => p2p.orders.cancel(buyer, order.id))),
      Promise.all([p2p.orders.expireDue(), p2p.orders.expireDue()]),
    ])
    const cancelled = cancels.filter((r) => r.status === 'fulfilled').length
    const expired = (await p2p.orders.getForStaff(order.id)).status === 'expired' ? 1 : 0
    expect(cancelled + expired).toBe(1)
    expect(sweeps.length).toBe(2)
    for (const r of cancels) {
      if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('P2P_ORDER_WRONG_STATUS')
    }
    expect(await balance(seller)).toMatchObject({ available: 100_000_000n, escrow: 0n })
    const ad = await db
      .selectFrom('p2p_ads')
      .select('available_amount')
      .where('id', '=', adId)
      .executeTakeFirstOrThrow()
    expect(String(ad.available_amount)).toBe('100000000')
    expect(await custodyMovements(order.id)).toEqual([
      { idempotency_key: `p2p:hold:order:${order.id}`, kind: 'hold' },
      { idempotency_key: `p2p:settle:order:${order.id}`, kind: 'release' },
    ])
    // A later cancel finds nothing to return.
    expect((await refusal(p2p.orders.cancel(buyer, order.id))).code).toBe('P2P_ORDER_WRONG_STATUS')
    expect(await balance(seller)).toMatchObject({ available: 100_000_000n, escrow: 0n })
    expect((await custody.verify()).problems).toEqual([])
  })

  it('moves escrow in the same database transaction as the order: a failure after the ledger posting undoes both', async () => {
    // A ledger that posts the release on the real custody ledger, then fails (as a crash or a
    // later statement of the same transaction would): nothing of the release may remain.
    const failing: EscrowLedger = {
      ...ledger,
      async release(tx, m) {
        await ledger.release(tx, m)
        throw new Error('the database connection dropped')
      },
    }
    const shaky = createP2p({
      db,
      clock,
      events: createEventBus(),
      ledger: failing,
      secondFactor: secondFactorFor(codes),
      outflow: createOutflowGate({ db, clock }),
    })
    const seller = await person('DE', { twoFactor: true, usdt: 50_000_000n })
    const buyer = await person('AT')
    const adId = await shaky.ads.create(seller, sellAd({ availableAmount: '50' }))
    const order = await shaky.orders.place(buyer, adId, { amount: '20', idempotencyKey: 'atomic' })
    await shaky.orders.markPaid(buyer, order.id)
    await expect(shaky.orders.release(seller, order.id, { totpCode: codes.get(seller)! })).rejects.toThrow(
      'the database connection dropped',
    )
    expect((await shaky.orders.getForStaff(order.id)).status).toBe('paid')
    expect(await balance(seller)).toMatchObject({ available: 30_000_000n, escrow: 20_000_000n })
    expect(await balance(buyer)).toMatchObject({ available: 0n })
    expect(await custodyMovements(order.id)).toEqual([
      { idempotency_key: `p2p:hold:order:${order.id}`, kind: 'hold' },
    ])
    // The real release then goes through once.
    await p2p.orders.release(seller, order.id, { totpCode: codes.get(seller)! })
    expect(await balance(buyer)).toMatchObject({ available: 20_000_000n })
    expect((await custody.verify()).problems).toEqual([])
  })
})
