/**
 * Regression, found by the server kill -9 proof (withdrawal-server-crash.test.ts): the risk engine's
 * withdrawal velocity rule (`withdrawal-velocity`: 10 withdrawal requests in an hour → review) forgot
 * every withdrawal on a restart. The outflow gate asks `engine.assess()` synchronously, but the
 * `withdrawal_requested` event was never stored in `risk_events`, so `warmUp()` — which app.ts runs
 * at start to rebuild the engine's state — had nothing to rebuild from. The event is now stored in
 * the transaction that inserts the withdrawal (src/risk/record.ts).
 */

import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { getAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createPolicyStore, DEFAULT_POLICY } from '../../src/custody/policy.ts'
import { signedClient, storeApiKey, type TestApiKey } from '../support/api-keys.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

const ETH = 10n ** 18n
let t: TestApp
type Customer = TestApiKey & { id: string; send: ReturnType<typeof signedClient> }

async function customer(name: string): Promise<Customer> {
  const { user } = await t.createCustomer(name)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: `velocity:${name}`,
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: 10n * ETH,
  })
  const key = {
    accessKey: `bwk_velocity_${name}_xxxxxxxx`,
    secret: `velocity-${name}-${'s'.repeat(24)}`,
    passphrase: 'velocity-passphrase',
  }
  await storeApiKey(t, user.id, key, { label: name })
  return { ...key, id: user.id, send: signedClient(t, key) }
}

async function withdraw(app: TestApp['app'], c: Customer, n: number): Promise<string> {
  const payload = {
    asset: 'ETH',
    amount: '0.01',
    network: 'ethereum',
    address: getAddress(`0x${bytesToHex(randomBytes(20))}`),
    idempotencyKey: `velocity-${c.accessKey}-${n}`,
  }
  const r = await c.send('POST', '/api/custody/withdrawals', payload, app)
  expect(r.statusCode, r.body).toBe(201)
  return r.json().withdrawal.status as string
}

beforeAll(async () => {
  t = await createTestApp()
  const a = await t.createStaff('custody_approver')
  const b = await t.createStaff('custody_approver')
  const policies = createPolicyStore({ db: t.db, clock: t.clock })
  const p = await policies.propose({ ...DEFAULT_POLICY, rules: [] }, a.user.id, 'auto-approve')
  await policies.approve(p.version, b.user.id)
})
afterAll(async () => {
  await t.close()
})

describe('the withdrawal velocity rule across a server restart', () => {
  it('holds the tenth withdrawal of the hour for review without a restart', async () => {
    const c = await customer('steady')
    for (let i = 1; i <= 9; i++) expect(await withdraw(t.app, c, i)).toBe('approved')
    expect(await withdraw(t.app, c, 10)).toBe('held_for_review')
  })

  it('still holds the tenth withdrawal of the hour for review after a restart', async () => {
    const c = await customer('restarted')
    for (let i = 1; i <= 9; i++) expect(await withdraw(t.app, c, i)).toBe('approved')
    // A restart: a new app on the same database, its risk engine warmed up from stored history.
    const again = await buildApp({ config: t.config, db: t.db, clock: t.clock, logger: false })
    try {
      expect(await withdraw(again, c, 10)).toBe('held_for_review')
    } finally {
      await again.close()
    }
  })
})
