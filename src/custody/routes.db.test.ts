/**
 * The custody HTTP API through `app.inject()` on the real database: deposit addresses created on
 * first request, balances / movements / deposits after imported Bitcoin deposits (one from a
 * sanctioned sender, screened against GUARD_ADDRESS_LISTS and held), the staff wallet view and
 * who may see it, and the EVM watcher running as a server job on a real dev chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Address, createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp, type TestSession } from '../../test/support/app.ts'
import { type DevChain, startDevChain } from '../por/reserves/testing/devchain.ts'
import { importBtcDeposits, parseBtcDepositsCsv } from './btc-import.ts'
import { btcDeriver, DEMO_BTC_XPUB, DEMO_EVM_XPUB, evmDeriver } from './derivation.ts'
import { createCustody, lazyScreen } from './index.ts'
import { screenFromLists } from './screening.ts'

const SANCTIONED_BTC = 'bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6'
const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-custody-'))
const sanctionsFile = path.join(dir, 'sanctioned_addresses_XBT.txt')
writeFileSync(sanctionsFile, `${SANCTIONED_BTC}\n`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = {
  CUSTODY_EVM_XPUB: DEMO_EVM_XPUB,
  CUSTODY_BTC_XPUB: DEMO_BTC_XPUB,
  CUSTODY_CONFIRMATIONS: 'ETH=2,USDT=2,USDC=2,BTC=3',
  GUARD_ADDRESS_LISTS: sanctionsFile,
}

async function call(t: TestApp, session: TestSession | null, url: string) {
  const response = await t.app.inject({ method: 'GET', url, headers: session?.headers ?? {} })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: response.statusCode, body: response.json() as Record<string, any> }
}

describe('custody API', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(env)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('gives a customer one EVM address for ETH and tokens, and a Bitcoin address, created on first request', async () => {
    expect((await call(t, null, '/api/custody/deposit-address?asset=ETH')).status).toBe(401)
    const { session } = await t.createCustomer('alice')
    const eth = await call(t, session, '/api/custody/deposit-address?asset=ETH')
    expect(eth.status).toBe(200)
    const index = eth.body.depositAddress.address === evmDeriver(DEMO_EVM_XPUB).address(0) ? 0 : -1
    expect(index).toBe(0)
    expect((await call(t, session, '/api/custody/deposit-address?asset=ETH')).body).toEqual(eth.body)
    const usdt = await call(t, session, '/api/custody/deposit-address?asset=USDT')
    expect(usdt.body.depositAddress).toMatchObject({
      asset: 'USDT',
      address: eth.body.depositAddress.address,
    })
    const btc = await call(t, session, '/api/custody/deposit-address?asset=BTC')
    expect(btc.body.depositAddress).toMatchObject({
      chain: 'btc',
      address: btcDeriver(DEMO_BTC_XPUB).address(0),
    })

    const { session: bob } = await t.createCustomer('bob')
    const bobs = await call(t, bob, '/api/custody/deposit-address?asset=ETH')
    expect(bobs.body.depositAddress.address).toBe(evmDeriver(DEMO_EVM_XPUB).address(1))
    expect((await call(t, bob, '/api/custody/deposit-address?asset=DOGE')).status).toBe(400)
  })

  it('shows balances, movements and deposits after Bitcoin deposits; a sanctioned sender’s deposit is under review', async () => {
    const { user, session } = await t.createCustomer('carol')
    const address = (await call(t, session, '/api/custody/deposit-address?asset=BTC')).body.depositAddress
      .address
    const custody = createCustody({
      db: t.db,
      clock: t.clock,
      config: t.config,
      screen: lazyScreen(() => screenFromLists(t.config.GUARD_ADDRESS_LISTS)),
    })
    const txid = (c: string) => c.repeat(64)
    const csv = [
      'txid,vout,address,amount_sats,confirmations,sender',
      `${txid('a')},0,${address},50000000,6,bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g`,
      `${txid('b')},1,${address},2500,6,${SANCTIONED_BTC}`,
      `${txid('c')},0,${address},100,1,`,
    ].join('\n')
    const { lines, issues } = parseBtcDepositsCsv(csv)
    expect(issues).toEqual([])
    expect(await importBtcDeposits({ db: t.db, deposits: custody.deposits }, lines)).toMatchObject({
      credited: 1,
      held: 1,
      pending: 1,
    })

    const balances = await call(t, session, '/api/custody/balances')
    expect(balances.body.balances).toEqual([
      { asset: 'BTC', available: '0.5', locked: '0', pendingWithdrawal: '0', underReview: '0.000025' },
    ])
    const movements = await call(t, session, '/api/custody/movements')
    expect(movements.body.movements.map((m: { kind: string; amount: string }) => [m.kind, m.amount])).toEqual(
      [
        ['deposit_held', '0.000025'],
        ['deposit', '0.5'],
      ],
    )
    const older = await call(t, session, `/api/custody/movements?before=${movements.body.movements[0].id}`)
    expect(older.body.movements).toHaveLength(1)
    const deposits = await call(t, session, '/api/custody/deposits')
    expect(
      deposits.body.deposits.map((d: { status: string; amount: string }) => [d.status, d.amount]).sort(),
    ).toEqual([
      ['credited', '0.5'],
      ['pending', '0.000001'],
      ['under_review', '0.000025'],
    ])
    expect(JSON.stringify(deposits.body)).not.toContain('SANCTIONED')
    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${user.id}`)
      .where('action', 'like', 'custody.%')
      .execute()
    expect(audit.map((a) => a.action).sort()).toEqual(['custody.deposit_credited', 'custody.deposit_held'])
  })

  it('lets custody, security, audit and compliance staff see the exchange’s wallet accounts, and no one else', async () => {
    const auditor = await t.createStaff('auditor')
    const wallets = await call(t, auditor.session, '/api/staff/custody/wallets')
    expect(wallets.status).toBe(200)
    expect(wallets.body.accounts).toContainEqual({ asset: 'BTC', kind: 'hot_wallet', balance: '-0.500025' })
    const support = await t.createStaff('support')
    expect((await call(t, support.session, '/api/staff/custody/wallets')).status).toBe(403)
    const { session } = await t.createCustomer('dave')
    expect((await call(t, session, '/api/staff/custody/wallets')).status).toBe(403)
  })
})

describe('custody API without xpubs', () => {
  it('answers 503 CUSTODY_NOT_CONFIGURED for a deposit address', async () => {
    const t = await createTestApp({})
    try {
      const { session } = await t.createCustomer('erin')
      const response = await call(t, session, '/api/custody/deposit-address?asset=BTC')
      expect(response.status).toBe(503)
      expect(response.body.code).toBe('CUSTODY_NOT_CONFIGURED')
    } finally {
      await t.close()
    }
  })
})

describe('the deposit watcher as a server job', () => {
  let chain: DevChain
  beforeAll(async () => {
    chain = await startDevChain()
  }, 120_000)
  afterAll(async () => {
    await chain?.close()
  })

  it('credits an ETH deposit while the server runs, and stops with app.close()', async () => {
    const t = await createTestApp({ ...env, CUSTODY_EVM_RPC_URL: chain.url, CUSTODY_EVM_POLL_SECONDS: '1' })
    try {
      const { session } = await t.createCustomer('frank')
      const to = (await call(t, session, '/api/custody/deposit-address?asset=ETH')).body.depositAddress
        .address as Address
      // Let the watcher take its starting point before the deposit is mined.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const [, from] = (await chain.request({ method: 'eth_accounts' })) as Address[]
      const client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
      const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: from! })
      await client.waitForTransactionReceipt({
        hash: await wallet.sendTransaction({ to, value: parseEther('0.25') }),
      })
      await chain.request({ method: 'evm_mine', params: [] })
      let status = ''
      for (let i = 0; i < 40 && status !== 'credited'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        status = (await call(t, session, '/api/custody/deposits')).body.deposits[0]?.status ?? ''
      }
      expect(status).toBe('credited')
      expect((await call(t, session, '/api/custody/balances')).body.balances[0]).toMatchObject({
        asset: 'ETH',
        available: '0.25',
      })
    } finally {
      await t.close()
    }
  })
})
