/**
 * Issue #14 proof: 1,000 concurrent withdrawal requests from 100 customers — signed API keys, every
 * idempotency key sent twice, more requested than the balances hold — raced against staff
 * approvals (two approvers at once), customer cancellations and a third wave of repeats. After
 * the storm: no balance is negative, no idempotency key made two withdrawals, every withdrawal's
 * funds were held at most once and refunded at most once, what is pending is exactly what the
 * live withdrawals hold, nothing left the exchange, and the ledger verifies clean.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLedger } from '../../src/custody/ledger.ts'
import { signedClient, storeApiKey } from '../support/api-keys.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

const USERS = 100
const PER_USER = 10 // 5 idempotency keys, each sent twice
const ETH = 10n ** 18n
const ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7'

let t: TestApp
type Customer = { id: string; send: ReturnType<typeof signedClient>; session?: TestSession }
const customers: Customer[] = []
let approvers: TestSession[] = []

beforeAll(async () => {
  t = await createTestApp()
  const ledger = createLedger({ db: t.db })
  // Twenty customers sign in (they cancel); the other eighty exist only as API-key holders.
  for (let i = 0; i < USERS; i++) {
    let id: string
    let session: TestSession | undefined
    if (i < 20) {
      const c = await t.createCustomer(`storm-${i}`)
      id = c.user.id
      session = c.session
    } else {
      const row = await t.db
        .insertInto('users')
        .values({
          email: `storm-${i}@test.bulwark`,
          kind: 'customer',
          role: null,
          display_name: `storm ${i}`,
          password_hash: 'unused',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      id = row.id
    }
    const key = {
      accessKey: `bwk_storm_${String(i).padStart(3, '0')}_xxxxxxxx`,
      secret: `storm-secret-${i}-${'s'.repeat(20)}`,
      passphrase: 'storm-passphrase',
    }
    await storeApiKey(t, id, key, { label: 'storm', permissions: ['withdraw'] })
    // 1 ETH each; five withdrawals of 0.2 or 0.3 ETH (+ fee) ask for more than that.
    await ledger.creditDeposit(t.db, {
      key: `storm:fund:${id}`,
      ref: 'test',
      owner: id,
      asset: 'ETH',
      amount: ETH,
    })
    customers.push({ id, send: signedClient(t, key), ...(session ? { session } : {}) })
  }
  // Accounts and addresses are new: a policy without the new-account rule, approvals from 0.3 ETH.
  const proposer = await t.createStaff('custody_approver')
  const admin = await t.createStaff('security_admin')
  const proposed = await t.app.inject({
    method: 'POST',
    url: '/api/staff/custody/policies',
    headers: proposer.session.headers,
    payload: {
      note: 'storm',
      document: {
        fees: { ETH: '0.0005', USDT: '1', USDC: '1', BTC: '0.0001' },
        insuranceShareBps: 2000,
        hotWalletMax: { ETH: '1', USDT: '5000', USDC: '5000', BTC: '0.1' },
        rules: [
          {
            id: 'approve-from-0-3',
            when: { asset: 'ETH', amountAtLeast: '0.3' },
            outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
          },
        ],
      },
    },
  })
  expect(proposed.statusCode).toBe(201)
  const version = proposed.json().policy.version
  const approved = await t.app.inject({
    method: 'POST',
    url: `/api/staff/custody/policies/${version}/approve`,
    headers: admin.session.headers,
  })
  expect(approved.statusCode).toBe(200)
  approvers = [proposer.session, (await t.createStaff('custody_approver')).session]
}, 120_000)
afterAll(() => t.close())

const request = (c: Customer, k: number) =>
  c.send('POST', '/api/custody/withdrawals', {
    asset: 'ETH',
    amount: k % 2 === 0 ? '0.2' : '0.3',
    network: 'ethereum',
    address: ADDRESS,
    idempotencyKey: `storm-${k}`,
  })

it('keeps every balance whole under 1,000 concurrent requests raced with approvals and cancellations', async () => {
  const started = performance.now()
  const wave = customers.flatMap((c) => Array.from({ length: PER_USER }, (_, i) => request(c, i % 5)))
  const answers = await Promise.all(wave)
  const codes = new Map<string, number>()
  for (const a of answers) {
    const key = a.statusCode === 201 ? '201' : `${a.statusCode} ${a.json().code}`
    codes.set(key, (codes.get(key) ?? 0) + 1)
  }
  // Only the outcomes a customer may see: created (or repeated), or not enough balance.
  expect([...codes.keys()].sort()).toEqual(
    ['201', '409 CUSTODY_INSUFFICIENT_BALANCE'].filter((k) => codes.has(k)),
  )
  expect(codes.get('201')).toBeGreaterThan(USERS * 6)

  // Wave 2: two approvers approve every waiting withdrawal at once, customers cancel, keys repeat.
  const waiting = await t.db
    .selectFrom('custody_withdrawals')
    .select(['id', 'user_id', 'payload_hash'])
    .where('status', '=', 'awaiting_approval')
    .execute()
  const all = await t.db.selectFrom('custody_withdrawals').select(['id', 'user_id']).execute()
  const sessions = new Map(customers.filter((c) => c.session).map((c) => [c.id, c.session!]))
  const race = [
    ...waiting.flatMap((w) =>
      approvers.map((s) =>
        t.app.inject({
          method: 'POST',
          url: `/api/staff/custody/withdrawals/${w.id}/approve`,
          headers: s.headers,
          payload: { payloadHash: w.payload_hash },
        }),
      ),
    ),
    ...all
      .filter((w) => sessions.has(w.user_id))
      .flatMap((w) =>
        [0, 1].map(() =>
          t.app.inject({
            method: 'POST',
            url: `/api/custody/withdrawals/${w.id}/cancel`,
            headers: sessions.get(w.user_id)!.headers,
          }),
        ),
      ),
    ...customers.slice(0, 50).flatMap((c) => [0, 1, 2, 3, 4].map((k) => request(c, k))),
  ]
  const raced = await Promise.all(race)
  for (const r of raced) expect([200, 201, 409]).toContain(r.statusCode)
  const racedCodes = new Map<string, number>()
  for (const r of raced) {
    const k = r.statusCode === 409 ? `${r.statusCode} ${r.json().code}` : String(r.statusCode)
    racedCodes.set(k, (racedCodes.get(k) ?? 0) + 1)
  }
  const elapsed = performance.now() - started

  // One withdrawal per idempotency key, at most five per customer.
  const rows = await t.db.selectFrom('custody_withdrawals').selectAll().execute()
  expect(new Set(rows.map((r) => `${r.user_id}/${r.idempotency_key}`)).size).toBe(rows.length)
  const movements = await t.db.selectFrom('custody_transactions').select(['idempotency_key']).execute()
  const keys = new Set(movements.map((m) => m.idempotency_key))
  const pendingByUser = new Map<string, bigint>()
  for (const r of rows) {
    const total = BigInt(r.amount) + BigInt(r.fee)
    const held = keys.has(`withdrawal:${r.id}:hold`)
    const refunded = keys.has(`withdrawal:${r.id}:refund`)
    // Held exactly when the row says funds were ever held; refunded only if held and now closed.
    expect(held).toBe(r.funds_held || refunded)
    expect(refunded).toBe(held && ['cancelled', 'rejected', 'failed'].includes(r.status))
    expect(keys.has(`withdrawal:${r.id}:complete`)).toBe(false) // nothing was signed in this test
    if (r.funds_held) pendingByUser.set(r.user_id, (pendingByUser.get(r.user_id) ?? 0n) + total)
  }
  const ledger = createLedger({ db: t.db })
  for (const c of customers) {
    const b = await ledger.balances(t.db, c.id)
    const of = (kind: string) => b.find((x) => x.asset === 'ETH' && x.kind === kind)?.balance ?? 0n
    expect(of('available')).toBeGreaterThanOrEqual(0n)
    expect(of('pending_withdrawal')).toBe(pendingByUser.get(c.id) ?? 0n)
    expect(of('available') + of('pending_withdrawal')).toBe(ETH)
  }
  const verified = await ledger.verify(t.db)
  expect(verified.problems).toEqual([])
  expect(verified.ok).toBe(true)
  const statuses = Object.fromEntries(
    [...new Set(rows.map((r) => r.status))].map((s) => [s, rows.filter((r) => r.status === s).length]),
  )
  console.info(
    `storm: ${answers.length + raced.length} requests in ${Math.round(elapsed)} ms`,
    statuses,
    Object.fromEntries(codes),
    Object.fromEntries(racedCodes),
  )
  expect(statuses.approved).toBeGreaterThan(0)
  expect(statuses.cancelled).toBeGreaterThan(0)
}, 180_000)
