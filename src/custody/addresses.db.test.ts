/**
 * Deposit address allocation on the real database: customers asking at the same time get distinct
 * consecutive indexes (one address per customer and chain, whatever the race), and a P2TR setup
 * derives bc1p… addresses.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { HDKey } from '@scure/bip32'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { createUser } from '../platform/identity/users.ts'
import { createDepositAddresses } from './addresses.ts'
import { btcDeriver, DEMO_BTC_XPUB, DEMO_EVM_XPUB, evmDeriver } from './derivation.ts'

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

const customer = async () =>
  (
    await createUser(db, {
      email: `addr-${crypto.randomUUID()}@test.bulwark`,
      displayName: 'A',
      kind: 'customer',
      password: null,
    })
  ).id

describe('deposit address allocation', () => {
  it('gives customers asking at once distinct consecutive indexes, and one address each however often they ask', async () => {
    const addresses = createDepositAddresses({ db, clock, evmXpub: DEMO_EVM_XPUB })
    const people = await Promise.all(Array.from({ length: 10 }, () => customer()))
    const asked = await Promise.all([...people, ...people].map((p) => addresses.forUser(p, 'ETH')))
    expect(asked.map((a) => a.index).sort((x, y) => x - y)).toEqual(
      [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i)].sort(
        (x, y) => x - y,
      ),
    )
    const evm = evmDeriver(DEMO_EVM_XPUB)
    for (const a of asked) expect(a.address).toBe(evm.address(a.index).toLowerCase())
    const rows = await db
      .selectFrom('custody_deposit_addresses')
      .select('user_id')
      .where('chain', '=', 'evm')
      .execute()
    expect(rows).toHaveLength(10)
  })

  it('derives P2TR addresses when the operator chooses them', async () => {
    const xpub = HDKey.fromMasterSeed(
      pbkdf2(
        sha512,
        'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
        'mnemonic',
        { c: 2048, dkLen: 64 },
      ),
    ).derive("m/86'/0'/0'").publicExtendedKey
    const addresses = createDepositAddresses({ db, clock, btcXpub: xpub, btcAddressType: 'p2tr' })
    const first = await addresses.forUser(await customer(), 'BTC')
    expect(first.address).toBe(btcDeriver(xpub, 'p2tr').address(first.index))
    expect(first.address.startsWith('bc1p')).toBe(true)
    expect(btcDeriver(DEMO_BTC_XPUB).address(0).startsWith('bc1q')).toBe(true)
  })
})
