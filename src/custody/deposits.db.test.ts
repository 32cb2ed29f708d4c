/**
 * Deposit crediting rules on the real database: unscreened funds are never credited (a screening
 * failure leaves the deposit pending for the next attempt), confirmations gate the credit, and a
 * held deposit's risk case commits with the hold or not at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { createUser } from '../platform/identity/users.ts'
import { heldDepositCase, openSystemCase } from '../risk/index.ts'
import { createDeposits, parseConfirmations, type ScreenResult } from './deposits.ts'
import { createLedger } from './ledger.ts'

let database: TestDatabase
let db: Db
const clock = createManualClock(new Date('2026-12-01T10:00:00Z'))

beforeAll(async () => {
  database = await createTestDatabase()
  db = database.db
})
afterAll(async () => {
  await database?.close()
})

describe('deposits', () => {
  it('keeps a deposit pending while screening fails, and credits it once screening answers', async () => {
    const user = await createUser(db, {
      email: 'dep@test.bulwark',
      displayName: 'D',
      kind: 'customer',
      password: null,
    })
    let answer: ScreenResult | Error = new Error('sanctions list unreachable')
    const ledger = createLedger({ db, clock })
    const deposits = createDeposits({
      db,
      clock,
      ledger,
      confirmations: parseConfirmations('BTC=3'),
      screen: () => {
        if (answer instanceof Error) throw answer
        return answer
      },
    })
    const row = await deposits.record({
      chain: 'btc',
      txid: 'a'.repeat(64),
      outputIndex: 0,
      asset: 'BTC',
      address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu',
      userId: user.id,
      amount: 1000n,
      sender: 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g',
      blockNumber: null,
      blockHash: null,
      confirmations: 3,
    })
    expect(await deposits.settle(row.id, 2)).toBeNull() // not enough confirmations
    await expect(deposits.settle(row.id, 3)).rejects.toThrow('sanctions list unreachable')
    expect((await deposits.list(user.id))[0]?.status).toBe('pending')
    expect(await ledger.balances(db, user.id)).toEqual([])

    answer = { flagged: false, reasons: [] }
    expect((await deposits.settle(row.id, 3))?.status).toBe('credited')
    expect(await deposits.settle(row.id, 4)).toBeNull()
    expect(await ledger.balances(db, user.id)).toEqual([{ asset: 'BTC', kind: 'available', balance: 1000n }])
  })

  it('puts a flagged deposit on hold only together with its risk case: a failed case leaves it pending', async () => {
    const user = await createUser(db, {
      email: 'dep-held@test.bulwark',
      displayName: 'H',
      kind: 'customer',
      password: null,
    })
    const ledger = createLedger({ db, clock })
    let crash = true
    const deposits = createDeposits({
      db,
      clock,
      ledger,
      confirmations: parseConfirmations('BTC=3'),
      screen: () => ({ flagged: true, reasons: ['SANCTIONED: on the test list'] }),
      onHeld: async (deposit, tx) => {
        await openSystemCase(tx, heldDepositCase(deposit, clock.now()))
        // The process dies after the case row was written but before the hold commits.
        if (crash) throw new Error('killed mid-hold')
      },
    })
    const row = await deposits.record({
      chain: 'btc',
      txid: 'b'.repeat(64),
      outputIndex: 0,
      asset: 'BTC',
      address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu',
      userId: user.id,
      amount: 500n,
      sender: 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g',
      blockNumber: null,
      blockHash: null,
      confirmations: 3,
    })
    const cases = () => db.selectFrom('risk_cases').select('id').where('account', '=', user.id).execute()

    await expect(deposits.settle(row.id, 3)).rejects.toThrow('killed mid-hold')
    expect((await deposits.list(user.id))[0]?.status).toBe('pending')
    expect(await ledger.balances(db, user.id)).toEqual([])
    expect(await cases()).toHaveLength(0)

    crash = false
    expect((await deposits.settle(row.id, 3))?.status).toBe('held')
    expect(await ledger.balances(db, user.id)).toEqual([
      { asset: 'BTC', kind: 'held_deposit', balance: 500n },
    ])
    expect(await cases()).toHaveLength(1)
  })

  it('reads required confirmations per asset and refuses an unknown asset', () => {
    expect(parseConfirmations('ETH=12,BTC=3')).toEqual({ ETH: 12, BTC: 3 })
    expect(() => parseConfirmations('DOGE=1')).toThrow(/DOGE=1/)
  })
})
