/**
 * Issue #18 part 6: Travel Rule thresholds per jurisdiction are a table compliance officers edit
 * (amount + currency, effective from), seeded by TRAVEL_RULE_THRESHOLDS. A withdrawal is checked
 * against the threshold in force when it is requested; each change is audit-logged with the value
 * before and after; only compliance officers change them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { DEMO_EVM_XPUB } from '../../src/custody/index.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

const HOUR = 3_600_000
const ETH = 10n ** 18n
/** An address nobody declared (ETH is priced at 2800 EUR by the default TRAVEL_RULE_PRICES). */
const SOMEWHERE = '0x7777777777777777777777777777777777777777'

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
type Body = Record<string, any>
let t: TestApp
let officerEmail: string

async function call(session: TestSession | null, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session?.headers ?? {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  return { status: response.statusCode, body: response.json() as Body }
}

const officer = () => t.signIn(officerEmail)
const setThreshold = async (body: Body) =>
  call(await officer(), 'POST', '/api/staff/travel-rule/thresholds', body)

type Customer = { email: string; session: TestSession }

/** A customer with TOTP on and 10 ETH, past the 24 h lock that turning TOTP on starts. */
async function customer(name: string): Promise<Customer> {
  const { user, email, session } = await t.createCustomer(name)
  const { secret } = (await call(session, 'POST', '/api/accounts/totp/setup', {})).body
  const confirm = await call(session, 'POST', '/api/accounts/totp/confirm', {
    code: totpCodeAt(secret, t.clock.now()),
  })
  expect(confirm.status).toBe(200)
  t.rememberTotp(email, secret)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: `test:fund:${user.id}`,
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: 10n * ETH,
  })
  t.clock.advance(25 * HOUR)
  return { email, session: await t.signIn(email) }
}

let n = 0
async function withdraw(c: Customer, amount: string) {
  return call(await t.signIn(c.email), 'POST', '/api/custody/withdrawals', {
    asset: 'ETH',
    amount,
    network: 'ethereum',
    address: SOMEWHERE,
    idempotencyKey: `thr-${++n}`,
    totpCode: t.nextStaffCode(c.email),
  })
}
const travelRuleStep = (r: { body: Body }) =>
  r.body.withdrawal.steps.findLast((s: Body) => s.step === 'travel_rule')

beforeAll(async () => {
  t = await createTestApp({
    TRAVEL_RULE_JURISDICTION: 'EU',
    TRAVEL_RULE_SIGNING_KEY: '0e'.repeat(32),
    DATA_KEK: '5f'.repeat(32),
    CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
  })
  officerEmail = (await t.createStaff('compliance_officer')).email
}, 120_000)
afterAll(async () => {
  await t?.close()
})

describe('Travel Rule thresholds per jurisdiction', () => {
  it('start as the configured values, marked as such', async () => {
    const r = await call(await officer(), 'GET', '/api/staff/travel-rule/thresholds')
    expect(r.status).toBe(200)
    expect(r.body.jurisdiction).toBe('EU')
    expect(r.body.versions).toEqual([])
    expect(r.body.inForce).toEqual([
      {
        jurisdiction: 'CH',
        amount: '1000',
        currency: 'CHF',
        source: 'config',
        effectiveFrom: null,
        changedBy: null,
      },
      {
        jurisdiction: 'EU',
        amount: '0',
        currency: 'EUR',
        source: 'config',
        effectiveFrom: null,
        changedBy: null,
      },
      {
        jurisdiction: 'SG',
        amount: '1500',
        currency: 'SGD',
        source: 'config',
        effectiveFrom: null,
        changedBy: null,
      },
      {
        jurisdiction: 'US',
        amount: '3000',
        currency: 'USD',
        source: 'config',
        effectiveFrom: null,
        changedBy: null,
      },
    ])
  })

  it('once an officer sets EU to 1000 EUR, a withdrawal just below it needs no Travel Rule data and one just above is refused until the address is declared', async () => {
    const c = await customer('threshold-edit')
    // At the configured 0 EUR every withdrawal needs Travel Rule data.
    const before = await withdraw(c, '0.357')
    expect(before.status).toBe(409)
    expect(before.body.code).toBe('TRAVEL_RULE_DESTINATION_UNDECLARED')

    const set = await setThreshold({
      jurisdiction: 'EU',
      amount: '1000.00',
      currency: 'EUR',
      note: 'MiCA review',
    })
    expect(set.status).toBe(201)
    expect(set.body.threshold).toMatchObject({
      jurisdiction: 'EU',
      amount: '1000',
      currency: 'EUR',
      effectiveFrom: t.clock.now().toISOString(),
      note: 'MiCA review',
    })

    // 0.357 ETH × 2800 EUR = 999.60 EUR; 0.358 ETH = 1002.40 EUR.
    const below = await withdraw(c, '0.357')
    expect(below.status).toBe(201)
    expect(travelRuleStep(below)).toMatchObject({
      verdict: 'not_applicable',
      detail: 'below the threshold of 1000 EUR (EU)',
    })
    const above = await withdraw(c, '0.358')
    expect(above.status).toBe(409)
    expect(above.body.code).toBe('TRAVEL_RULE_DESTINATION_UNDECLARED')

    const listed = await call(await officer(), 'GET', '/api/staff/travel-rule/thresholds')
    expect(listed.body.inForce).toContainEqual(
      expect.objectContaining({ jurisdiction: 'EU', amount: '1000', currency: 'EUR', source: 'staff' }),
    )
    expect(listed.body.versions).toHaveLength(1)
    // Other VASPs see the threshold in force in our identity.
    const identity = await call(null, 'GET', '/api/travel-rule/v1/identity')
    expect(identity.body.threshold).toEqual({ jurisdiction: 'EU', amount: '1000', currency: 'EUR' })

    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'travel_rule.threshold_changed')
      .execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ target: 'travel_rule_threshold:EU' })
    expect(audit[0]!.actor).toMatch(/^staff:/)
    expect(audit[0]!.details).toMatchObject({
      before: { amount: '0', currency: 'EUR', source: 'config', effectiveFrom: null },
      after: { amount: '1000', currency: 'EUR' },
      note: 'MiCA review',
    })
  })

  it('applies a threshold set for later only from then: each withdrawal uses the one in force when it is requested', async () => {
    const c = await customer('threshold-later')
    const from = new Date(t.clock.now().getTime() + 2 * HOUR)
    const set = await setThreshold({
      jurisdiction: 'EU',
      amount: '5000',
      currency: 'EUR',
      effectiveFrom: from.toISOString(),
    })
    expect(set.status).toBe(201)
    // 0.5 ETH = 1400 EUR: above the 1000 EUR in force now, below the 5000 EUR from later.
    const now = await withdraw(c, '0.5')
    expect(now.body.code).toBe('TRAVEL_RULE_DESTINATION_UNDECLARED')
    const listed = await call(await officer(), 'GET', '/api/staff/travel-rule/thresholds')
    expect(listed.body.inForce).toContainEqual(
      expect.objectContaining({ jurisdiction: 'EU', amount: '1000' }),
    )
    expect(listed.body.versions[0]).toMatchObject({ amount: '5000', effectiveFrom: from.toISOString() })

    t.clock.advance(3 * HOUR)
    const later = await withdraw(c, '0.5')
    expect(later.status).toBe(201)
    expect(travelRuleStep(later)).toMatchObject({
      verdict: 'not_applicable',
      detail: 'below the threshold of 5000 EUR (EU)',
    })
    const audit = await t.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'travel_rule.threshold_changed')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    expect(audit.details).toMatchObject({
      before: { amount: '1000', source: 'staff' },
      after: { amount: '5000', effectiveFrom: from.toISOString() },
    })
  })

  it('refuses a threshold that would take effect in the past, an amount that is not a decimal, a currency without reference prices and a bad jurisdiction code', async () => {
    const past = await setThreshold({
      jurisdiction: 'US',
      amount: '1000',
      currency: 'USD',
      effectiveFrom: new Date(t.clock.now().getTime() - 60_000).toISOString(),
    })
    expect(past.status).toBe(400)
    expect(past.body.code).toBe('TRAVEL_RULE_THRESHOLD_BACKDATED')
    for (const amount of ['1e3', '-5', '1000.123456789', '1,000']) {
      const r = await setThreshold({ jurisdiction: 'US', amount, currency: 'USD' })
      expect(r.body.code, amount).toBe('TRAVEL_RULE_THRESHOLD_INVALID')
    }
    const unpriced = await setThreshold({ jurisdiction: 'JP', amount: '100000', currency: 'JPY' })
    expect(unpriced.status).toBe(400)
    expect(unpriced.body.code).toBe('TRAVEL_RULE_THRESHOLD_UNPRICED')
    expect(unpriced.body.message).toMatch(/ETH.*JPY/)
    const code = await setThreshold({ jurisdiction: 'usa', amount: '1', currency: 'USD' })
    expect(code.body.code).toBe('INVALID_INPUT')
    const listed = await call(await officer(), 'GET', '/api/staff/travel-rule/thresholds')
    expect(listed.body.inForce).toContainEqual(
      expect.objectContaining({ jurisdiction: 'US', amount: '3000' }),
    )
    expect(listed.body.inForce.map((x: Body) => x.jurisdiction)).not.toContain('JP')
  })

  it('lets only compliance officers set them: an auditor reads them but gets 403 setting one, a risk analyst and a customer get 403', async () => {
    const body = { jurisdiction: 'CH', amount: '1', currency: 'CHF' }
    const auditor = await t.createStaff('auditor')
    expect((await call(auditor.session, 'GET', '/api/staff/travel-rule/thresholds')).status).toBe(200)
    const byAuditor = await call(auditor.session, 'POST', '/api/staff/travel-rule/thresholds', body)
    expect(byAuditor.status).toBe(403)
    const analyst = await t.createStaff('risk_analyst')
    expect((await call(analyst.session, 'POST', '/api/staff/travel-rule/thresholds', body)).status).toBe(403)
    expect((await call(analyst.session, 'GET', '/api/staff/travel-rule/thresholds')).status).toBe(403)
    const { session } = await t.createCustomer('threshold-customer')
    expect((await call(session, 'POST', '/api/staff/travel-rule/thresholds', body)).status).toBe(403)
    const listed = await call(await officer(), 'GET', '/api/staff/travel-rule/thresholds')
    expect(listed.body.inForce).toContainEqual(
      expect.objectContaining({ jurisdiction: 'CH', amount: '1000' }),
    )
  })
})
