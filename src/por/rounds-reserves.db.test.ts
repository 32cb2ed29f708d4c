/**
 * A round's reserves are verified by the server when the round is built: staff draw the round's
 * challenge, every reserve wallet signs it, and the build reads each wallet's balance at the snapshot
 * block from the configured node (here a real Hardhat EDR chain). A ratio that could not be verified
 * is not published unless an exemption is recorded, and then it is labelled as declared. The insurance
 * fund from the custody ledger is shown beside the reserves.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { address as btcAddress, networks } from 'bitcoinjs-lib'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { createLedger } from '../custody/index.ts'
import { bitcoinMessageHash } from './reserves/index.ts'
import { compileContracts, type DevChain, startDevChain } from './reserves/testing/devchain.ts'

// Deterministic test keys, funded only on this in-process chain.
const key = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const hot = privateKeyToAccount(key(0xd1))
const cold = privateKeyToAccount(key(0xd2))
const stranger = privateKeyToAccount(key(0xd3))

// A Bitcoin reserve address (P2PKH of a test key) and its history as an Esplora API serves it: 0.5 BTC
// arrives at height 100 and leaves at height 120, after the snapshot at 110.
const btcKey = sha256(utf8ToBytes('round reserves btc key'))
const btcAddr = btcAddress.toBase58Check(
  ripemd160(sha256(secp256k1.getPublicKey(btcKey, true))),
  networks.bitcoin.pubKeyHash,
)
const btcSign = (message: string) => {
  const sig = secp256k1.sign(bitcoinMessageHash(message), btcKey, { prehash: false, format: 'recovered' })
  return Buffer.from(concatBytes(Uint8Array.of(31 + (sig[0] ?? 0)), sig.subarray(1))).toString('base64')
}
const BTC_HISTORY = [
  {
    txid: 'spend',
    status: { confirmed: true, block_height: 120 },
    vin: [{ prevout: { scriptpubkey_address: btcAddr, value: 50_000_000 } }],
    vout: [{ scriptpubkey_address: 'bc1qelsewhere', value: 49_990_000 }],
  },
  {
    txid: 'deposit',
    status: { confirmed: true, block_height: 100 },
    vin: [{ prevout: { scriptpubkey_address: 'bc1qelsewhere', value: 60_000_000 } }],
    vout: [{ scriptpubkey_address: btcAddr, value: 50_000_000 }],
  },
]
let esplora: Server

const dataDir = mkdtempSync(join(tmpdir(), 'por-reserves-rounds-'))
let chain: DevChain
let client: PublicClient
let token: Address
/** A Safe-like contract wallet owned by hot and cold, 2-of-2, holding 1 ETH at the snapshot. */
let safe: Address
let snapshot: number
let t: TestApp
let builder: Awaited<ReturnType<TestApp['createStaff']>>
let reviewer: Awaited<ReturnType<TestApp['createStaff']>>
let publisher: Awaited<ReturnType<TestApp['createStaff']>>
let customer: Awaited<ReturnType<TestApp['createCustomer']>>

type Session = { headers: Record<string, string> }

beforeAll(async () => {
  chain = await startDevChain()
  client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
  const [deployer] = (await chain.request({ method: 'eth_accounts' })) as Address[]
  const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: deployer! })
  const { MiniToken, MiniSafe } = compileContracts()
  const deployed = await client.waitForTransactionReceipt({
    hash: await wallet.deployContract({ abi: MiniToken.abi, bytecode: MiniToken.bytecode }),
  })
  token = deployed.contractAddress!
  const safeDeployed = await client.waitForTransactionReceipt({
    hash: await wallet.deployContract({
      abi: MiniSafe.abi,
      bytecode: MiniSafe.bytecode,
      args: [[hot.address, cold.address], 2n],
    }),
  })
  safe = safeDeployed.contractAddress!
  await chain.request({ method: 'hardhat_setBalance', params: [safe, `0x${parseEther('1').toString(16)}`] })
  const mint = async (to: Address, amount: bigint) =>
    client.waitForTransactionReceipt({
      hash: await wallet.writeContract({
        address: token,
        abi: MiniToken.abi,
        functionName: 'mint',
        args: [to, amount],
      }),
    })
  await chain.request({
    method: 'hardhat_setBalance',
    params: [hot.address, `0x${parseEther('2').toString(16)}`],
  })
  await mint(cold.address, 150_000_000n) // 150 USDT
  snapshot = Number(await client.getBlockNumber({ cacheTime: 0 }))
  // After the snapshot the hot wallet is emptied: the build must read the snapshot block, not the latest.
  // (a block is mined first: EDR's setBalance rewrites the state of the newest block)
  await mint(stranger.address, 1n)
  await chain.request({ method: 'hardhat_setBalance', params: [hot.address, '0x0'] })

  esplora = createServer((req, res) => {
    const url = req.url ?? ''
    const send = (body: string) => res.end(body)
    if (url === '/api/blocks/tip/height') return send('150')
    const height = /^\/api\/block-height\/(\d+)$/.exec(url)
    if (height) return send(Number(height[1]).toString(16).padStart(64, '0'))
    const txs = /^\/api\/address\/([^/]+)\/txs\/chain$/.exec(url)
    if (txs) return send(JSON.stringify(txs[1] === btcAddr ? BTC_HISTORY : []))
    res.statusCode = 404
    send('not found')
  })
  await new Promise<void>((resolve) => esplora.listen(0, '127.0.0.1', resolve))
  t = await createTestApp({
    DATA_DIR: dataDir,
    POR_EVM_RPC_URL: chain.url,
    POR_ESPLORA_URL: `http://127.0.0.1:${(esplora.address() as AddressInfo).port}/api`,
    EXCHANGE_ID: 'bulwark-test',
  })
  builder = await t.createStaff('custody_approver')
  reviewer = await t.createStaff('auditor')
  publisher = await t.createStaff('compliance_officer')
  customer = await t.createCustomer('alice')
  // The insurance fund holds 0.25 ETH on the custody ledger (a share of withdrawal fees).
  await createLedger({ db: t.db }).move(t.db, {
    key: 'test:insurance-share',
    kind: 'insurance_share',
    ref: 'test',
    amount: parseEther('0.25'),
    from: { owner: null, asset: 'ETH', kind: 'hot_wallet' },
    to: { owner: null, asset: 'ETH', kind: 'insurance_fund' },
  })
}, 180_000)

afterAll(async () => {
  await t?.close()
  await chain?.close()
  await new Promise<void>((resolve) => (esplora ? esplora.close(() => resolve()) : resolve()))
  rmSync(dataDir, { recursive: true, force: true })
})

const call = (method: 'GET' | 'POST' | 'PUT', url: string, session?: Session, body?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: {
      ...(session?.headers ?? {}),
      ...(typeof body === 'string' ? { 'content-type': 'text/csv' } : {}),
    },
    ...(body === undefined ? {} : typeof body === 'string' ? { body } : { payload: body as object }),
  })

const HEADER = 'chain,address,asset,token,amount,scheme,signature,public_key,script'

/** Creates a round with its challenge, assets and liabilities; returns the text wallets sign. */
async function openRound(id: string): Promise<string> {
  expect((await call('POST', '/api/por/staff/rounds', builder.session, { id })).statusCode).toBe(200)
  const drawn = await call('POST', `/api/por/staff/rounds/${id}/challenge`, builder.session, {
    snapshots: { ethereum: snapshot },
  })
  expect(drawn.statusCode, drawn.body).toBe(200)
  await call(
    'PUT',
    `/api/por/staff/rounds/${id}/files/assets`,
    builder.session,
    'symbol,decimals,price_usd,haircut\nETH,18,3200,0.9\nUSDT,6,1,1\n',
  )
  const others = Array.from({ length: 10 }, (_, i) => `other-${i},0.05,${i}`)
  await call(
    'PUT',
    `/api/por/staff/rounds/${id}/files/liabilities`,
    builder.session,
    `user_id,ETH,USDT\n${customer.user.id},1.25,100\n${others.join('\n')}\n`,
  )
  return drawn.json().reserves.challenge.message as string
}

async function reserves(id: string, rows: string[]) {
  const put = await call(
    'PUT',
    `/api/por/staff/rounds/${id}/files/reserves`,
    builder.session,
    `${HEADER}\n${rows.join('\n')}\n`,
  )
  expect(put.statusCode, put.body).toBe(200)
}

const step = (id: string, name: 'build' | 'review' | 'publish', session: Session) =>
  call('POST', `/api/por/staff/rounds/${id}/${name}`, session)

describe('reserves verified when a round is built', () => {
  it('verifies every wallet signature and balance at the snapshot block and publishes the ratio as verified', async () => {
    const message = await openRound('ok-1')
    const hotSignature = await hot.signMessage({ message })
    const coldSignature = await cold.signMessage({ message })
    await reserves('ok-1', [
      `ethereum,${hot.address},ETH,,2,eip191,${hotSignature},,`,
      `ethereum,${cold.address},USDT,${token},150,eip191,${coldSignature},,`,
      `ethereum,${safe},ETH,,1,safe,${hotSignature};${coldSignature},,`,
    ])
    const built = await step('ok-1', 'build', builder.session)
    expect(built.statusCode, built.body).toBe(200)
    const { wallets } = built.json().reserves
    expect(built.json().reserves.status).toBe('verified')
    expect(wallets.map((w: { ok: boolean }) => w.ok)).toEqual([true, true, true])
    expect(wallets[0].detail).toBe(`EIP-191 signature by ${hot.address}; balance 2 at block ${snapshot}`)
    expect(wallets[1]).toMatchObject({ onChain: '150000000', block: snapshot })
    // The contract wallet's owners and threshold are read from the node at the snapshot block.
    expect(wallets[2].detail).toBe(
      `contract wallet 2-of-2, signed by ${hot.address}, ${cold.address}; balance 1 at block ${snapshot}`,
    )
    expect((await step('ok-1', 'review', reviewer.session)).statusCode).toBe(200)
    expect((await step('ok-1', 'publish', publisher.session)).statusCode).toBe(200)

    const round = (await call('GET', '/api/por/rounds/ok-1')).json()
    expect(round.reserves).toMatchObject({ status: 'verified', note: null })
    expect(round.reserves.snapshotBlocks.ethereum).toMatchObject({ height: snapshot })
    // ETH owed 1.25 + 10 × 0.05 = 1.75, held 2 + 1 → 171.42%. USDT owed 100 + 45 = 145, held 150.
    expect(round.assets).toEqual([
      expect.objectContaining({ symbol: 'ETH', liabilities: '1.75', reserves: '3', ratioPercent: '171.42' }),
      expect.objectContaining({
        symbol: 'USDT',
        liabilities: '145',
        reserves: '150',
        belowFullReserve: false,
      }),
    ])
  })

  it('verifies a Bitcoin wallet through the Esplora API at the snapshot height', async () => {
    const id = 'btc'
    expect((await call('POST', '/api/por/staff/rounds', builder.session, { id })).statusCode).toBe(200)
    const drawn = await call('POST', `/api/por/staff/rounds/${id}/challenge`, builder.session, {
      snapshots: { bitcoin: 110 },
    })
    const message = drawn.json().reserves.challenge.message as string
    await call(
      'PUT',
      `/api/por/staff/rounds/${id}/files/assets`,
      builder.session,
      'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n',
    )
    await call(
      'PUT',
      `/api/por/staff/rounds/${id}/files/liabilities`,
      builder.session,
      'user_id,BTC\nu1,0.4\n',
    )
    await reserves(id, [`bitcoin,${btcAddr},BTC,,0.5,btc-message,${btcSign(message)},,`])
    const built = (await step(id, 'build', builder.session)).json()
    expect(built.reserves.status).toBe('verified')
    expect(built.reserves.wallets[0]).toMatchObject({ ok: true, onChain: '50000000', block: 110 })
    expect(built.reserves.wallets[0].detail).toMatch(/; balance 0\.5 at block 110$/)
    expect(built.reserves.snapshotBlocks.bitcoin).toEqual({
      height: 110,
      hash: (110).toString(16).padStart(64, '0'),
    })
    expect(built.assets[0]).toMatchObject({ liabilities: '0.4', reserves: '0.5', ratioPercent: '125' })
  })

  it('shows the insurance fund from the custody ledger beside the reserves', async () => {
    const round = (await call('GET', '/api/por/rounds/ok-1')).json()
    expect(round.insuranceFund.assets).toEqual([
      { symbol: 'ETH', units: parseEther('0.25').toString(), amount: '0.25' },
    ])
    expect(round.assets.map((a: { insuranceFund: string | null }) => a.insuranceFund)).toEqual(['0.25', null])
  })

  it('refuses to publish a round whose wallet signed another text, naming the wallet', async () => {
    const message = await openRound('bad-sig')
    await reserves('bad-sig', [
      `ethereum,${hot.address},ETH,,2,eip191,${await hot.signMessage({ message: `${message}\nround: other` })},,`,
      `ethereum,${cold.address},USDT,${token},150,eip191,${await cold.signMessage({ message })},,`,
    ])
    const built = (await step('bad-sig', 'build', builder.session)).json()
    expect(built.reserves.status).toBe('unverified')
    expect(built.reserves.wallets[0].ok).toBe(false)
    expect(built.reserves.wallets[0].detail).toMatch(
      /^signature not verified: signature was made by 0x[0-9a-fA-F]{40}, not by /,
    )
    expect(built.reserves.wallets[1].ok).toBe(true)
    expect((await step('bad-sig', 'review', reviewer.session)).statusCode).toBe(200)
    const refused = await step('bad-sig', 'publish', publisher.session)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('RESERVES_UNVERIFIED')
    expect(refused.json().message).toContain(`line 2 (ethereum ${hot.address} ETH)`)
    expect((await call('GET', '/api/por/rounds/bad-sig')).statusCode).toBe(404)
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', 'por_round:bad-sig')
      .orderBy('seq')
      .execute()
    expect(logged.map((l) => l.action)).toContain('por.round.publish_refused')
  })

  it('refuses to publish a round whose wallet held less at the snapshot than declared', async () => {
    const message = await openRound('short')
    await reserves('short', [`ethereum,${hot.address},ETH,,5,eip191,${await hot.signMessage({ message })},,`])
    const built = (await step('short', 'build', builder.session)).json()
    expect(built.reserves.wallets[0]).toMatchObject({
      ok: false,
      detail: `balance short: declared 5 but the chain shows 2 at block ${snapshot}`,
    })
    await step('short', 'review', reviewer.session)
    expect((await step('short', 'publish', publisher.session)).json().code).toBe('RESERVES_UNVERIFIED')
  })

  it('publishes unverified reserves under a recorded exemption (staff only, audit-logged), labelled declared', async () => {
    const exempt = (session: Session, reason: string) =>
      call('POST', '/api/por/staff/rounds/short/reserves-exemption', session, { reason })
    expect((await exempt(builder.session, 'wallet moved')).statusCode).toBe(403)
    expect((await exempt(customer.session, 'wallet moved')).statusCode).toBe(403)
    const recorded = await exempt(publisher.session, 'cold wallet migration in progress')
    expect(recorded.statusCode, recorded.body).toBe(200)
    expect((await step('short', 'publish', publisher.session)).statusCode).toBe(200)

    const round = (await call('GET', '/api/por/rounds/short')).json()
    expect(round.reserves).toMatchObject({ status: 'declared', note: 'cold wallet migration in progress' })
    expect(round.reserves.problem).toContain('balance short')
    // The declared 5 ETH is what is shown, labelled declared; the wallet's check stays visible.
    expect(round.assets[0]).toMatchObject({ symbol: 'ETH', reserves: '5', insuranceFund: '0.25' })
    expect(round.reserves.wallets[0].ok).toBe(false)
    const entry = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', 'por.round.reserves_exempted')
      .where('target', '=', 'por_round:short')
      .executeTakeFirstOrThrow()
    expect(entry.actor).toBe(publisher.user.id)
    expect(entry.details).toMatchObject({ reason: 'cold wallet migration in progress' })
  })

  it('refuses an exemption for verified reserves and forgets one when the round is rebuilt', async () => {
    const exempt = (reason: string) =>
      call('POST', '/api/por/staff/rounds/rebuilt/reserves-exemption', publisher.session, { reason })
    const message = await openRound('rebuilt')
    const signature = await hot.signMessage({ message })
    await reserves('rebuilt', [`ethereum,${hot.address},ETH,,2,eip191,${signature},,`])
    expect((await step('rebuilt', 'build', builder.session)).json().reserves.status).toBe('verified')
    const needless = await exempt('just in case')
    expect(needless.statusCode).toBe(409)
    expect(needless.json().code).toBe('POR_RESERVES_VERIFIED')
    await reserves('rebuilt', [`ethereum,${hot.address},ETH,,3,eip191,${signature},,`])
    expect((await step('rebuilt', 'build', builder.session)).json().reserves.status).toBe('unverified')
    expect((await exempt('first build')).json().reserves.status).toBe('declared')
    const again = (await step('rebuilt', 'build', builder.session)).json()
    expect(again.reserves).toMatchObject({ status: 'unverified', note: null })
  })

  it('sends a built round back to imported when its challenge is drawn again, and the old signatures stop verifying', async () => {
    const message = await openRound('redrawn')
    await reserves('redrawn', [
      `ethereum,${hot.address},ETH,,2,eip191,${await hot.signMessage({ message })},,`,
    ])
    expect((await step('redrawn', 'build', builder.session)).json().reserves.status).toBe('verified')
    const redrawn = await call('POST', '/api/por/staff/rounds/redrawn/challenge', builder.session, {
      snapshots: { ethereum: snapshot },
    })
    expect(redrawn.json()).toMatchObject({ status: 'imported', root: null })
    expect(redrawn.json().reserves.challenge.message).not.toBe(message)
    const rebuilt = (await step('redrawn', 'build', builder.session)).json()
    expect(rebuilt.reserves.status).toBe('unverified')
    expect(rebuilt.reserves.wallets[0].detail).toMatch(/^signature not verified: /)
    const drawn = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', 'por.round.challenge_drawn')
      .where('target', '=', 'por_round:redrawn')
      .execute()
    expect(drawn.map((d) => d.actor)).toEqual([builder.user.id, builder.user.id])
    expect(drawn[1]!.details).toMatchObject({ snapshots: { ethereum: snapshot } })
  })

  it('counts no wallet on a chain the server has no node for', async () => {
    const id = 'no-node'
    expect((await call('POST', '/api/por/staff/rounds', builder.session, { id })).statusCode).toBe(200)
    const drawn = await call('POST', `/api/por/staff/rounds/${id}/challenge`, builder.session, {
      snapshots: { ethereum: snapshot, polygon: 100 },
    })
    const message = drawn.json().reserves.challenge.message as string
    expect(message).toContain('exchange: bulwark-test')
    await call(
      'PUT',
      `/api/por/staff/rounds/${id}/files/assets`,
      builder.session,
      'symbol,decimals,price_usd,haircut\nETH,18,3200,0.9\n',
    )
    await call('PUT', `/api/por/staff/rounds/${id}/files/liabilities`, builder.session, 'user_id,ETH\nu1,1\n')
    await reserves(id, [`polygon,${hot.address},ETH,,2,eip191,${await hot.signMessage({ message })},,`])
    const built = (await step(id, 'build', builder.session)).json()
    expect(built.reserves.status).toBe('unverified')
    expect(built.reserves.wallets[0].detail).toBe(
      'balance not verified: no reader for chain "polygon": not counted in auditor mode',
    )
    expect(built.assets[0]).toMatchObject({ reserves: '0', ratioPercent: '0' })
  })

  it('publishes a round without a reserves file as liabilities only, with nothing to exempt', async () => {
    const id = 'liabilities-only'
    expect((await call('POST', '/api/por/staff/rounds', builder.session, { id })).statusCode).toBe(200)
    await call(
      'PUT',
      `/api/por/staff/rounds/${id}/files/assets`,
      builder.session,
      'symbol,decimals,price_usd,haircut\nETH,18,3200,0.9\n',
    )
    await call('PUT', `/api/por/staff/rounds/${id}/files/liabilities`, builder.session, 'user_id,ETH\nu1,1\n')
    expect((await step(id, 'build', builder.session)).json().reserves.status).toBe('none')
    const nothing = await call('POST', `/api/por/staff/rounds/${id}/reserves-exemption`, publisher.session, {
      reason: 'none',
    })
    expect(nothing.json().code).toBe('POR_RESERVES_NONE')
    await step(id, 'review', reviewer.session)
    expect((await step(id, 'publish', publisher.session)).statusCode).toBe(200)
    const round = (await call('GET', `/api/por/rounds/${id}`)).json()
    expect(round.assets[0]).toMatchObject({ liabilities: '1', reserves: null, ratioPercent: null })
  })

  it('shows a round published before reserves were verified as declared, and will not publish one built then', async () => {
    const legacy = (id: string, status: 'built' | 'published') =>
      t.db
        .insertInto('por_rounds')
        .values({
          id,
          status,
          created_by: builder.user.id,
          imported_at: new Date(),
          built_at: new Date(),
          built_by: builder.user.id,
          reviewed_at: null,
          reviewed_by: null,
          published_at: status === 'published' ? new Date() : null,
          published_by: status === 'published' ? publisher.user.id : null,
          root: 'ab'.repeat(32),
          depth: 4,
          summary: JSON.stringify({
            assets: [{ symbol: 'BTC', decimals: 8 }],
            totals: [{ symbol: 'BTC', equity: '100000000', debt: '0' }],
          }),
          reserves: JSON.stringify({ BTC: '112000000' }),
          build_report: JSON.stringify({ users: 1 }),
        })
        .execute()
    await legacy('legacy-published', 'published')
    const round = (await call('GET', '/api/por/rounds/legacy-published')).json()
    expect(round.reserves).toMatchObject({
      status: 'declared',
      note: 'declared before the server verified reserve wallets',
    })
    expect(round.assets[0]).toMatchObject({ reserves: '1.12', ratioPercent: '112' })
    await legacy('legacy-built', 'built')
    await step('legacy-built', 'review', reviewer.session)
    const refused = await step('legacy-built', 'publish', publisher.session)
    expect(refused.json()).toMatchObject({ code: 'RESERVES_UNVERIFIED' })
    expect(refused.json().message).toContain('built before the server verified reserves: rebuild')
  })

  it('refuses to build a signed reserves file before the round has a challenge', async () => {
    expect(
      (await call('POST', '/api/por/staff/rounds', builder.session, { id: 'no-challenge' })).statusCode,
    ).toBe(200)
    await call(
      'PUT',
      '/api/por/staff/rounds/no-challenge/files/assets',
      builder.session,
      'symbol,decimals,price_usd,haircut\nETH,18,3200,0.9\n',
    )
    await call(
      'PUT',
      '/api/por/staff/rounds/no-challenge/files/liabilities',
      builder.session,
      'user_id,ETH\nu1,1\n',
    )
    await reserves('no-challenge', [`ethereum,${hot.address},ETH,,2,eip191,0x00,,`])
    const built = await step('no-challenge', 'build', builder.session)
    expect(built.statusCode).toBe(409)
    expect(built.json().code).toBe('POR_CHALLENGE_MISSING')
  })
})
