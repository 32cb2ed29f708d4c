/**
 * @module Demo P2P market: verified countries for the demo customers (Bruno in Germany, Alice in
 * Austria, Chloé in France, Dmitri waiting for review), advertisers in Germany, Austria, Italy,
 * Taiwan and Hong Kong with funded balances (on the custody ledger, so the wallet shows them too),
 * reference prices, and ads with and without
 * country/region restrictions. The seeder marks the demo advertisers eligible to post (it stands in
 * for their 2FA enrolment); releasing escrow still needs a real second factor.
 */

import { createOutflowGate } from '../accounts/index.ts'
import { p2pEscrow } from '../custody/index.ts'
import type { DemoSeeder } from '../demo/seed.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Db } from '../platform/db/index.ts'
import { createEventBus } from '../platform/events.ts'
import { createUser } from '../platform/identity/users.ts'
import { type AdInput, createAds } from './ads.ts'
import { antiPhishingCodeLookup, createConversation } from './conversation.ts'
import { createIdentities } from './identity.ts'
import type { EscrowLedger } from './ledger.ts'
import { type Asset, assets, parseUnits } from './money.ts'
import { createOrders } from './orders.ts'

export const DEMO_ADVERTISERS = [
  { key: 'hanna', email: 'hanna@demo.bulwark', displayName: 'Hanna Weber', country: 'DE' },
  { key: 'lukas', email: 'lukas@demo.bulwark', displayName: 'Lukas Gruber', country: 'AT' },
  { key: 'giulia', email: 'giulia@demo.bulwark', displayName: 'Giulia Romano', country: 'IT' },
  { key: 'mei', email: 'mei@demo.bulwark', displayName: 'Mei Lin', country: 'TW' },
  { key: 'kaming', email: 'kaming@demo.bulwark', displayName: 'Ka-Ming Chan', country: 'HK' },
] as const

const base = {
  asset: 'USDT',
  priceType: 'fixed' as const,
  terms: 'Pay from a bank account in your own name. No third-party payments.',
  paymentWindowMinutes: 15,
}

export const seedP2pDemo: DemoSeeder = async ({ db, clock, users }) => {
  const seeding = {
    isEnabled: async () => true,
    confirm: async () => {
      throw new Error('the demo seeder never releases escrow')
    },
  }
  const ledger = p2pEscrow({ db, clock })
  const deps = {
    db,
    clock,
    events: createEventBus(),
    ledger,
    secondFactor: seeding,
    outflow: createOutflowGate({ db, clock }),
  }
  const identities = createIdentities(deps)
  const ads = createAds(deps)
  const orders = createOrders(deps)
  const officer = users.compliance_officer
  if (!officer) return

  for (const a of DEMO_ADVERTISERS) {
    const user = await createUser(db, { ...a, kind: 'customer', password: null })
    users[a.key] = user.id
  }
  const verify = async (key: string, country: string) => {
    const id = users[key]
    if (!id) return
    await identities.submit(id, country)
    await identities.review(officer, { userId: id, decision: 'verify', note: 'demo: passport checked' })
  }
  await verify('bruno', 'DE')
  await verify('alice', 'AT')
  await verify('chloe', 'FR')
  for (const a of DEMO_ADVERTISERS) await verify(a.key, a.country)
  if (users.dmitri) await identities.submit(users.dmitri, 'CZ')

  for (const [asset, fiat, price] of [
    ['USDT', 'EUR', '0.92'],
    ['USDT', 'USD', '1'],
    ['USDT', 'TWD', '32.1'],
    ['USDT', 'HKD', '7.8'],
    ['BTC', 'EUR', '61000'],
  ] as const) {
    await ads.setReferencePrice(asset, fiat, price)
  }

  const funds: Array<[string, Asset, string]> = [
    ['bruno', 'USDT', '5000'],
    ['alice', 'USDT', '500'],
    ['hanna', 'USDT', '10000'],
    ['hanna', 'BTC', '0.5'],
    ['lukas', 'USDT', '3000'],
    ['giulia', 'USDT', '2000'],
    ['mei', 'USDT', '5000'],
    ['kaming', 'USDT', '5000'],
  ]
  await deposit(db, ledger, users, funds, clock.now())

  const post = async (key: string, ad: Partial<AdInput> & Pick<AdInput, 'fiat' | 'availableAmount'>) => {
    const id = users[key]
    if (!id) return null
    return ads.create(id, {
      ...base,
      side: 'sell',
      fixedPrice: '0.92',
      minOrder: '20',
      maxOrder: '2000',
      paymentMethods: ['SEPA'],
      allowedCountries: [],
      ...ad,
    })
  }
  const hannaOpen = await post('hanna', {
    fiat: 'EUR',
    priceType: 'floating',
    fixedPrice: null,
    marginBps: 120,
    availableAmount: '4000',
    paymentMethods: ['SEPA', 'SEPA Instant', 'Wise'],
  })
  await post('hanna', {
    fiat: 'EUR',
    fixedPrice: '0.935',
    availableAmount: '2500',
    paymentMethods: ['SEPA Instant'],
    allowedCountries: ['DE'],
    terms: 'Germany only: SEPA Instant from a German IBAN in your own name.',
  })
  await post('hanna', {
    side: 'buy',
    fiat: 'EUR',
    fixedPrice: '0.91',
    availableAmount: '3000',
    allowedCountries: ['AT', 'DE', 'FR', 'IT'],
    terms: 'I buy USDT: I pay by SEPA within 10 minutes of your order.',
  })
  const lukasAd = await post('lukas', {
    fiat: 'EUR',
    fixedPrice: '0.925',
    availableAmount: '1500',
    paymentMethods: ['SEPA Instant', 'Revolut'],
    allowedCountries: ['AT', 'DE'],
  })
  await post('giulia', { fiat: 'EUR', fixedPrice: '0.93', availableAmount: '1000', allowedCountries: ['IT'] })
  await post('mei', {
    fiat: 'TWD',
    fixedPrice: '32.4',
    minOrder: '500',
    maxOrder: '60000',
    availableAmount: '2000',
    paymentMethods: ['JKO Pay', 'LINE Pay', 'Bank transfer'],
    allowedCountries: ['TW'],
  })
  await post('kaming', {
    fiat: 'HKD',
    fixedPrice: '7.85',
    minOrder: '100',
    maxOrder: '15000',
    availableAmount: '2000',
    paymentMethods: ['FPS'],
    allowedCountries: ['HK', 'MO'],
  })

  // A little history for the metrics pages.
  if (hannaOpen && users.chloe) {
    const viewer = await identities.forRules(users.chloe)
    for (let i = 0; i < 3; i++) await ads.get(users.chloe, viewer, hannaOpen, { countView: true })
    const order = await orders.place(users.chloe, hannaOpen, { amount: '50', idempotencyKey: 'demo-chloe-1' })
    await orders.cancel(users.chloe, order.id)
  }
  // Where buyers pay: each advertiser keeps details for the methods their ads list.
  const conversation = createConversation({ db, clock, antiPhishingCodeFor: antiPhishingCodeLookup(db) })
  const details: Array<[string, string, string, string]> = [
    ['hanna', 'SEPA', 'Hanna Weber', 'DE89 3704 0044 0532 0130 00'],
    ['hanna', 'SEPA Instant', 'Hanna Weber', 'DE89 3704 0044 0532 0130 00'],
    ['hanna', 'Wise', 'Hanna Weber', 'hanna.weber@wise.example'],
    ['lukas', 'SEPA Instant', 'Lukas Gruber', 'AT61 1904 3002 3457 3201'],
    ['lukas', 'Revolut', 'Lukas Gruber', '@lukasgruber'],
    ['giulia', 'SEPA', 'Giulia Romano', 'IT60 X054 2811 1010 0000 0123 456'],
  ]
  for (const [key, method, holder, account] of details) {
    const id = users[key]
    if (id)
      await conversation.saveDetails(id, {
        method,
        holder,
        account,
        note: 'Put the order number in the reference.',
      })
  }

  if (lukasAd && users.alice && users.lukas) {
    const viewer = await identities.forRules(users.alice)
    await ads.get(users.alice, viewer, lukasAd, { countView: true })
    const order = await orders.place(users.alice, lukasAd, { amount: '40', idempotencyKey: 'demo-alice-1' })
    await conversation.platformMessage(order.id, 'placed')
    await conversation.send(
      users.lukas,
      order.id,
      'Hi Alice, SEPA Instant to the IBAN on the order page, please.',
    )
  }
}

async function deposit(
  db: Db,
  ledger: EscrowLedger,
  users: Record<string, string>,
  funds: Array<[string, Asset, string]>,
  at: Date,
) {
  await db.transaction().execute(async (tx) => {
    for (const [key, asset, amount] of funds) {
      const owner = users[key]
      if (!owner) continue
      const units = parseUnits(amount, assets[asset])
      await ledger.deposit(tx, { owner, asset, amount: units, ref: 'demo:funding', at })
      await appendAudit(tx, {
        actor: 'system',
        action: 'p2p.deposit',
        target: `user:${owner}`,
        details: { asset, amount: units.toString(), note: 'demo funding' },
        at,
      })
    }
  })
}
