/**
 * Finding 2 (high): P2P ignored the withdrawal lock. During the 24 h lock after a security change a
 * user posted a sell ad, had it taken and released 4,000 USDT from escrow. Every way value leaves an
 * account now asks the one outflow gate (src/accounts/outflow-gate.ts): posting or resuming a sell
 * ad, every order that puts a seller's funds in escrow (whichever side took the ad), and releasing
 * escrow are refused with WITHDRAWAL_LOCKED during a lock and allowed after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { p2pEscrow } from '../../src/custody/index.ts'
import { createTestApp, TEST_PASSWORD, type TestApp, type TestSession } from '../support/app.ts'

const HOUR = 3_600_000
const MINUTE = 60_000
let t: TestApp
let compliance: TestSession

type Person = { id: string; email: string; session: TestSession }

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

/** A verified customer in Germany, optionally with TOTP on (needed to advertise and release). */
async function customer(name: string, twoFactor: boolean): Promise<Person> {
  const { user, email, session } = await t.createCustomer(name)
  const person: Person = { id: user.id, email, session }
  expect((await call(session, 'POST', '/api/p2p/identity', { country: 'DE' })).status).toBe(200)
  expect(
    (await call(compliance, 'POST', `/api/p2p/staff/identities/${user.id}`, { decision: 'verify' })).status,
  ).toBe(200)
  if (twoFactor) {
    const { secret } = (await call(session, 'POST', '/api/accounts/totp/setup', {})).body
    const code = totpCodeAt(secret, t.clock.now())
    expect((await call(session, 'POST', '/api/accounts/totp/confirm', { code })).status).toBe(200)
    t.rememberTotp(email, secret)
  }
  return person
}

/** The person's next unused authenticator code (the test clock moves on when needed). */
const code = (person: Person) => t.nextStaffCode(person.email)

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

const ad = (side: 'sell' | 'buy') => ({
  side,
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice: '0.92',
  minOrder: '10',
  maxOrder: '5000',
  availableAmount: '4000',
  paymentMethods: ['SEPA'],
  terms: 'Pay from an account in your own name.',
  allowedCountries: ['DE'],
})

let victim: Person
let buyer: Person
let otherBuyerAdvertiser: Person
let victimAd: string
let buyAd: string
let paidOrder: string

beforeAll(async () => {
  t = await createTestApp()
  compliance = (await t.createStaff('compliance_officer')).session
  victim = await customer('victim', true)
  buyer = await customer('attacker-buyer', false)
  otherBuyerAdvertiser = await customer('buy-advertiser', true)
  await fund(victim.id, 20_000_000_000n)
  // Turning 2FA on is itself a protection change (an intruder's first move can be to add their own
  // authenticator), so the advertisers start trading once that lock has passed.
  t.clock.advance(24 * HOUR + MINUTE)
  victim.session = await t.signIn(victim.email)
  otherBuyerAdvertiser.session = await t.signIn(otherBuyerAdvertiser.email)
  buyer.session = await t.signIn(buyer.email)
  // Before any security change: a sell ad with an order already paid, and someone else's buy ad.
  const posted = await call(victim.session, 'POST', '/api/p2p/ads', ad('sell'))
  expect(posted.status).toBe(201)
  victimAd = posted.body.ad.id
  const order = await call(buyer.session, 'POST', `/api/p2p/ads/${victimAd}/orders`, { amount: '100' })
  expect(order.status).toBe(201)
  paidOrder = order.body.order.id
  expect((await call(buyer.session, 'POST', `/api/p2p/orders/${paidOrder}/paid`, {})).status).toBe(200)
  const buying = await call(otherBuyerAdvertiser.session, 'POST', '/api/p2p/ads', ad('buy'))
  expect(buying.status).toBe(201)
  buyAd = buying.body.ad.id

  // The security change an intruder makes first: a new password starts a 24 h withdrawal lock.
  const changed = await call(victim.session, 'POST', '/api/accounts/password', {
    currentPassword: TEST_PASSWORD,
    newPassword: 'Quartz-Lantern-Harbour-5821',
    totpCode: code(victim),
  })
  expect(changed.status).toBe(200)
})
afterAll(() => t.close())

describe('during the withdrawal lock after a security change, no value leaves through P2P', () => {
  it('refuses posting a sell ad', async () => {
    const refused = await call(victim.session, 'POST', '/api/p2p/ads', ad('sell'))
    expect(refused).toMatchObject({ status: 423, body: { code: 'WITHDRAWAL_LOCKED' } })
    expect(refused.body.details.until).toBeTruthy()
  })

  it('refuses taking a buy ad (selling to its advertiser)', async () => {
    const refused = await call(victim.session, 'POST', `/api/p2p/ads/${buyAd}/orders`, { amount: '100' })
    expect(refused).toMatchObject({ status: 423, body: { code: 'WITHDRAWAL_LOCKED' } })
  })

  it("refuses a buyer's order on the locked seller's existing sell ad (the escrow is the seller's)", async () => {
    const refused = await call(buyer.session, 'POST', `/api/p2p/ads/${victimAd}/orders`, { amount: '100' })
    expect(refused).toMatchObject({ status: 423, body: { code: 'WITHDRAWAL_LOCKED' } })
  })

  it('refuses releasing escrow to the buyer, and nothing moves', async () => {
    const before = await call(victim.session, 'GET', '/api/p2p/me')
    const refused = await call(victim.session, 'POST', `/api/p2p/orders/${paidOrder}/release`, {
      totpCode: code(victim),
    })
    expect(refused).toMatchObject({ status: 423, body: { code: 'WITHDRAWAL_LOCKED' } })
    expect((await call(victim.session, 'GET', '/api/p2p/me')).body.balances).toEqual(before.body.balances)
    expect((await call(buyer.session, 'GET', `/api/p2p/orders/${paidOrder}`)).body.order.status).toBe('paid')
  })

  it('allows all of it once the lock has ended', async () => {
    t.clock.advance(24 * HOUR + MINUTE)
    victim.session = await t.signIn(victim.email, 'Quartz-Lantern-Harbour-5821')
    buyer.session = await t.signIn(buyer.email)
    const released = await call(victim.session, 'POST', `/api/p2p/orders/${paidOrder}/release`, {
      totpCode: code(victim),
    })
    expect(released.status).toBe(200)
    expect(released.body.order.status).toBe('released')
    expect((await call(victim.session, 'POST', '/api/p2p/ads', ad('sell'))).status).toBe(201)
    expect(
      (await call(victim.session, 'POST', `/api/p2p/ads/${buyAd}/orders`, { amount: '100' })).status,
    ).toBe(201)
    expect(
      (await call(buyer.session, 'POST', `/api/p2p/ads/${victimAd}/orders`, { amount: '100' })).status,
    ).toBe(201)
  })
})
