import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { totpCodeAt } from '../accounts/totp.ts'
import { p2pEscrow } from '../custody/index.ts'

let t: TestApp
let compliance: TestSession
let complianceEmail: string

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

async function customer(name: string, country: string, opts: { twoFactor?: boolean } = {}): Promise<Person> {
  const { user, email, session } = await t.createCustomer(name)
  const person: Person = { id: user.id, email, session }
  compliance = await t.signIn(complianceEmail)
  expect((await call(session, 'POST', '/api/p2p/identity', { country })).status).toBe(200)
  await call(compliance, 'POST', `/api/p2p/staff/identities/${user.id}`, { decision: 'verify' })
  if (opts.twoFactor) {
    const setup = await call(session, 'POST', '/api/accounts/totp/setup', {})
    person.secret = setup.body.secret as string
    const code = totpCodeAt(person.secret, t.clock.now())
    expect((await call(session, 'POST', '/api/accounts/totp/confirm', { code })).status).toBe(200)
    t.rememberTotp(email, person.secret)
  }
  return person
}

const ad = (side: 'sell' | 'buy', fixedPrice: string) => ({
  side,
  asset: 'USDT',
  fiat: 'EUR',
  priceType: 'fixed',
  fixedPrice,
  minOrder: '10',
  maxOrder: '500',
  availableAmount: '300',
  paymentMethods: ['SEPA', 'Revolut'],
  terms: 'Pay from an account in your own name.',
  allowedCountries: [],
})

let seller: Person
let buyer: Person
let stranger: Person
let adId: string
const IBAN = 'DE89 3704 0044 0532 0130 00'

beforeAll(async () => {
  t = await createTestApp()
  const officer = await t.createStaff('compliance_officer')
  complianceEmail = officer.email
  seller = await customer('chat-seller', 'DE', { twoFactor: true })
  buyer = await customer('chat-buyer', 'AT')
  stranger = await customer('chat-stranger', 'AT')
  await t.db.transaction().execute((tx) =>
    p2pEscrow({ db: t.db, clock: t.clock }).deposit(tx, {
      owner: seller.id,
      asset: 'USDT',
      amount: 2_000_000_000n,
      ref: 'test',
      at: t.clock.now(),
    }),
  )
  // Turning 2FA on starts a 24 h withdrawal lock; the seller advertises the next day.
  t.clock.advance(24 * 3_600_000 + 60_000)
  for (const person of [seller, buyer, stranger]) person.session = await t.signIn(person.email)
  const posted = await call(seller.session, 'POST', '/api/p2p/ads', ad('sell', '0.95'))
  expect(posted.status).toBe(201)
  adId = posted.body.ad.id
})
afterAll(() => t.close())

describe('P2P payment details, order chat and price order over HTTP', () => {
  it('keeps a seller’s payment details per method, refusing a bad IBAN and over-long fields', async () => {
    const bad = await call(seller.session, 'PUT', '/api/p2p/payment-details', {
      method: 'SEPA',
      holder: 'Chat Seller',
      account: 'DE00 1234',
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'account' } })
    const long = await call(seller.session, 'PUT', '/api/p2p/payment-details', {
      method: 'Revolut',
      holder: 'x'.repeat(101),
      account: '@seller',
    })
    expect(long.status).toBe(400)
    const saved = await call(seller.session, 'PUT', '/api/p2p/payment-details', {
      method: 'SEPA',
      holder: 'Chat Seller',
      account: IBAN,
      note: 'Reference: the order number',
    })
    expect(saved.status).toBe(200)
    await call(seller.session, 'PUT', '/api/p2p/payment-details', {
      method: 'Wise',
      holder: 'Chat Seller',
      account: 'seller@wise.example',
    })
    const mine = await call(seller.session, 'GET', '/api/p2p/payment-details')
    expect(mine.body.details.map((d: { method: string }) => d.method)).toEqual(['SEPA', 'Wise'])
    expect(mine.body.details[0].account).toBe('DE89370400440532013000')
  })

  it('never shows payment details in the ad, and shows them to the buyer of an open order only', async () => {
    const view = await call(buyer.session, 'GET', `/api/p2p/ads/${adId}`)
    expect(JSON.stringify(view.body)).not.toContain('DE89370400440532013000')
    const placed = await call(buyer.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '20' })
    const id = placed.body.order.id
    const forBuyer = await call(buyer.session, 'GET', `/api/p2p/orders/${id}/payment-details`)
    expect(forBuyer.status).toBe(200)
    // Wise is not one of the ad's methods, so its details stay private.
    expect(forBuyer.body.details).toEqual([
      expect.objectContaining({ method: 'SEPA', holder: 'Chat Seller', account: 'DE89370400440532013000' }),
    ])
    expect((await call(stranger.session, 'GET', `/api/p2p/orders/${id}/payment-details`)).status).toBe(404)
    expect((await call(seller.session, 'GET', `/api/p2p/orders/${id}/payment-details`)).status).toBe(404)
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/cancel`, {})
    expect((await call(buyer.session, 'GET', `/api/p2p/orders/${id}/payment-details`)).status).toBe(404)
  })

  it('lets the two parties chat, with the reader’s anti-phishing code on platform messages only', async () => {
    const code = await call(buyer.session, 'POST', '/api/accounts/anti-phishing', { code: 'BLUEFOX7' })
    expect(code.status).toBe(200)
    const placed = await call(buyer.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '30' })
    const id = placed.body.order.id
    const sent = await call(seller.session, 'POST', `/api/p2p/orders/${id}/messages`, {
      text: 'Hello, the IBAN is on the order page.',
    })
    expect(sent.status).toBe(201)
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/messages`, { text: 'Paying now.' })
    const chat = await call(buyer.session, 'GET', `/api/p2p/orders/${id}/messages`)
    expect(chat.body.messages.map((m: { from: string }) => m.from)).toEqual(['platform', 'seller', 'buyer'])
    expect(chat.body.messages[0]).toMatchObject({ author: 'Bulwark', antiPhishingCode: 'BLUEFOX7' })
    expect(chat.body.messages[0].text).toMatch(/SEPA or Revolut only/)
    expect(chat.body.messages[1].antiPhishingCode).toBeNull()
    const sellersView = await call(seller.session, 'GET', `/api/p2p/orders/${id}/messages`)
    expect(sellersView.body.messages[0].antiPhishingCode).not.toBe('BLUEFOX7')
    expect((await call(stranger.session, 'GET', `/api/p2p/orders/${id}/messages`)).status).toBe(404)
    expect(
      (await call(stranger.session, 'POST', `/api/p2p/orders/${id}/messages`, { text: 'hi' })).status,
    ).toBe(404)
    const tooLong = await call(buyer.session, 'POST', `/api/p2p/orders/${id}/messages`, {
      text: 'x'.repeat(1001),
    })
    expect(tooLong.status).toBe(400)
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/cancel`, {})
  })

  it('limits a party to 10 messages a minute on one order', async () => {
    const placed = await call(buyer.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '15' })
    expect(placed.body).toMatchObject({ order: { status: 'pending_payment' } })
    const id = placed.body.order.id
    for (let i = 0; i < 10; i++) {
      const ok = await call(buyer.session, 'POST', `/api/p2p/orders/${id}/messages`, { text: `m${i}` })
      expect(ok.status).toBe(201)
    }
    const refused = await call(buyer.session, 'POST', `/api/p2p/orders/${id}/messages`, { text: 'again' })
    expect(refused.status).toBe(429)
    expect(refused.body.code).toBe('P2P_CHAT_TOO_FAST')
    t.clock.advance(61_000)
    expect(
      (await call(buyer.session, 'POST', `/api/p2p/orders/${id}/messages`, { text: 'later' })).status,
    ).toBe(201)
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/cancel`, {})
  })

  it('gives support the chat of a disputed order as evidence, and nothing before the dispute', async () => {
    const support = (await t.createStaff('support')).session
    const placed = await call(buyer.session, 'POST', `/api/p2p/ads/${adId}/orders`, { amount: '25' })
    const id = placed.body.order.id
    await call(seller.session, 'POST', `/api/p2p/orders/${id}/messages`, {
      text: 'Pay to my PayPal instead.',
    })
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/paid`, {})
    expect((await call(support, 'GET', `/api/p2p/staff/disputes/${id}/messages`)).status).toBe(404)
    t.clock.advance(15 * 60_000)
    await call(buyer.session, 'POST', `/api/p2p/orders/${id}/appeal`, { reason: 'seller asked for PayPal' })
    const evidence = await call(support, 'GET', `/api/p2p/staff/disputes/${id}/messages`)
    expect(evidence.status).toBe(200)
    expect(evidence.body.messages.map((m: { text: string }) => m.text)).toEqual(
      expect.arrayContaining(['Pay to my PayPal instead.', expect.stringMatching(/dispute is open/)]),
    )
  })

  it('lists ads best price first for the side: cheapest sell ads, highest buy ads', async () => {
    await call(seller.session, 'POST', '/api/p2p/ads', ad('sell', '0.91'))
    await call(seller.session, 'POST', '/api/p2p/ads', ad('sell', '0.99'))
    const sells = await call(buyer.session, 'GET', '/api/p2p/ads?side=sell&asset=USDT&fiat=EUR')
    const prices = sells.body.ads.map((a: { price: string }) => Number(a.price))
    expect(prices).toEqual([...prices].sort((a, b) => a - b))
    expect(prices[0]).toBe(0.91)
  })

  it('publishes the decimals of every asset and currency, so pages show amounts, not smallest units', async () => {
    const reference = await call(null, 'GET', '/api/p2p/reference')
    expect(reference.body.decimals).toMatchObject({ USDT: 6, BTC: 8, EUR: 2, JPY: 0 })
  })
})
