/**
 * Issue #14 §3 and §5: a withdrawal passes every protection in order, through HTTP. One test per
 * step shows it refusing or holding: the 2FA step-up, the outflow gate (withdrawal lock, whitelist
 * delay), an account hold from a fraud case (lifted only by a second staff member), address
 * poisoning, sanctions lists, the risk engine (review holds it for an analyst, block rejects), the
 * policy (four-eyes changes, reject), and approvals bound to the payload hash that expire. Each
 * refusal leaves the customer's balance exactly where it was; each hold moves it to pending.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { parseFeeds, updateFeeds } from '../../src/guard/node/update.ts'
import { createRiskEngine } from '../../src/risk/engine.ts'
import { compileRules } from '../../src/risk/rules.ts'
import { createRiskService } from '../../src/risk/service.ts'
import { createTestApp, TEST_PASSWORD, type TestApp, type TestSession } from '../support/app.ts'

const HOUR = 3_600_000
const ETH = 10n ** 18n
const SANCTIONED = '0x8589427373D6D84E98730D7795D8f6f8731FDA16'
// A known destination and a lookalike sharing its first 6 and last 6 hex digits.
const KNOWN = '0x52908400098527886E0F7030069857D2E4169EE7'
const LOOKALIKE = '0x529084aaaaaaaaaaaaaaaaaaaaaaaaaaaa169EE7'
const FRESH = (n: number) =>
  `0x${n.toString(16).padStart(4, '0')}${'1234567890abcdef'.repeat(2)}dead`.slice(0, 42)

let t: TestApp
let analyst: TestSession
let analyst2: TestSession
let approver: TestSession
let approver2: TestSession
let admin: TestSession
let compliance: TestSession

type Customer = { id: string; email: string; session: TestSession; secret: string; lastStep: number }
const customers: Customer[] = []
const staffEmails: Record<string, string> = {}

/** Moves the clock (sessions end after 12 h), then signs everyone in again as the web app would. */
async function later(ms: number) {
  t.clock.advance(ms)
  analyst = await t.signIn(staffEmails.analyst!)
  analyst2 = await t.signIn(staffEmails.analyst2!)
  approver = await t.signIn(staffEmails.approver!)
  approver2 = await t.signIn(staffEmails.approver2!)
  admin = await t.signIn(staffEmails.admin!)
  compliance = await t.signIn(staffEmails.compliance!)
  for (const c of customers) c.session = await signInWithCode(c)
}

async function signInWithCode(c: Customer): Promise<TestSession> {
  const first = await t.app.inject({
    method: 'POST',
    url: '/api/auth/signin',
    payload: { email: c.email, password: TEST_PASSWORD },
  })
  const device = (first.cookies as Array<{ name: string; value: string }>).find(
    (k) => k.name === 'bulwark_device',
  )
  const second = await t.app.inject({
    method: 'POST',
    url: '/api/auth/signin/second-factor',
    headers: device ? { cookie: `${device.name}=${device.value}` } : {},
    payload: { ticket: first.json().ticket, totpCode: code(c) },
  })
  expect(second.statusCode).toBe(200)
  const cookies = second.cookies as Array<{ name: string; value: string }>
  const cookie = cookies
    .filter((k) => k.name !== 'bulwark_device')
    .map((k) => `${k.name}=${k.value}`)
    .join('; ')
  const csrf = cookies.find((k) => k.name === 'bulwark_csrf')!.value
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
type Body = Record<string, any>
async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  return { status: response.statusCode, body: response.json() as Body }
}

function code(c: Customer): string {
  const current = Math.floor(t.clock.now().getTime() / 30_000)
  if (current <= c.lastStep) {
    t.clock.advance(30_000)
    return code(c)
  }
  c.lastStep = current
  return totpCodeAt(c.secret, t.clock.now())
}

async function balances(owner: string) {
  const rows = await createLedger({ db: t.db }).balances(t.db, owner)
  const of = (kind: string) => rows.find((r) => r.asset === 'ETH' && r.kind === kind)?.balance ?? 0n
  return { available: of('available'), pending: of('pending_withdrawal') }
}

/** A customer with TOTP on, 10 ETH, past the lock that turning 2FA on starts, older than a day. */
async function customer(name: string, eth = 10n): Promise<Customer> {
  const { user, email, session } = await t.createCustomer(name)
  const setup = await call(session, 'POST', '/api/accounts/totp/setup', {})
  const c: Customer = { id: user.id, email, session, secret: setup.body.secret, lastStep: -1 }
  customers.push(c)
  expect((await call(session, 'POST', '/api/accounts/totp/confirm', { code: code(c) })).status).toBe(200)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: `test:fund:${user.id}`,
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: eth * ETH,
  })
  return c
}

let n = 0
function withdraw(c: Customer, amount: string, address: string, extra: Record<string, unknown> = {}) {
  return call(c.session, 'POST', '/api/custody/withdrawals', {
    asset: 'ETH',
    amount,
    network: 'ethereum',
    address,
    idempotencyKey: `k-${++n}`,
    totpCode: code(c),
    ...extra,
  })
}

// A local mirror of OFAC's per-asset export, for the periodic feed refresh.
const DESIGNATED_LATER = '0x7f367cc41522ce07553e823bf3be79a889debe1b'
let ofacBody = '0x00000000000000000000000000000000000dead1\n'
let ofacServer: Server
let feedsDir = ''
let feeds = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sanctions-'))
  feedsDir = join(dir, 'feeds')
  ofacServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(ofacBody)
  })
  await new Promise<void>((resolve) => ofacServer.listen(0, '127.0.0.1', resolve))
  feeds = `ofac-eth=addresses:http://127.0.0.1:${(ofacServer.address() as AddressInfo).port}/sanctioned_addresses_ETH.txt`
  const list = join(dir, 'sanctioned_addresses_ETH.txt')
  writeFileSync(list, `${SANCTIONED}\n`)
  // The risk engine under test: review from 0.5 ETH, block from 0.9 ETH (raw smallest units).
  const rules = compileRules({
    version: 'test-withdrawals',
    rules: [
      {
        id: 'large-review',
        events: ['withdrawal_requested'],
        when: { feature: 'amount', op: '>=', value: 5e17 },
        action: 'review',
        score: 0.6,
        reason: 'large withdrawal',
      },
      {
        id: 'huge-block',
        events: ['withdrawal_requested'],
        when: { feature: 'amount', op: '>=', value: 9e17 },
        action: 'block',
        score: 1,
        reason: 'huge withdrawal',
      },
    ],
  })
  t = await createTestApp(
    { GUARD_ADDRESS_LISTS: list, GUARD_FEEDS: feeds, GUARD_FEEDS_DIR: feedsDir },
    { risk: (db, clock) => createRiskService({ db, clock, engine: createRiskEngine({ rules }) }) },
  )
  staffEmails.analyst = (await t.createStaff('risk_analyst')).email
  staffEmails.analyst2 = (await t.createStaff('risk_analyst')).email
  staffEmails.approver = (await t.createStaff('custody_approver')).email
  staffEmails.approver2 = (await t.createStaff('custody_approver')).email
  staffEmails.admin = (await t.createStaff('security_admin')).email
  staffEmails.compliance = (await t.createStaff('compliance_officer')).email
  await later(0)
})
afterAll(async () => {
  await t.close()
  await new Promise((resolve) => ofacServer.close(resolve))
})

describe('step 1: 2FA step-up', () => {
  it('refuses a session withdrawal without a code or with a wrong one, and moves nothing', async () => {
    const c = await customer('no-code')
    await later(25 * HOUR)
    const none = await withdraw(c, '0.1', KNOWN, { totpCode: undefined })
    expect(none.status).toBe(403)
    expect(none.body.code).toBe('SECOND_FACTOR_REQUIRED')
    const wrong = await withdraw(c, '0.1', KNOWN, { totpCode: '000000' })
    expect(wrong.body.code).toBe('SECOND_FACTOR_INVALID')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
  })
})

describe('before the steps', () => {
  it('refuses Bitcoin withdrawals plainly without a Bitcoin cold wallet, and an asset on another network', async () => {
    const c = await customer('bitcoiner')
    const btc = await withdraw(c, '0.1', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', {
      asset: 'BTC',
      network: 'bitcoin',
    })
    // No CUSTODY_BTC_XPUB here (withdrawal-btc-psbt.test.ts has one): nothing to sign BTC with.
    expect(btc.status).toBe(503)
    expect(btc.body.code).toBe('WITHDRAWAL_ASSET_UNAVAILABLE')
    const polygon = await withdraw(c, '0.1', KNOWN, { network: 'polygon' })
    expect(polygon.body.code).toBe('WITHDRAWAL_NETWORK_UNSUPPORTED')
  })
})

describe('step 2: the outflow gate', () => {
  it('delays a withdrawal right after a security change and says until when', async () => {
    const c = await customer('just-enabled-2fa')
    const locked = await withdraw(c, '0.1', KNOWN)
    expect(locked.status).toBe(423)
    expect(locked.body.code).toBe('WITHDRAWAL_LOCKED')
    expect(locked.body.message).toMatch(
      /^Withdrawals are delayed until \d{4}-\d\d-\d\dT[^,]+, because you changed your two-factor settings\./,
    )
    expect(locked.body.details.reason).toBe('two_factor_changed')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
  })

  it('with whitelist mode on, refuses any address not on it and waits 24 h for a new entry', async () => {
    const c = await customer('whitelister')
    await later(25 * HOUR)
    expect(
      (await call(c.session, 'POST', '/api/accounts/whitelist/mode', { enabled: true, totpCode: code(c) }))
        .status,
    ).toBe(200)
    await later(25 * HOUR)
    const added = await call(c.session, 'POST', '/api/accounts/whitelist', {
      network: 'ethereum',
      address: FRESH(1),
      label: 'cold storage',
      totpCode: code(c),
    })
    expect(added.status).toBe(201)
    // Adding an entry is a security change: its lock ends when the entry becomes usable.
    const pending = await withdraw(c, '0.1', FRESH(1))
    expect(pending.status).toBe(423)
    expect(pending.body.details.until).toBe(added.body.usableAt)
    await later(24 * HOUR + 60_000)
    const unknown = await withdraw(c, '0.1', FRESH(2))
    expect(unknown.body.code).toBe('ADDRESS_NOT_WHITELISTED')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
    expect((await withdraw(c, '0.1', FRESH(1))).status).toBe(201)
  })
})

describe('step 2b: account holds from a risk case', () => {
  it('holds withdrawals while a hold is on, and after a fraud verdict only a second staff member lifts it', async () => {
    const c = await customer('held')
    await later(25 * HOUR)
    const earlier = await withdraw(c, '0.05', KNOWN)
    expect(earlier.body.withdrawal.status).toBe('approved')
    const opened = await call(analyst, 'POST', '/api/risk/cases', { account: c.id, alertIds: [] })
    expect(opened.status).toBe(200)
    const placed = await call(analyst, 'POST', '/api/staff/custody/holds', {
      userId: c.id,
      caseId: opened.body.id,
      reason: 'mule pattern under investigation',
    })
    expect(placed.status).toBe(201)
    // A withdrawal approved but not yet signing moves to the review queue with the hold.
    const moved = await call(c.session, 'GET', `/api/custody/withdrawals/${earlier.body.withdrawal.id}`)
    expect(moved.body.withdrawal.status).toBe('held_for_review')
    expect(moved.body.withdrawal.reasonCode).toBe('ACCOUNT_HOLD')
    await call(analyst, 'POST', `/api/staff/custody/withdrawals/${earlier.body.withdrawal.id}/reject`, {
      note: 'under investigation',
    })

    const w = await withdraw(c, '0.2', KNOWN)
    expect(w.status).toBe(201)
    expect(w.body.withdrawal.status).toBe('held_for_review')
    expect(w.body.withdrawal.statusText).toMatch(/on hold while our risk team reviews/)
    expect(w.body.withdrawal.steps.map((s: Body) => `${s.step}:${s.verdict}`)).toContain(
      'account_hold:review',
    )
    expect(await balances(c.id)).toEqual({
      available: 10n * ETH - 2n * 10n ** 17n - 5n * 10n ** 14n,
      pending: 2n * 10n ** 17n + 5n * 10n ** 14n,
    })
    const mine = await call(c.session, 'GET', '/api/custody/withdrawals')
    expect(mine.body.holds).toHaveLength(1)

    const early = await call(
      analyst,
      'POST',
      `/api/staff/custody/withdrawals/${w.body.withdrawal.id}/release`,
      { note: 'x' },
    )
    expect(early.body.code).toBe('ACCOUNT_HOLD_ACTIVE')

    expect(
      (await call(analyst, 'POST', `/api/risk/cases/${opened.body.id}/resolve`, { resolution: 'fraud' }))
        .status,
    ).toBe(200)
    const self = await call(analyst, 'POST', `/api/staff/custody/holds/${placed.body.hold.id}/lift`, {
      note: 'done',
    })
    expect(self.status).toBe(403)
    expect(self.body.code).toBe('HOLD_FOUR_EYES')
    const second = await call(analyst2, 'POST', `/api/staff/custody/holds/${placed.body.hold.id}/lift`, {
      note: 'reviewed, customer verified',
    })
    expect(second.status).toBe(200)
    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'custody.hold_%')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['custody.hold_placed', 'custody.hold_lifted'])

    const rejected = await call(
      analyst2,
      'POST',
      `/api/staff/custody/withdrawals/${w.body.withdrawal.id}/reject`,
      { note: 'fraud' },
    )
    expect(rejected.body.withdrawal.status).toBe('rejected')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
  })
})

describe('step 3: address poisoning', () => {
  it('rejects a lookalike of a past destination with ADDRESS_POISONING_SUSPECTED', async () => {
    const c = await customer('poisoned')
    await later(25 * HOUR)
    const first = await withdraw(c, '0.1', KNOWN)
    expect(first.body.withdrawal.status).toBe('approved')
    const before = await balances(c.id)
    const fake = await withdraw(c, '0.1', LOOKALIKE.toLowerCase())
    expect(fake.status).toBe(403)
    expect(fake.body.code).toBe('ADDRESS_POISONING_SUSPECTED')
    expect(await balances(c.id)).toEqual(before)
    const list = await call(c.session, 'GET', '/api/custody/withdrawals')
    const recorded = list.body.withdrawals.find((w: Body) => w.status === 'rejected')
    expect(recorded.steps.find((s: Body) => s.step === 'address_poisoning').verdict).toBe('block')
    // A weaker resemblance (first 3 and last 2 characters) is held for the risk team instead.
    const faint = await withdraw(c, '0.1', `0x529${'f'.repeat(35)}e7`)
    expect(faint.status).toBe(201)
    expect(faint.body.withdrawal.status).toBe('held_for_review')
    expect(faint.body.withdrawal.reasonCode).toBe('ADDRESS_POISONING_SUSPECTED')
  })
})

describe('step 4: sanctions lists', () => {
  it('rejects a destination on a loaded sanctions list', async () => {
    const c = await customer('sanctions')
    await later(25 * HOUR)
    const r = await withdraw(c, '0.1', SANCTIONED)
    expect(r.status).toBe(403)
    expect(r.body.code).toBe('ADDRESS_SANCTIONED')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
  })

  it('rejects an address OFAC designated after start-up once the feed refresh lands, without a restart', async () => {
    const c = await customer('designated')
    await later(25 * HOUR)
    ofacBody = `${ofacBody}${DESIGNATED_LATER}\n`
    // What the server's periodic job and `bulwark guard update` do.
    const [result] = await updateFeeds({ feeds: parseFeeds(feeds), dir: feedsDir, now: () => new Date() })
    expect(result?.entries).toBe(2)
    const r = await withdraw(c, '0.1', DESIGNATED_LATER)
    expect(r.status).toBe(403)
    expect(r.body.code).toBe('ADDRESS_SANCTIONED')
  })
})

describe('step 5: the risk engine', () => {
  it('holds a review decision for an analyst with the reasons, then it continues to approval', async () => {
    const c = await customer('risky')
    await later(25 * HOUR)
    const r = await withdraw(c, '0.6', KNOWN)
    expect(r.status).toBe(201)
    expect(r.body.withdrawal.status).toBe('held_for_review')
    expect(r.body.withdrawal.statusText).toBe(
      'Held for review by our risk team. We will let you know when it moves on.',
    )
    const queue = await call(analyst, 'GET', '/api/staff/custody/withdrawals?status=held_for_review')
    const item = queue.body.withdrawals.find((w: Body) => w.id === r.body.withdrawal.id)
    expect(item.riskReasons.map((x: Body) => x.text)).toContain('large withdrawal')
    expect(item.policyVersion).toBe(1)
    const released = await call(analyst, 'POST', `/api/staff/custody/withdrawals/${item.id}/release`, {
      note: 'known customer',
    })
    // The score (0.6) meets the default policy's `risky` rule: one approval.
    expect(released.body.withdrawal.status).toBe('awaiting_approval')
  })

  it('rejects a block decision with OUTFLOW_RISK_BLOCKED and moves nothing', async () => {
    const c = await customer('blocked')
    await later(25 * HOUR)
    const r = await withdraw(c, '0.95', KNOWN)
    expect(r.status).toBe(403)
    expect(r.body.code).toBe('OUTFLOW_RISK_BLOCKED')
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
  })
})

describe('step 7: approvals bound to the payload hash', () => {
  it('does not count an approval of another payload and refuses a role the policy did not name', async () => {
    // A day-old account sending to a new address: the default policy asks one approval.
    const f = await customer('fresh', 1n)
    // Turning 2FA on started a 24 h lock (step 2's business); end it so the policy step is reached.
    // users.created_at is the database's time; this app runs on a moved test clock.
    await t.db.updateTable('users').set({ created_at: t.clock.now() }).where('id', '=', f.id).execute()
    const ended = new Date(t.clock.now().getTime() - 1000)
    await t.db
      .updateTable('withdrawal_locks')
      .set({ started_at: new Date(ended.getTime() - 24 * HOUR), until: ended })
      .where('user_id', '=', f.id)
      .execute()
    await later(60_000)
    const r = await withdraw(f, '0.1', FRESH(3))
    expect(r.status).toBe(201)
    expect(r.body.withdrawal.status).toBe('awaiting_approval')
    expect(r.body.withdrawal.statusText).toBe('Waiting for approval by our custody team (0 of 1).')
    const id = r.body.withdrawal.id
    const [item] = (
      await call(approver, 'GET', '/api/staff/custody/withdrawals?status=awaiting_approval')
    ).body.withdrawals.filter((w: Body) => w.id === id)
    expect(item.policyDecision.matched).toContain('new-account-new-address')

    const other = await call(approver, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, {
      payloadHash: 'f'.repeat(64),
    })
    expect(other.status).toBe(409)
    expect(other.body.code).toBe('PAYLOAD_MISMATCH')
    const wrongRole = await call(analyst, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, {
      payloadHash: item.payloadHash,
    })
    expect(wrongRole.status).toBe(403)
    const still = await call(f.session, 'GET', `/api/custody/withdrawals/${id}`)
    expect(still.body.withdrawal.status).toBe('awaiting_approval')

    const ok = await call(approver, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, {
      payloadHash: item.payloadHash,
    })
    expect(ok.status).toBe(200)
    expect(ok.body.withdrawal.status).toBe('approved')
    expect(ok.body.withdrawal.signingMode).toBe('offline') // no hot key configured in this app
  })

  it('lets approvals expire after 24 h, so two approvals must be fresh together', async () => {
    const c = await customer('two-approvals', 30n)
    await later(25 * HOUR)
    // Two approvals for ≥ 10 ETH; this app's risk engine blocks ≥ 0.9 ETH, so propose a policy
    // asking two approvals from 0.3 ETH, approved by a second person.
    const v = await proposeAndApprove([
      {
        id: 'two',
        when: { asset: 'ETH', amountAtLeast: '0.3' },
        outcome: { action: 'require_approvals', count: 2, roles: ['custody_approver'] },
      },
    ])
    const r = await withdraw(c, '0.4', KNOWN)
    expect(r.body.withdrawal.status).toBe('awaiting_approval')
    const id = r.body.withdrawal.id
    const hash = (await call(approver, 'GET', '/api/staff/custody/withdrawals')).body.withdrawals.find(
      (w: Body) => w.id === id,
    ).payloadHash
    expect(
      (await call(approver, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, { payloadHash: hash }))
        .body.withdrawal.status,
    ).toBe('awaiting_approval')
    await later(25 * HOUR)
    const second = await call(approver2, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, {
      payloadHash: hash,
    })
    expect(second.body.withdrawal.status).toBe('awaiting_approval')
    expect(second.body.withdrawal.approvals.filter((a: Body) => a.valid)).toHaveLength(1)
    const again = await call(approver, 'POST', `/api/staff/custody/withdrawals/${id}/approve`, {
      payloadHash: hash,
    })
    expect(again.body.withdrawal.status).toBe('approved')
    expect(v).toBeGreaterThan(1)
    await proposeAndApprove([]) // back to no rules for the tests after this one
  })

  it('lets the customer cancel before signing; the funds come back exactly once', async () => {
    const c = await customer('canceller')
    await later(25 * HOUR)
    const r = await withdraw(c, '0.3', KNOWN)
    const id = r.body.withdrawal.id
    const cancelled = await call(c.session, 'POST', `/api/custody/withdrawals/${id}/cancel`, {})
    expect(cancelled.body.withdrawal.status).toBe('cancelled')
    const twice = await call(c.session, 'POST', `/api/custody/withdrawals/${id}/cancel`, {})
    expect(twice.status).toBe(409)
    expect(await balances(c.id)).toEqual({ available: 10n * ETH, pending: 0n })
    const someoneElse = await customer('nosy')
    expect((await call(someoneElse.session, 'GET', `/api/custody/withdrawals/${id}`)).status).toBe(404)
  })
})

async function proposeAndApprove(rules: unknown[]): Promise<number> {
  const document = {
    fees: { ETH: '0.0005', USDT: '1', USDC: '1', BTC: '0.0001' },
    insuranceShareBps: 2000,
    hotWalletMax: { ETH: '1', USDT: '5000', USDC: '5000', BTC: '0.1' },
    rules,
  }
  const proposed = await call(approver, 'POST', '/api/staff/custody/policies', {
    document,
    note: 'test policy',
  })
  expect(proposed.status).toBe(201)
  const version = proposed.body.policy.version as number
  const ok = await call(admin, 'POST', `/api/staff/custody/policies/${version}/approve`, {})
  expect(ok.status).toBe(200)
  return version
}

describe('step 6: the policy', () => {
  it('needs a second person to approve a change, then rejects what it forbids', async () => {
    const c = await customer('policy')
    await later(25 * HOUR)
    const document = {
      fees: { ETH: '0.001', USDT: '1', USDC: '1', BTC: '0.0001' },
      insuranceShareBps: 5000,
      hotWalletMax: { ETH: '1', USDT: '5000', USDC: '5000', BTC: '0.1' },
      rules: [
        { id: 'no-big-eth', when: { asset: 'ETH', amountAtLeast: '0.4' }, outcome: { action: 'reject' } },
      ],
    }
    const proposed = await call(admin, 'POST', '/api/staff/custody/policies', { document, note: 'cap ETH' })
    expect(proposed.status).toBe(201)
    const version = proposed.body.policy.version
    const self = await call(admin, 'POST', `/api/staff/custody/policies/${version}/approve`, {})
    expect(self.status).toBe(403)
    expect(self.body.code).toBe('POLICY_FOUR_EYES')
    const before = await withdraw(c, '0.45', KNOWN)
    expect(before.body.withdrawal.status).toBe('approved') // the proposal is not in force yet

    expect(
      (await call(compliance, 'POST', `/api/staff/custody/policies/${version}/approve`, {})).status,
    ).toBe(200)
    const after = await withdraw(c, '0.45', KNOWN)
    expect(after.status).toBe(403)
    expect(after.body.code).toBe('WITHDRAWAL_POLICY_REJECTED')
    const small = await withdraw(c, '0.1', KNOWN)
    expect(small.body.withdrawal.fee).toBe('0.001')
    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'custody.policy_%')
      .execute()
    expect(actions.map((a) => a.action)).toContain('custody.policy_approved')
  })

  it('answers a repeated idempotency key with the same withdrawal, and refuses it for another payload', async () => {
    const c = await customer('repeat')
    await later(25 * HOUR)
    const body = {
      asset: 'ETH',
      amount: '0.1',
      network: 'ethereum',
      address: KNOWN,
      idempotencyKey: 'same-key',
      totpCode: code(c),
    }
    const a = await call(c.session, 'POST', '/api/custody/withdrawals', body)
    const b = await call(c.session, 'POST', '/api/custody/withdrawals', body)
    expect(b.body.withdrawal.id).toBe(a.body.withdrawal.id)
    const other = await call(c.session, 'POST', '/api/custody/withdrawals', { ...body, amount: '0.2' })
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED')
  })
})
