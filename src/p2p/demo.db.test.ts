/**
 * The demo seed funds P2P's demo customers on the custody ledger: the wallet shows the same money
 * P2P trades, the demo's own orders hold and return escrow there, and the ledger verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { createLedger } from '../custody/index.ts'
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../demo/seed.ts'
import { findUserByEmail } from '../platform/identity/users.ts'

let demo: TestApp
beforeAll(async () => {
  demo = await createTestApp({ SEED_DEMO: 'true' })
  expect(await seedDemoIfEmpty({ db: demo.db, clock: demo.clock, config: demo.config })).toBe(true)
})
afterAll(async () => {
  await demo.close()
})

async function custodyBalances(email: string) {
  const user = await findUserByEmail(demo.db, email)
  if (!user) throw new Error(`no demo user ${email}`)
  return createLedger({ db: demo.db }).balances(demo.db, user.id)
}

describe('the P2P demo on the custody ledger', () => {
  it('gives the demo traders their balances on the custody ledger, with the open demo order in escrow', async () => {
    expect(await custodyBalances('bruno@demo.bulwark')).toEqual([
      { asset: 'USDT', kind: 'available', balance: 5_000_000_000n },
    ])
    expect(await custodyBalances('hanna@demo.bulwark')).toEqual([
      { asset: 'BTC', kind: 'available', balance: 50_000_000n },
      // Chloé's demo order on Hanna's ad was cancelled: its escrow came back.
      { asset: 'USDT', kind: 'available', balance: 10_000_000_000n },
      { asset: 'USDT', kind: 'locked', balance: 0n },
    ])
    // Alice's open demo order holds 40 USDT of Lukas's in escrow.
    expect(await custodyBalances('lukas@demo.bulwark')).toEqual([
      { asset: 'USDT', kind: 'available', balance: 2_960_000_000n },
      { asset: 'USDT', kind: 'locked', balance: 40_000_000n },
    ])
    expect((await createLedger({ db: demo.db }).verify()).problems).toEqual([])
  })

  it('shows a demo customer the same balances on the wallet and on the P2P page', async () => {
    const session = await demo.signIn('alice@demo.bulwark', DEMO_PASSWORD)
    const wallet = await demo.app.inject({
      method: 'GET',
      url: '/api/custody/balances',
      headers: session.headers,
    })
    expect(wallet.json().balances).toEqual([
      { asset: 'USDT', available: '500', locked: '0', pendingWithdrawal: '0', underReview: '0' },
    ])
    const p2p = await demo.app.inject({ method: 'GET', url: '/api/p2p/me', headers: session.headers })
    expect(p2p.json().balances).toEqual([{ asset: 'USDT', available: '500', escrow: '0' }])
  })
})
