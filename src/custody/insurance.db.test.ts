/**
 * Insurance-fund payouts through `app.inject()` on the real database: proposed by one staff member,
 * paid from `insurance_fund` only by the m-th distinct approval of the payout's payload hash (never
 * the proposer's), exactly once, before expiry, and only from what the fund holds; the staff view
 * shows the fund's balance per asset and the payouts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { createLedger } from './ledger.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
type Json = Record<string, any>

async function call(t: TestApp, session: TestSession, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await t.app.inject({
    method,
    url,
    headers: session.headers,
    ...(payload ? { payload } : {}),
  })
  return { status: response.statusCode, body: response.json() as Json }
}

describe('insurance-fund payouts', () => {
  let t: TestApp
  let proposer: TestSession
  let approverA: TestSession
  let approverB: TestSession
  let approverC: TestSession
  let emailB: string
  beforeAll(async () => {
    t = await createTestApp()
    proposer = (await t.createStaff('custody_approver')).session
    approverA = (await t.createStaff('custody_approver')).session
    const officer = await t.createStaff('compliance_officer')
    approverB = officer.session
    emailB = officer.email
    approverC = (await t.createStaff('security_admin')).session
    // Fund the insurance fund as withdrawal fees do: 1 ETH and 100 USDT from the hot wallet.
    const ledger = createLedger({ db: t.db })
    for (const [asset, amount] of [
      ['ETH', 10n ** 18n],
      ['USDT', 100_000_000n],
    ] as const) {
      await ledger.move(t.db, {
        key: `test-fund:${asset}`,
        kind: 'fee',
        ref: 'test',
        amount,
        from: { owner: null, asset, kind: 'hot_wallet' },
        to: { owner: null, asset, kind: 'insurance_fund' },
      })
    }
  })
  afterAll(async () => {
    await t?.close()
  })

  const balancesOf = async (owner: string | null) =>
    (await createLedger({ db: t.db }).balances(t.db, owner)).map((b) => `${b.kind} ${b.asset} ${b.balance}`)

  it('pays a customer only after two distinct approvers other than the proposer approve its payload hash, once', async () => {
    const { user: customer } = await t.createCustomer('victim')
    const proposed = await call(t, proposer, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'ETH',
      amount: '0.25',
      destination: { userId: customer.id },
      reason: 'Refund after incident 2026-12-01',
    })
    expect(proposed.status).toBe(201)
    const payout = proposed.body.payout
    expect(payout).toMatchObject({ status: 'proposed', amount: '0.25', requiredApprovals: 2, approvals: [] })
    const approve = (session: TestSession, payloadHash = payout.payloadHash) =>
      call(t, session, 'POST', `/api/staff/custody/insurance/payouts/${payout.id}/approve`, { payloadHash })

    const own = await approve(proposer)
    expect([own.status, own.body.code]).toEqual([403, 'APPROVER_IS_PROPOSER'])
    const otherPayload = await approve(approverA, 'ab'.repeat(32))
    expect([otherPayload.status, otherPayload.body.code]).toEqual([409, 'PAYLOAD_MISMATCH'])

    const first = await approve(approverA)
    expect(first.body.payout).toMatchObject({ status: 'proposed', transactionId: null })
    const again = await approve(approverA)
    expect(again.body.payout.status).toBe('proposed')
    expect(again.body.payout.approvals).toHaveLength(1)
    expect(await balancesOf(customer.id)).toEqual([])

    const second = await approve(approverB)
    expect(second.status).toBe(200)
    expect(second.body.payout.status).toBe('executed')
    expect(await balancesOf(customer.id)).toEqual([`available ETH ${25n * 10n ** 16n}`])

    const third = await approve(approverC)
    expect([third.status, third.body.code]).toEqual([409, 'INSURANCE_PAYOUT_CLOSED'])
    expect(await balancesOf(customer.id)).toEqual([`available ETH ${25n * 10n ** 16n}`])
    expect((await createLedger({ db: t.db }).verify()).ok).toBe(true)

    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `insurance_payout:${payout.id}`)
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.action)).toEqual([
      'custody.insurance_payout_proposed',
      'custody.insurance_payout_approved',
      'custody.insurance_payout_approved',
      'custody.insurance_payout_approved',
      'custody.insurance_payout_executed',
    ])
  })

  it('shows staff the fund balance per asset and the payouts', async () => {
    const view = await call(t, approverB, 'GET', '/api/staff/custody/insurance')
    expect(view.status).toBe(200)
    expect(view.body.balances).toEqual([
      { asset: 'ETH', balance: '0.75' },
      { asset: 'USDT', balance: '100' },
    ])
    expect(view.body.payouts[0]).toMatchObject({ asset: 'ETH', amount: '0.25', status: 'executed' })
    expect(view.body.payouts[0].approvals).toHaveLength(2)
    const support = (await t.createStaff('support')).session
    expect((await call(t, support, 'GET', '/api/staff/custody/insurance')).status).toBe(403)
  })

  it('pays an external reference through external clearing', async () => {
    const proposed = await call(t, approverC, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'USDT',
      amount: '40',
      destination: { externalRef: 'claim-77 bank transfer' },
      reason: 'Settlement of claim 77',
    })
    const { id, payloadHash } = proposed.body.payout
    for (const session of [proposer, approverB]) {
      await call(t, session, 'POST', `/api/staff/custody/insurance/payouts/${id}/approve`, { payloadHash })
    }
    expect(await balancesOf(null)).toEqual(
      expect.arrayContaining(['external_clearing USDT 40000000', 'insurance_fund USDT 60000000']),
    )
  })

  it('refuses the paying approval when the fund holds less than the payout, and moves nothing', async () => {
    const proposed = await call(t, proposer, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'USDT',
      amount: '61',
      destination: { externalRef: 'too-much' },
      reason: 'More than the fund holds',
    })
    const { id, payloadHash } = proposed.body.payout
    await call(t, approverA, 'POST', `/api/staff/custody/insurance/payouts/${id}/approve`, { payloadHash })
    const paying = await call(t, approverB, 'POST', `/api/staff/custody/insurance/payouts/${id}/approve`, {
      payloadHash,
    })
    expect([paying.status, paying.body.code]).toEqual([409, 'CUSTODY_INSUFFICIENT_BALANCE'])
    expect(await balancesOf(null)).toContain('insurance_fund USDT 60000000')
    const view = await call(t, approverA, 'GET', '/api/staff/custody/insurance')
    const shown = view.body.payouts.find((p: Json) => p.id === id)
    expect(shown).toMatchObject({ status: 'proposed' })
    expect(shown.approvals).toHaveLength(1)
  })

  it('refuses a payout to an account that is not a customer, and an amount the asset cannot hold', async () => {
    const staffId = (await t.createStaff('auditor')).user.id
    const toStaff = await call(t, proposer, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'ETH',
      amount: '0.1',
      destination: { userId: staffId },
      reason: 'x',
    })
    expect([toStaff.status, toStaff.body.code]).toEqual([404, 'INSURANCE_DESTINATION_UNKNOWN'])
    const tooPrecise = await call(t, proposer, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'USDT',
      amount: '0.0000001',
      destination: { externalRef: 'x' },
      reason: 'x',
    })
    expect(tooPrecise.status).toBe(400)
  })
  it('refuses approvals after the payout expired (24 h)', async () => {
    const proposed = await call(t, proposer, 'POST', '/api/staff/custody/insurance/payouts', {
      asset: 'ETH',
      amount: '0.1',
      destination: { externalRef: 'late' },
      reason: 'Approved too late',
    })
    const { id, payloadHash } = proposed.body.payout
    await call(t, approverA, 'POST', `/api/staff/custody/insurance/payouts/${id}/approve`, { payloadHash })
    t.clock.advance(24 * 3600_000 + 1)
    // Sessions expire with the day too: the late approver signs in again.
    approverB = await t.signIn(emailB)
    const late = await call(t, approverB, 'POST', `/api/staff/custody/insurance/payouts/${id}/approve`, {
      payloadHash,
    })
    expect([late.status, late.body.code]).toEqual([409, 'INSURANCE_PAYOUT_EXPIRED'])
    const view = await call(t, approverB, 'GET', '/api/staff/custody/insurance')
    expect(view.body.payouts.find((p: Json) => p.id === id).status).toBe('expired')
    expect(view.body.balances).toContainEqual({ asset: 'ETH', balance: '0.75' })
  })
})
