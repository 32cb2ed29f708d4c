import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { totpCodeAt } from '../accounts/totp.ts'
import { createLedger, p2pEscrow } from '../custody/index.ts'

let t: TestApp
let compliance: TestSession
let complianceEmail: string
let support: TestSession
let supportEmail: string

type Person = { id: string; email: string; session: TestSession; secret?: string }

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: response.json() as Record<string, any> }
}

/** A customer whose identity country a compliance officer verified through the API. */
async function customer(
  name: string,
  country: string | null,
  opts: { twoFactor?: boolean } = {},
): Promise<Person> {
  const { user, email, session } = await t.createCustomer(name)
  const person: Person = { id: user.id, email, session }
  if (country) {
    // Fresh staff session each time: tests move the clock past the idle timeout.
    compliance = await t.signIn(complianceEmail)
    expect((await call(session, 'POST', '/api/p2p/identity', { country })).status).toBe(200)
    const reviewed = await call(compliance, 'POST', `/api/p2p/staff/identities/${user.id}`, {
      decision: 'verify',
    })
    expect(reviewed.body.identity).toMatchObject({ status: 'verified', country })
  }
  if (opts.twoFactor) {
    const setup = await call(session, 'POST', '/api/accounts/totp/setup', {})
    person.secret = setup.body.secret as string
    const code = totpCodeAt(person.secret, t.clock.now())
    expect((await call(session, 'POST', '/api/accounts/totp/confirm', { code })).status).toBe(200)
    t.rememberTotp(email, person.secret)
  }
  return person
}

async function fund(owner: string, usdt: bigint) {
  await t.db.transaction().execute((tx) =>
    p2pEscrow({ db: t.db, clock: t.clock }).deposit(tx, {
      owner,
      asset: 'USDT',
      amount: usdt,
      ref: 'test',
      at: t.clock.now(),
    }),
  )
}

const adBody = (allowedCountries: string[]) => ({
  side: 'sell',
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice: '0.92',
  minOrder: '10',
  maxOrder: '500',
  availableAmount: '300',
  paymentMethods: ['SEPA', 'Revolut'],
  terms: 'Pay from an account in your own name.',
  allowedCountries,
})

let seller: Person
let austrian: Person
let french: Person
let adId: string

beforeAll(async () => {
  t = await createTestApp()
  const officer = await t.createStaff('compliance_officer')
  compliance = officer.session
  complianceEmail = officer.email
  const supportMember = await t.createStaff('support')
  support = supportMember.session
  supportEmail = supportMember.email
  seller = await customer('seller-de', 'DE', { twoFactor: true })
  austrian = await customer('buyer-at', 'AT')
  french = await customer('buyer-fr', 'FR')
  await fund(seller.id, 1_000_000_000n)
  // Turning 2FA on starts a 24 h withdrawal lock, and a sell ad is value leaving the account: the
  // seller advertises the next day, and everyone signs in again.
  t.clock.advance(24 * 3_600_000 + 60_000)
  for (const person of [seller, austrian, french]) person.session = await t.signIn(person.email)
  compliance = await t.signIn(complianceEmail)
  support = await t.signIn(supportEmail)
  const posted = await call(seller.session, 'POST', '/api/p2p/ads', adBody(['DE', 'AT']))
  expect(posted.status).toBe(201)
  adId = posted.body.ad.id
})
afterAll(() => t.close())

describe('P2P over HTTP', () => {
  it('refuses an order from a buyer verified in France on an ad for Germany and Austria, saying what to do', async () => {
    const refused = await call(french.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '20' })
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('P2P_REGION_NOT_ALLOWED')
    expect(refused.body.message).toMatch(/Austria and Germany/)
    expect(refused.body.message).toMatch(/France/)
    expect(refused.body.message).toMatch(/choose another ad, or show local ads only/i)
    expect((await call(seller.session, 'GET', '/api/p2p/me')).body.balances[0]).toMatchObject({ escrow: '0' })
  })

  it('shows the ad disabled with the reason, and hides it under "Show local ads only"', async () => {
    const all = await call(french.session, 'GET', '/api/p2p/ads?asset=USDT&fiat=EUR')
    const ad = all.body.ads.find((a: { id: string }) => a.id === adId)
    expect(ad.eligibility).toMatchObject({ ok: false, code: 'P2P_REGION_NOT_ALLOWED' })
    expect(all.body.myCountry).toBe('FR')
    const local = await call(french.session, 'GET', '/api/p2p/ads?asset=USDT&fiat=EUR&localOnly=true')
    expect(local.body.ads.map((a: { id: string }) => a.id)).not.toContain(adId)
    const austrianLocal = await call(
      austrian.session,
      'GET',
      '/api/p2p/ads?localOnly=true&amount=50&fiat=EUR',
    )
    expect(austrianLocal.body.ads.map((a: { id: string }) => a.id)).toContain(adId)
    const tooBig = await call(austrian.session, 'GET', '/api/p2p/ads?amount=900&fiat=EUR')
    expect(tooBig.body.ads.map((a: { id: string }) => a.id)).not.toContain(adId)
    const byMethod = await call(austrian.session, 'GET', '/api/p2p/ads?paymentMethod=Wise')
    expect(byMethod.body.ads.map((a: { id: string }) => a.id)).not.toContain(adId)
  })

  it('takes an Austrian buyer through order, payment and a release confirmed with the seller’s TOTP code', async () => {
    const placed = await call(austrian.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '100' })
    expect(placed.status).toBe(201)
    const order = placed.body.order
    expect(order).toMatchObject({ status: 'pending_payment', fiatAmount: '92', role: 'buyer' })
    expect((await call(seller.session, 'GET', '/api/p2p/me')).body.balances[0]).toMatchObject({
      available: '900',
      escrow: '100',
    })
    expect((await call(french.session, 'GET', `/api/p2p/orders/${order.id}`)).status).toBe(404)
    expect(
      (await call(austrian.session, 'POST', `/api/p2p/orders/${order.id}/paid`, {})).body.order.status,
    ).toBe('paid')
    const noCode = await call(seller.session, 'POST', `/api/p2p/orders/${order.id}/release`, {})
    expect(noCode.body.code).toBe('SECOND_FACTOR_REQUIRED')
    const wrong = await call(seller.session, 'POST', `/api/p2p/orders/${order.id}/release`, {
      totpCode: '000000',
    })
    expect(wrong.body.code).toBe('SECOND_FACTOR_INVALID')
    const released = await call(seller.session, 'POST', `/api/p2p/orders/${order.id}/release`, {
      totpCode: totpCodeAt(seller.secret!, t.clock.now()),
    })
    expect(released.body.order.status).toBe('released')
    expect((await call(austrian.session, 'GET', '/api/p2p/me')).body.balances[0]).toMatchObject({
      available: '100',
    })
    expect((await call(seller.session, 'GET', '/api/p2p/me')).body.balances[0]).toMatchObject({
      available: '900',
      escrow: '0',
    })
    expect(t.events.filter((e) => e.type === 'p2p_order_status').map((e) => e.action)).toEqual(
      expect.arrayContaining(['placed', 'paid', 'released']),
    )
  })

  it('lets the French buyer order once the advertiser adds France, and My Ads shows what it changed', async () => {
    const edited = await call(seller.session, 'PUT', `/api/p2p/ads/${adId}`, adBody(['DE', 'AT', 'FR']))
    expect(edited.status).toBe(200)
    const placed = await call(french.session, 'POST', `/api/p2p/ads/${adId}/orders`, {
      fiatAmount: '18.4',
      idempotencyKey: 'fr-order-1',
    })
    expect(placed.status).toBe(201)
    expect(placed.body.order.amount).toBe('20')
    const retry = await call(french.session, 'POST', `/api/p2p/ads/${adId}/orders`, {
      fiatAmount: '18.4',
      idempotencyKey: 'fr-order-1',
    })
    expect(retry.body.order.id).toBe(placed.body.order.id)
    const mine = await call(seller.session, 'GET', '/api/p2p/my/ads')
    const metrics = mine.body.ads.find((a: { id: string }) => a.id === adId).metrics
    expect(
      metrics.byAllowlist.map((v: { allowedCountries: string[]; blocked: number; orders: number }) => [
        v.allowedCountries,
        v.blocked,
        v.orders,
      ]),
    ).toEqual([
      [['AT', 'DE'], 1, 1],
      [['AT', 'DE', 'FR'], 0, 1],
    ])
  })

  it('lets support, and only support, resolve an appeal opened 15 minutes after payment', async () => {
    const placed = await call(austrian.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '50' })
    const id = placed.body.order.id
    await call(austrian.session, 'POST', `/api/p2p/orders/${id}/paid`, {})
    const early = await call(austrian.session, 'POST', `/api/p2p/orders/${id}/appeal`, {
      reason: 'no release',
    })
    expect(early.body.code).toBe('P2P_APPEAL_TOO_EARLY')
    t.clock.advance(15 * 60_000)
    expect(
      (await call(austrian.session, 'POST', `/api/p2p/orders/${id}/appeal`, { reason: 'no release' })).status,
    ).toBe(200)
    const queue = await call(support, 'GET', '/api/p2p/staff/disputes')
    expect(queue.body.orders.map((o: { id: string }) => o.id)).toContain(id)
    const auditor = (await t.createStaff('auditor')).session
    expect(
      (await call(auditor, 'POST', `/api/p2p/staff/disputes/${id}`, { outcome: 'release', note: 'paid' }))
        .status,
    ).toBe(403)
    const resolved = await call(support, 'POST', `/api/p2p/staff/disputes/${id}`, {
      outcome: 'release',
      note: 'bank proof',
    })
    expect(resolved.body.order).toMatchObject({ status: 'released', resolution: 'release' })
  })

  it('expires unpaid orders through the job route when the clock passes the payment window', async () => {
    const placed = await call(austrian.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '20' })
    t.clock.advance(16 * 60_000)
    const admin = (await t.createStaff('security_admin')).session
    const job = await call(admin, 'POST', '/api/p2p/staff/jobs/expire', {})
    expect(job.body.expired).toBeGreaterThanOrEqual(1)
    const order = await call(austrian.session, 'GET', `/api/p2p/orders/${placed.body.order.id}`)
    expect(order.body.order.status).toBe('expired')
  })

  it('refuses ads from advertisers without 2FA and identity review from anyone but compliance', async () => {
    const plain = await customer('no-2fa', 'DE')
    const refused = await call(plain.session, 'POST', '/api/p2p/ads', adBody([]))
    expect(refused.body).toMatchObject({ code: 'P2P_ADVERTISER_NOT_ELIGIBLE' })
    expect(refused.body.message).toMatch(/two-factor/)
    expect((await call(support, 'GET', '/api/p2p/staff/identities')).status).toBe(403)
    const queue = await call(compliance, 'GET', '/api/p2p/staff/identities?status=verified')
    expect(queue.body.identities.length).toBeGreaterThanOrEqual(4)
  })

  it('shows a full order on the custody ledger: the wallet balances and movements of both sides, and a ledger that verifies', async () => {
    const sellerW = await customer('wallet-seller', 'DE', { twoFactor: true })
    const buyerW = await customer('wallet-buyer', 'AT')
    await fund(sellerW.id, 500_000_000n)
    t.clock.advance(24 * 3_600_000 + 60_000)
    sellerW.session = await t.signIn(sellerW.email)
    buyerW.session = await t.signIn(buyerW.email)
    const ad = await call(sellerW.session, 'POST', '/api/p2p/ads', adBody([]))
    const placed = await call(buyerW.session, 'POST', `/api/p2p/ads/${ad.body.ad.id}/orders`, {
      amount: '120',
    })
    const id = placed.body.order.id as string
    // The escrow lock is the seller's custody balance moving from available to locked.
    expect((await call(sellerW.session, 'GET', '/api/custody/balances')).body.balances).toEqual([
      { asset: 'USDT', available: '380', locked: '120', pendingWithdrawal: '0', underReview: '0' },
    ])
    await call(buyerW.session, 'POST', `/api/p2p/orders/${id}/paid`, {})
    const released = await call(sellerW.session, 'POST', `/api/p2p/orders/${id}/release`, {
      totpCode: totpCodeAt(sellerW.secret!, t.clock.now()),
    })
    expect(released.body.order.status).toBe('released')

    expect((await call(sellerW.session, 'GET', '/api/custody/balances')).body.balances).toEqual([
      { asset: 'USDT', available: '380', locked: '0', pendingWithdrawal: '0', underReview: '0' },
    ])
    expect((await call(buyerW.session, 'GET', '/api/custody/balances')).body.balances).toEqual([
      { asset: 'USDT', available: '120', locked: '0', pendingWithdrawal: '0', underReview: '0' },
    ])
    const moves = async (who: Person) =>
      (await call(who.session, 'GET', '/api/custody/movements')).body.movements
        .filter((m: { ref: string }) => m.ref === `order:${id}`)
        .map((m: { kind: string; account: string; amount: string }) => [m.kind, m.account, m.amount])
    expect(await moves(sellerW)).toEqual([
      ['release', 'locked', '-120'],
      ['hold', 'locked', '120'],
      ['hold', 'available', '-120'],
    ])
    expect(await moves(buyerW)).toEqual([['release', 'available', '120']])
    // One ledger transaction per order step, named by the step and the order.
    const steps = await t.db
      .selectFrom('custody_transactions')
      .select(['idempotency_key', 'kind'])
      .where('ref', '=', `order:${id}`)
      .orderBy('at')
      .orderBy('kind')
      .execute()
    expect(steps).toEqual([
      { idempotency_key: `p2p:hold:order:${id}`, kind: 'hold' },
      { idempotency_key: `p2p:settle:order:${id}`, kind: 'release' },
    ])
    const verified = await createLedger({ db: t.db }).verify()
    expect(verified.problems).toEqual([])
    expect(verified.ok).toBe(true)
  })
})
