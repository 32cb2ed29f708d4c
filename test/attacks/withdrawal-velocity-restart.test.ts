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
import { passphraseDigest } from '../../src/accounts/api-keys.ts'
import { signRequest } from '../../src/accounts/api-signature.ts'
import { createSealer } from '../../src/accounts/sealing.ts'
import { buildApp } from '../../src/app.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createPolicyStore, DEFAULT_POLICY } from '../../src/custody/policy.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

const ETH = 10n ** 18n
const PASSPHRASE = 'velocity-passphrase'
let t: TestApp
type Customer = { id: string; accessKey: string; secret: string }
let seq = 0

async function customer(name: string): Promise<Customer> {
  const { user } = await t.createCustomer(name)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: `velocity:${name}`,
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: 10n * ETH,
  })
  const c = {
    id: user.id,
    accessKey: `bwk_velocity_${name}_xxxxxxxx`,
    secret: `velocity-${name}-${'s'.repeat(24)}`,
  }
  const sealer = createSealer(t.config.ACCOUNTS_SEALING_KEY, t.config.EXCHANGE_ID)
  await t.db
    .insertInto('api_keys')
    .values({
      user_id: user.id,
      access_key: c.accessKey,
      secret_sealed: sealer.seal(c.secret),
      passphrase_digest: passphraseDigest(c.accessKey, PASSPHRASE),
      label: name,
      permissions: 'read,withdraw',
      allowed_ips: '127.0.0.1',
      created_at: t.clock.now(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute()
  return c
}

async function withdraw(app: TestApp['app'], c: Customer, n: number): Promise<string> {
  const url = '/api/custody/withdrawals'
  const body = JSON.stringify({
    asset: 'ETH',
    amount: '0.01',
    network: 'ethereum',
    address: getAddress(`0x${bytesToHex(randomBytes(20))}`),
    idempotencyKey: `velocity-${c.accessKey}-${n}`,
  })
  const timestamp = new Date(t.clock.now().getTime() + ++seq).toISOString()
  const r = await app.inject({
    method: 'POST',
    url,
    headers: {
      'bw-access-key': c.accessKey,
      'bw-access-passphrase': PASSPHRASE,
      'bw-access-timestamp': timestamp,
      'bw-access-sign': signRequest(c.secret, { timestamp, method: 'POST', path: url, body }),
      'content-type': 'application/json',
    },
    payload: body,
  })
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
