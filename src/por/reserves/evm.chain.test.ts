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
import { challengeMessage, createChallenge } from './challenge.ts'
import { parseReservesCsv } from './csv.ts'
import { evmBalanceAt, verifyErc1271, verifySafeOwners } from './evm.ts'
import { reserveReport } from './report.ts'
import { compileContracts, type DevChain, startDevChain } from './testing/devchain.ts'
import { verifyReserves } from './verify.ts'

// Deterministic test keys (never funded anywhere but this in-process chain).
const key = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const hot = privateKeyToAccount(key(0xa1))
const owners = [
  privateKeyToAccount(key(0xb1)),
  privateKeyToAccount(key(0xb2)),
  privateKeyToAccount(key(0xb3)),
]
const newOwner = privateKeyToAccount(key(0xb9))
const cold = privateKeyToAccount(key(0xc1))

let chain: DevChain
let client: PublicClient
let token: Address
let safe: Address
let wallet1271: Address
let snapshot: bigint

beforeAll(async () => {
  chain = await startDevChain()
  client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
  const [deployer] = (await chain.request({ method: 'eth_accounts' })) as Address[]
  const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: deployer! })
  const compiled = compileContracts()
  const deploy = async (name: keyof typeof compiled, args: unknown[]) => {
    const hash = await wallet.deployContract({
      abi: compiled[name].abi,
      bytecode: compiled[name].bytecode,
      args,
    })
    const receipt = await client.waitForTransactionReceipt({ hash })
    return receipt.contractAddress!
  }
  token = await deploy('MiniToken', [])
  safe = await deploy('MiniSafe', [owners.map((o) => o.address), 2n])
  wallet1271 = await deploy('Wallet1271', [cold.address])
  const send = async (
    address: Address,
    name: keyof typeof compiled,
    functionName: string,
    args: unknown[],
  ) => {
    const hash = await wallet.writeContract({ address, abi: compiled[name].abi, functionName, args })
    await client.waitForTransactionReceipt({ hash })
  }
  await chain.request({
    method: 'hardhat_setBalance',
    params: [hot.address, `0x${parseEther('12.5').toString(16)}`],
  })
  await chain.request({ method: 'hardhat_setBalance', params: [safe, `0x${parseEther('100').toString(16)}`] })
  await send(token, 'MiniToken', 'mint', [hot.address, 5_000_000n])
  await send(token, 'MiniToken', 'mint', [wallet1271, 7_000_000n])
  snapshot = await client.getBlockNumber({ cacheTime: 0 })
  // After the snapshot: funds leave and the Safe rotates its owners. Reads at the snapshot block
  // must not see any of it.
  await send(token, 'MiniToken', 'burnFrom', [hot.address, 4_000_000n])
  await chain.request({ method: 'hardhat_setBalance', params: [hot.address, '0x0'] })
  await send(safe, 'MiniSafe', 'setOwners', [[newOwner.address]])
}, 120_000)

afterAll(async () => {
  await chain?.close()
})

describe('EVM reserves against a local dev chain', () => {
  it('reads native and ERC-20 balances at the snapshot block, not the latest one', async () => {
    expect(await evmBalanceAt(client, { address: hot.address, blockNumber: snapshot })).toBe(
      parseEther('12.5'),
    )
    expect(await evmBalanceAt(client, { address: hot.address, blockNumber: snapshot, token })).toBe(
      5_000_000n,
    )
    expect(await client.getBalance({ address: hot.address })).toBe(0n)
    const latest = await client.getBlockNumber({ cacheTime: 0 })
    expect(await evmBalanceAt(client, { address: hot.address, blockNumber: latest, token })).toBe(1_000_000n)
  })

  it('accepts a Safe signed by the threshold of its owners at the snapshot', async () => {
    const message = 'round message'
    const signatures = [await owners[0]!.signMessage({ message }), await owners[2]!.signMessage({ message })]
    const result = await verifySafeOwners(client, {
      address: safe,
      message,
      signatures,
      blockNumber: snapshot,
    })
    expect(result).toMatchObject({ ok: true })
  })

  it('rejects a Safe signed below threshold, or by an owner added after the snapshot', async () => {
    const message = 'round message'
    const one = [await owners[0]!.signMessage({ message })]
    expect(
      await verifySafeOwners(client, { address: safe, message, signatures: one, blockNumber: snapshot }),
    ).toEqual({
      ok: false,
      reason: '1 of the required 2 owners signed (2-of-3)',
    })
    const late = [await owners[0]!.signMessage({ message }), await newOwner.signMessage({ message })]
    const result = await verifySafeOwners(client, {
      address: safe,
      message,
      signatures: late,
      blockNumber: snapshot,
    })
    expect(result).toEqual({
      ok: false,
      reason: `signature 2 was made by ${newOwner.address}, who is not an owner at block ${snapshot}`,
    })
  })

  it('accepts an ERC-1271 wallet signature by its owner and rejects one by another key', async () => {
    const message = 'round message'
    const good = await cold.signMessage({ message })
    expect(
      await verifyErc1271(client, { address: wallet1271, message, signature: good, blockNumber: snapshot }),
    ).toMatchObject({
      ok: true,
    })
    const bad = await hot.signMessage({ message })
    const result = await verifyErc1271(client, {
      address: wallet1271,
      message,
      signature: bad,
      blockNumber: snapshot,
    })
    expect(result).toMatchObject({ ok: false })
    expect(!result.ok && result.reason).toContain('not the ERC-1271 magic value')
  })

  it('verifies a whole reserves file for a round and reports each asset against liabilities', async () => {
    const challenge = createChallenge({
      exchange: 'bulwark-test',
      round: '2026-11',
      snapshots: { ethereum: Number(snapshot) },
    })
    const message = challengeMessage(challenge)
    const eoaSig = await hot.signMessage({ message })
    const safeSigs = `${await owners[1]!.signMessage({ message })};${await owners[2]!.signMessage({ message })}`
    const coldSig = await cold.signMessage({ message })
    const csv = [
      'chain,address,asset,token,amount,scheme,signature,public_key,script',
      `ethereum,${hot.address},ETH,,12.5,eip191,${eoaSig},,`,
      `ethereum,${hot.address},USDT,${token},5,eip191,${eoaSig},,`,
      `ethereum,${safe},ETH,,100,safe,${safeSigs},,`,
      `ethereum,${wallet1271},USDT,${token},7,erc1271,${coldSig},,`,
    ].join('\n')
    const entries = parseReservesCsv(csv, (s) => ({ ETH: 18, USDT: 6 })[s])
    const verification = await verifyReserves({
      entries,
      challenge,
      evm: { ethereum: client },
      balances: 'chain',
    })
    expect(verification.rows.map((r) => r.ownership.ok)).toEqual([true, true, true, true])
    expect(verification.totals).toEqual({ ETH: parseEther('112.5'), USDT: 12_000_000n })
    const block = await client.getBlock({ blockNumber: snapshot })
    expect(verification.snapshotBlocks).toEqual({ ethereum: { height: Number(snapshot), hash: block.hash } })
    const report = reserveReport({
      reserves: verification.totals,
      liabilities: { ETH: parseEther('100'), USDT: 12_000_001n },
      decimals: { ETH: 18, USDT: 6 },
    })
    expect(report.map((r) => [r.asset, r.ratio, r.below100])).toEqual([
      ['ETH', '1.1250', false],
      ['USDT', '0.9999', true],
    ])
  })
})
