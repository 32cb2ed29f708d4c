/**
 * @module Benchmark of the withdrawal pipeline: `npm run bench:custody [-- --withdrawals N --concurrency C]`.
 * On the configured engine (PGlite in memory by default, PostgreSQL when DATABASE_URL is set):
 * withdrawals per second through the full request pipeline on the auto-approved path — outflow gate
 * (frozen, lock, whitelist), account holds, address poisoning against the address book and past
 * destinations, sanctions lists (10,000 listed addresses), the bundled risk engine, the policy, and
 * the transaction that writes the withdrawal, holds amount + fee on the ledger and appends the audit
 * entry — sequentially and with C concurrent requests; then p50/p99 of each step as recorded on the
 * withdrawals, and of in-process hot-wallet signing (EIP-1559). The 2FA step-up is not measured
 * (API-key path; a TOTP check is a sub-millisecond HMAC plus one row update). Prints a table,
 * with the machine's load average at the start and the end: on a shared machine the tails are
 * mostly time spent waiting for a core.
 *
 * `--sched` (Linux) also reads the main thread's scheduler statistics (/proc/thread-self/schedstat)
 * around every risk `assess()`, and reports how many calls were descheduled and how long they
 * waited for a core: the evidence for what makes the risk step's tail. The two reads sit inside the
 * timed step, so with `--sched` its p50 is a few microseconds higher; measure without it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { getAddress } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { hotSignerFromKey } from '../src/custody/hot-signer.ts'
import { createLedger } from '../src/custody/ledger.ts'
import { createPolicyStore, DEFAULT_POLICY } from '../src/custody/policy.ts'
import { buildTransaction } from '../src/custody/signing.ts'
import { createWithdrawals } from '../src/custody/withdrawals.ts'
import { createAddressScreener } from '../src/guard/index.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createUser } from '../src/platform/identity/users.ts'
import { createDefaultEngine } from '../src/risk/service.ts'
import { openBenchDatabase } from './support/database.ts'

const { values } = parseArgs({
  options: {
    withdrawals: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '20' },
    sched: { type: 'boolean', default: false },
  },
})
const N = Number(values.withdrawals)
const C = Number(values.concurrency)

const handle = await openBenchDatabase('custody')
const db = handle.db
const config = loadConfig({ LOG_LEVEL: 'silent' })
let now = new Date('2026-03-01T00:00:00Z').getTime()
const clock = { now: () => new Date(now) }

// Auto-approve everything under 10 ETH: the path measured is the one without staff in it.
const staff = await Promise.all(
  ['a', 'b'].map((n) =>
    createUser(db, {
      email: `bench-${n}@staff.bulwark`,
      displayName: n,
      kind: 'staff',
      role: 'custody_approver',
      password: 'bench-password-long-enough',
    }),
  ),
)
const policies = createPolicyStore({ db, clock })
const proposal = await policies.propose(
  { ...DEFAULT_POLICY, rules: DEFAULT_POLICY.rules.filter((r) => r.id !== 'new-account-new-address') },
  staff[0]!.id,
  'bench',
)
await policies.approve(proposal.version, staff[1]!.id)

const listed = Array.from({ length: 10_000 }, () => `0x${bytesToHex(randomBytes(20))}`)
const screener = createAddressScreener([{ name: 'bench-sanctions', kind: 'sanctions', addresses: listed }])
const loadAtStart = loadavg()
const SCHEDSTAT = '/proc/thread-self/schedstat'
const sched = values.sched && existsSync(SCHEDSTAT)
/** Nanoseconds this thread has waited on a run queue so far (schedstat's second field). */
const runDelay = () => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[1])
const waits: number[] = []
const bare = createDefaultEngine()
const engine: typeof bare = sched
  ? {
      ...bare,
      assess(event) {
        const before = runDelay()
        const decision = bare.assess(event)
        waits.push((runDelay() - before) / 1e6)
        return decision
      },
    }
  : bare
const withdrawals = createWithdrawals({
  db,
  clock,
  config,
  accounts: { db, clock, config },
  risk: engine,
  screener: async () => screener,
})

const USERS = 50
const ledger = createLedger({ db })
const users: string[] = []
for (let i = 0; i < USERS; i++) {
  const u = await createUser(db, {
    email: `bench-${i}@bench.bulwark`,
    displayName: `bench ${i}`,
    kind: 'customer',
    password: 'bench-password-long-enough',
  })
  await ledger.creditDeposit(db, {
    key: `fund:${u.id}`,
    ref: 'bench',
    owner: u.id,
    asset: 'ETH',
    amount: 10n ** 24n,
  })
  users.push(u.id)
}
// Accounts a month old, so no new-account rule applies whatever the policy.
await db
  .updateTable('users')
  .set({ created_at: new Date(now - 30 * 86_400_000) })
  .execute()

/**
 * A fresh destination per request whose first and last four hex digits are the request number: two
 * of them then match in at most three characters at the two ends together, so the address-poisoning
 * step never (by chance) holds one as a lookalike of an earlier one, as random addresses sometimes did.
 */
function destination(i: number): `0x${string}` {
  const tag = i.toString(16).padStart(4, '0')
  if (tag.length > 4) throw new RangeError('at most 65,536 withdrawals per run')
  return getAddress(`0x${tag}${bytesToHex(randomBytes(16))}${tag}`)
}

let k = 0
async function one(prefix = 'bench'): Promise<number> {
  const i = k++
  const start = performance.now()
  const row = await withdrawals.request({
    userId: users[i % USERS]!,
    via: 'api_key',
    asset: 'ETH',
    amount: '0.01',
    network: 'ethereum',
    address: destination(i),
    idempotencyKey: `${prefix}-${i}`,
  })
  if (row.status !== 'approved') throw new Error(`expected approved, got ${row.status} (${row.reason_code})`)
  now += 60_000 // a minute apart: each customer stays under the engine's velocity rule
  return performance.now() - start
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0
}
const rows: [string, string, string, string][] = []
const fmt = (x: number) => x.toFixed(3)

await Promise.all(Array.from({ length: 20 }, () => one('warm-up'))) // not counted
const seqStart = performance.now()
const seqTimes: number[] = []
for (let i = 0; i < N; i++) seqTimes.push(await one())
const seqRate = N / ((performance.now() - seqStart) / 1000)
rows.push([
  'request, sequential (ms)',
  fmt(pct(seqTimes, 50)),
  fmt(pct(seqTimes, 99)),
  `${seqRate.toFixed(0)} withdrawals/s`,
])

const parStart = performance.now()
const parTimes: number[] = []
let left = N
await Promise.all(
  Array.from({ length: C }, async () => {
    while (left-- > 0) parTimes.push(await one())
  }),
)
const parRate = N / ((performance.now() - parStart) / 1000)
rows.push([
  `request, ${C} concurrent (ms)`,
  fmt(pct(parTimes, 50)),
  fmt(pct(parTimes, 99)),
  `${parRate.toFixed(0)} withdrawals/s`,
])

const recorded = await db
  .selectFrom('custody_withdrawals')
  .select('steps')
  .where('idempotency_key', 'like', 'bench-%')
  .execute()
const labels: Record<string, string> = {
  whitelist: 'step 2 outflow gate: frozen, lock, whitelist',
  account_hold: 'step 2b account holds',
  address_poisoning: 'step 3 address poisoning',
  sanctions: 'step 4 sanctions lists (10k)',
  risk: 'step 5 risk engine assess()',
  policy: 'step 6 policy (+ velocity query)',
}
for (const [step, label] of Object.entries(labels)) {
  const ms = recorded.flatMap((r) =>
    r.steps.filter((s) => s.step === step && s.ms !== undefined).map((s) => s.ms!),
  )
  rows.push([`${label} (ms)`, fmt(pct(ms, 50)), fmt(pct(ms, 99)), `${ms.length} samples`])
}

if (sched) {
  const descheduled = waits.filter((w) => w > 0)
  rows.push([
    'step 5: time waiting for a core inside it (ms)',
    fmt(pct(waits, 50)),
    fmt(pct(waits, 99)),
    `${descheduled.length} of ${waits.length} calls waited`,
  ])
}

const signer = hotSignerFromKey(generatePrivateKey())
const signTimes: number[] = []
for (let i = 0; i < 200; i++) {
  const tx = buildTransaction(
    { asset: 'ETH', address: signer.address, amount: '10000000000000000' },
    new Map(),
    {
      chainId: 1,
      nonce: i,
      fees: { maxFeePerGas: 30_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
    },
  )
  const t0 = performance.now()
  await signer.sign(tx)
  signTimes.push(performance.now() - t0)
}
rows.push([
  'step 8 hot-wallet sign, EIP-1559 (ms)',
  fmt(pct(signTimes, 50)),
  fmt(pct(signTimes, 99)),
  '200 samples',
])

const verified = await ledger.verify(db)
console.log(
  `\nWithdrawal pipeline on ${handle.engine}: ${N} sequential + ${N} concurrent, auto-approved path\n`,
)
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
console.log(`load average (1/5/15 min): ${load(loadAtStart)} at the start, ${load(loadavg())} at the end\n`)
const widths = [49, 10, 10, 22]
const line = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd(widths[i]!)).join(' | '))
line(['measure', 'p50', 'p99', 'note'])
line(widths.map((w) => '-'.repeat(w)))
for (const r of rows) line(r)
console.log(
  `\nledger verify: ${verified.ok ? 'clean' : `${verified.problems.length} problem(s)`} (${verified.transactions} transactions)\n`,
)
await handle.close()
if (!verified.ok) process.exit(1)
