/**
 * `bulwark custody …` against a real PGlite data directory: the ledger check passes on a consistent
 * book and fails (exit 1, naming the account) after a balance is changed directly in the database;
 * Bitcoin deposits import once from a CSV file and a bad file imports nothing; `watch --once`
 * reads a real dev chain.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { type Address, createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliDataDir } from '../../test/support/cli.ts'
import { systemClock } from '../platform/clock.ts'
import { createUser } from '../platform/identity/users.ts'
import { type DevChain, startDevChain } from '../por/reserves/testing/devchain.ts'
import { createDepositAddresses } from './addresses.ts'
import { DEMO_BTC_XPUB, DEMO_EVM_XPUB } from './derivation.ts'
import { createLedger } from './ledger.ts'

const { dataDir, env, run, withDb } = cliDataDir('custody-cli', { CUSTODY_CONFIRMATIONS: 'BTC=3,ETH=1' })

async function customerWithAddress(asset: 'BTC' | 'ETH') {
  return withDb(async (db) => {
    const user = await createUser(db, {
      email: `cli-${crypto.randomUUID()}@test.bulwark`,
      displayName: 'CLI',
      kind: 'customer',
      password: null,
    })
    const addresses = createDepositAddresses({
      db,
      clock: systemClock,
      evmXpub: DEMO_EVM_XPUB,
      btcXpub: DEMO_BTC_XPUB,
    })
    return { id: user.id, address: (await addresses.forUser(user.id, asset)).address }
  })
}

describe('bulwark custody', () => {
  it('imports Bitcoin deposits from a CSV file once, and a file with a bad line imports nothing', async () => {
    const { id, address } = await customerWithAddress('BTC')
    const file = path.join(dataDir, 'deposits.csv')
    writeFileSync(
      file,
      `txid,vout,address,amount_sats,confirmations\n${'d'.repeat(64)},0,${address},125000,3\n${'e'.repeat(64)},2,bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g,1,9\n`,
    )
    const first = await run(['custody', 'deposits', 'import', '--file', file, '--json'])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.out)).toEqual({
      credited: 1,
      held: 0,
      pending: 0,
      alreadyCredited: 0,
      unknownAddress: [3],
    })
    const again = await run(['custody', 'deposits', 'import', '--file', file])
    expect(again.out).toContain('credited 0, held for review 0, pending 0, already credited 1')

    const bad = path.join(dataDir, 'bad.csv')
    writeFileSync(
      bad,
      `txid,vout,address,amount_sats,confirmations\n${'f'.repeat(64)},0,${address},10,3\nnot-a-txid,0,${address},10,3\n`,
    )
    const refused = await run(['custody', 'deposits', 'import', '--file', bad])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('bad.csv:3: txid must be 64 lower-case hex digits')
    expect((await run(['custody', 'deposits', 'frobnicate'])).code).toBe(2)

    await withDb(async (db) => {
      const balances = await createLedger({ db }).balances(db, id)
      expect(balances).toEqual([{ asset: 'BTC', kind: 'available', balance: 125_000n }])
    })
  })

  it('ledger verify passes on a consistent book and fails naming the account whose balance was changed directly', async () => {
    expect(await run(['custody', 'ledger', 'verify'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('ledger consistent'),
    })
    const { id } = await customerWithAddress('BTC')
    await withDb(async (db) => {
      await createLedger({ db }).creditDeposit(db, {
        key: `t-${id}`,
        ref: 'test',
        owner: id,
        asset: 'BTC',
        amount: 5n,
      })
      await sql`update custody_accounts set balance = 6 where owner_id = ${id}`.execute(db)
    })
    const broken = await run(['custody', 'ledger', 'verify'])
    expect(broken.code).toBe(1)
    expect(broken.out).toContain(`(available BTC of user ${id}): balance 6, entries sum to 5`)
    const json = JSON.parse((await run(['custody', 'ledger', 'verify', '--json'])).out)
    expect(json).toMatchObject({ ok: false, problems: 1 })
    await withDb(async (db) => {
      await sql`update custody_accounts set balance = 5 where owner_id = ${id}`.execute(db)
    })
    expect((await run(['custody', 'ledger', 'verify'])).code).toBe(0)
  })

  it('ledger verify names a transaction whose entries do not sum to zero', async () => {
    const { id } = await customerWithAddress('BTC')
    await withDb(async (db) => {
      const posted = await createLedger({ db }).creditDeposit(db, {
        key: `u-${id}`,
        ref: 'test',
        owner: id,
        asset: 'BTC',
        amount: 7n,
      })
      // Change an entry and the balance together, so only the transaction's sum is wrong.
      await sql`update custody_entries set amount = 8 where transaction_id = ${posted.id} and amount > 0`.execute(
        db,
      )
      await sql`update custody_accounts set balance = 8 where owner_id = ${id}`.execute(db)
      const broken = await run(['custody', 'ledger', 'verify'])
      expect(broken.code).toBe(1)
      expect(broken.out).toContain(`transaction ${posted.id} (key u-${id}): BTC entries sum to 1, not 0`)
      await sql`update custody_entries set amount = 7 where transaction_id = ${posted.id} and amount > 0`.execute(
        db,
      )
      await sql`update custody_accounts set balance = 7 where owner_id = ${id}`.execute(db)
    })
  })

  describe('watch', () => {
    let chain: DevChain
    beforeAll(async () => {
      chain = await startDevChain()
    }, 120_000)
    afterAll(async () => {
      await chain?.close()
    })

    it('needs CUSTODY_EVM_RPC_URL, and with --once reads the chain and credits a confirmed deposit', async () => {
      expect((await run(['custody', 'watch', '--once'])).code).toBe(2)
      env.CUSTODY_EVM_RPC_URL = chain.url
      try {
        const { id, address } = await customerWithAddress('ETH')
        expect((await run(['custody', 'watch', '--once'])).code).toBe(0)
        const [, from] = (await chain.request({ method: 'eth_accounts' })) as Address[]
        const client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
        const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: from! })
        await client.waitForTransactionReceipt({
          hash: await wallet.sendTransaction({ to: address as Address, value: parseEther('0.5') }),
        })
        const pass = await run(['custody', 'watch', '--once', '--json'])
        expect(JSON.parse(pass.out)).toMatchObject({ seen: 1, credited: 1 })
        await withDb(async (db) => {
          expect(await createLedger({ db }).balances(db, id)).toEqual([
            { asset: 'ETH', kind: 'available', balance: 500_000_000_000_000_000n },
          ])
        })
      } finally {
        delete env.CUSTODY_EVM_RPC_URL
      }
    })
  })
})
