/**
 * @module Benchmark of the P2P order path: `npm run bench:p2p [-- --orders N --concurrency C]`.
 * On the configured engine (PGlite in memory by default, PostgreSQL when DATABASE_URL is set):
 * order placements per second (ad row lock + escrow hold on the custody ledger + audit entry)
 * sequentially and with C concurrent takers on one ad, full order lifecycles (place → paid →
 * release) per second, and the ad list for a buyer over the ads present. Prints a table.
 */
import { parseArgs } from 'node:util'
import { createOutflowGate } from '../src/accounts/index.ts'
import { createLedger, custodyEscrowLedger } from '../src/custody/index.ts'
import { createP2p } from '../src/p2p/index.ts'
import { createManualClock } from '../src/platform/clock.ts'
import { createEventBus } from '../src/platform/events.ts'
import { createUser } from '../src/platform/identity/users.ts'
import { openBenchDatabase } from './support/database.ts'

const { values } = parseArgs({
  options: { orders: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' } },
})
const N = Number(values.orders)
const C = Number(values.concurrency)

const handle = await openBenchDatabase('p2p')
const db = handle.db
const clock = createManualClock(new Date('2026-03-01T00:00:00Z'))
const custody = createLedger({ db, clock })
const ledger = custodyEscrowLedger(custody)
const p2p = createP2p({
  db,
  clock,
  events: createEventBus(),
  ledger,
  secondFactor: { isEnabled: async () => true, confirm: async () => {} },
  outflow: createOutflowGate({ db, clock }),
})

let counter = 0
async function customer(country: string | null) {
  const user = await createUser(db, {
    email: `bench-${++counter}@bench.bulwark`,
    displayName: `Bench ${counter}`,
    kind: 'customer',
    password: null,
  })
  if (country) {
    await p2p.identities.submit(user.id, country)
    await p2p.identities.review(officer, { userId: user.id, decision: 'verify' })
  }
  return user.id
}
const officer = (
  await createUser(db, {
    email: 'officer@bench.bulwark',
    displayName: 'o',
    kind: 'staff',
    role: 'compliance_officer',
    password: null,
  })
).id

const seller = await customer('DE')
await db
  .transaction()
  .execute((tx) =>
    ledger.deposit(tx, { owner: seller, asset: 'USDT', amount: 10n ** 15n, ref: 'bench', at: clock.now() }),
  )
const ad = (allowed: string[]) =>
  p2p.ads.create(seller, {
    side: 'sell',
    asset: 'USDT',
    fiat: 'EUR',
    priceType: 'fixed',
    fixedPrice: '0.92',
    minOrder: '0.5',
    maxOrder: '100000',
    availableAmount: '100000000',
    paymentMethods: ['SEPA'],
    terms: '',
    allowedCountries: allowed,
  })
const adId = await ad(['DE', 'AT'])
for (let i = 0; i < 48; i++) await ad(i % 3 === 0 ? [] : ['DE', 'AT', 'FR'])
const buyers = await Promise.all(Array.from({ length: Math.max(C, 1) }, () => customer('AT')))

/**
 * Takers in turn; each placement first moves the clock past the payment window, so earlier unpaid
 * orders never count towards a taker's unpaid-order cap (MAX_UNPAID_ORDERS) in this benchmark.
 */
let placed = 0
function taker(): string {
  clock.advance(16 * 60_000)
  return buyers[placed++ % buyers.length]!
}

const rows: Array<[string, string, string]> = []
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 })

async function timed(label: string, count: number, run: (i: number) => Promise<unknown>, parallel: number) {
  const latencies: number[] = []
  const start = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++
        const t = performance.now()
        await run(i)
        latencies.push(performance.now() - t)
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  rows.push([
    label,
    `${fmt(count / seconds)}/s`,
    `p50 ${fmt(pct(latencies, 50))} ms · p95 ${fmt(pct(latencies, 95))} ms`,
  ])
}

await timed(
  'place order, sequential',
  N,
  (i) => p2p.orders.place(taker(), adId, { amount: '1', idempotencyKey: `s${i}` }),
  1,
)
await timed(
  `place order, ${C} takers at once on one ad`,
  N,
  (i) => p2p.orders.place(taker(), adId, { amount: '1', idempotencyKey: `c${i}` }),
  C,
)
clock.advance(16 * 60_000)
await timed(
  'lifecycle place → paid → release',
  Math.max(1, Math.floor(N / 4)),
  async (i) => {
    const order = await p2p.orders.place(buyers[0]!, adId, { amount: '1', idempotencyKey: `l${i}` })
    await p2p.orders.markPaid(buyers[0]!, order.id)
    await p2p.orders.release(seller, order.id, { totpCode: '000000' })
  },
  1,
)
const viewer = await p2p.identities.forRules(buyers[0]!)
await timed(
  'ad list for a buyer (49 ads)',
  50,
  () => p2p.ads.list(buyers[0]!, viewer, { localOnly: true }),
  1,
)

const verified = await custody.verify()
const engine = handle.engine
console.log(
  `\nP2P order path on ${engine}; ${N} orders, concurrency ${C}; custody ledger verify: ${verified.ok ? 'clean' : `${verified.problems.length} problem(s)`}\n`,
)
console.log('| operation | throughput | latency |')
console.log('|---|---|---|')
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`)
if (!verified.ok) process.exitCode = 1
await handle.close()
