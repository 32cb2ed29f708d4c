import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { createManualClock } from '../platform/clock.ts'
import { AppError } from '../platform/errors.ts'
import { createUser } from '../platform/identity/users.ts'
import { createOutflowGate, type OutflowRisk } from './outflow-gate.ts'
import { startWithdrawalLock } from './withdrawal-locks.ts'

let database: TestDatabase
const clock = createManualClock(new Date('2026-05-01T12:00:00Z'))
let n = 0

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  await database?.close()
})

async function customer() {
  const user = await createUser(database.db, {
    email: `gate-${++n}@test.bulwark`,
    displayName: `Gate ${n}`,
    kind: 'customer',
    password: null,
  })
  return user.id
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

const riskSaying = (decision: 'allow' | 'review' | 'block'): OutflowRisk & { seen: unknown[] } => {
  const seen: unknown[] = []
  return {
    seen,
    assess(event) {
      seen.push(event)
      return { decision, reasons: decision === 'allow' ? [] : [{ code: 'rule.test', text: 'test rule' }] }
    },
  }
}

const release = (userId: string, counterparty: string) => ({
  userId,
  kind: 'p2p_release' as const,
  asset: 'USDT',
  amount: 5_000_000n,
  ref: 'order-1',
  counterparty,
})

describe('the outflow gate', () => {
  it('lets value leave an active, unlocked account and scores it as the seller in the risk engine', async () => {
    const [seller, buyer] = [await customer(), await customer()]
    const risk = riskSaying('allow')
    const verdict = await createOutflowGate({ db: database.db, clock, risk })(release(seller, buyer))
    expect(verdict.decision).toBe('allow')
    expect(verdict.steps.map((s) => [s.step, s.verdict])).toEqual([
      ['account', 'pass'],
      ['lock', 'pass'],
      ['destination', 'not_applicable'],
      ['risk', 'pass'],
    ])
    expect(risk.seen).toEqual([
      expect.objectContaining({ type: 'p2p_order', side: 'sell', account: seller, counterparty: buyer }),
    ])
  })

  it("checks a passive seller's account but does not score a buyer's action as the seller's", async () => {
    const [seller, buyer] = [await customer(), await customer()]
    const risk = riskSaying('block')
    const gate = createOutflowGate({ db: database.db, clock, risk })
    const verdict = await gate({
      ...release(seller, buyer),
      kind: 'p2p_sell_order',
      initiator: 'counterparty',
    })
    expect(verdict.decision).toBe('allow')
    expect(risk.seen).toEqual([])
    await startWithdrawalLock(database.db, seller, 'email_changed', clock.now())
    const locked = await refusal(
      gate({ ...release(seller, buyer), kind: 'p2p_sell_order', initiator: 'counterparty' }),
    )
    expect(locked.code).toBe('WITHDRAWAL_LOCKED')
  })

  it('refuses a frozen account and a locked one, naming when the lock ends', async () => {
    const frozen = await customer()
    await database.db.updateTable('users').set({ status: 'frozen' }).where('id', '=', frozen).execute()
    const gate = createOutflowGate({ db: database.db, clock })
    expect((await refusal(gate(release(frozen, frozen)))).code).toBe('ACCOUNT_FROZEN')

    const locked = await customer()
    await startWithdrawalLock(database.db, locked, 'password_changed', clock.now())
    const error = await refusal(gate(release(locked, frozen)))
    expect(error).toMatchObject({ code: 'WITHDRAWAL_LOCKED', status: 423 })
    expect(error.details).toEqual({ until: '2026-05-02T12:00:00.000Z' })
  })

  it('applies the whitelist to an on-chain destination and scores it as a withdrawal request', async () => {
    const user = await customer()
    const risk = riskSaying('review')
    const gate = createOutflowGate({ db: database.db, clock, risk })
    const to = '0x52908400098527886E0F7030069857D2E4169EE7'
    const verdict = await gate({
      userId: user,
      kind: 'withdrawal',
      asset: 'ETH',
      amount: 10n ** 17n,
      ref: 'w1',
      destination: { network: 'ethereum', address: to },
    })
    expect(verdict).toMatchObject({ decision: 'review', reasons: [{ code: 'rule.test' }] })
    expect(risk.seen).toEqual([expect.objectContaining({ type: 'withdrawal_requested', to })])
    const bad = await refusal(
      gate({
        userId: user,
        kind: 'withdrawal',
        asset: 'ETH',
        amount: 1n,
        ref: 'w2',
        destination: { network: 'ethereum', address: '0x123' },
      }),
    )
    expect(bad.code).toBe('ADDRESS_INVALID')
  })

  it('refuses what the risk engine blocks, and a zero or negative amount', async () => {
    const [seller, buyer] = [await customer(), await customer()]
    const blocked = await refusal(
      createOutflowGate({ db: database.db, clock, risk: riskSaying('block') })(release(seller, buyer)),
    )
    expect(blocked).toMatchObject({ code: 'OUTFLOW_RISK_BLOCKED', details: { reasons: ['rule.test'] } })
    const gate = createOutflowGate({ db: database.db, clock })
    expect((await refusal(gate({ ...release(seller, buyer), amount: 0n }))).code).toBe('INVALID_AMOUNT')
    expect((await refusal(gate({ ...release(seller, buyer), amount: -1n }))).code).toBe('INVALID_AMOUNT')
  })
})
