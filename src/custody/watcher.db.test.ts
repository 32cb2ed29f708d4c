/**
 * The EVM deposit watcher against a real local chain (Hardhat's EDR node over HTTP JSON-RPC) and
 * the real database: ETH and ERC-20 deposits credited exactly once after 2 confirmations across
 * watcher restarts, a reorg (evm_snapshot / evm_revert) removing a pending deposit, a deep reorg
 * raised without debiting, and a flagged sender's deposit held.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { HDKey } from '@scure/bip32'
import solc from 'solc'
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
} from 'viem'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts'
import { createManualClock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { createEventBus, type PlatformEvent } from '../platform/events.ts'
import { createUser } from '../platform/identity/users.ts'
import { type DevChain, startDevChain } from '../por/reserves/testing/devchain.ts'
import { createDepositAddresses, type DepositAddresses } from './addresses.ts'
import { createDeposits, type DepositRow, type Deposits } from './deposits.ts'
import { createLedger, type Ledger } from './ledger.ts'
import { createEvmWatcher, evmClient } from './watcher.ts'

const TOKEN_SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
contract TestToken {
  event Transfer(address indexed from, address indexed to, uint256 value);
  mapping(address => uint256) public balanceOf;
  function mint(address to, uint256 amount) external { balanceOf[to] += amount; emit Transfer(address(0), to, amount); }
  function transfer(address to, uint256 amount) external returns (bool) {
    balanceOf[msg.sender] -= amount;
    balanceOf[to] += amount;
    emit Transfer(msg.sender, to, amount);
    return true;
  }
}
`

function compileToken(): { abi: Abi; bytecode: Hex } {
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: TOKEN_SOURCE } },
    settings: { evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
  }
  const c = output.contracts['TestToken.sol']!.TestToken!
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }
}

// Deposit addresses from a key that is not one of the dev chain's funded accounts.
const XPUB = HDKey.fromMasterSeed(
  pbkdf2(sha512, 'legal winner thank year wave sausage worth useful legal winner thank yellow', 'mnemonic', {
    c: 2048,
    dkLen: 64,
  }),
).derive("m/44'/60'/0'").publicExtendedKey

let chain: DevChain
let client: PublicClient
let accounts: Address[]
let database: TestDatabase
let db: Db
let ledger: Ledger
let deposits: Deposits
let addresses: DepositAddresses
let tokenAddress: Address
const clock = createManualClock(new Date('2026-12-01T10:00:00Z'))
const published: PlatformEvent[] = []
const heldReported: DepositRow[] = []
let flaggedSender: string
let n = 0

beforeAll(async () => {
  chain = await startDevChain()
  client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
  accounts = (await chain.request({ method: 'eth_accounts' })) as Address[]
  flaggedSender = accounts[5]!.toLowerCase()
  database = await createTestDatabase()
  db = database.db
  ledger = createLedger({ db, clock })
  const events = createEventBus()
  events.subscribe((e) => {
    published.push(e)
  })
  deposits = createDeposits({
    db,
    clock,
    ledger,
    confirmations: { ETH: 2, USDT: 2 },
    screen: (address) =>
      address === flaggedSender
        ? { flagged: true, reasons: ['SANCTIONED: on the test sanctions list'] }
        : { flagged: false, reasons: [] },
    events,
    onHeld: async (d) => {
      heldReported.push(d)
    },
  })
  addresses = createDepositAddresses({ db, clock, evmXpub: XPUB })
  const token = compileToken()
  const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: accounts[0]! })
  const hash = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode })
  tokenAddress = (await client.waitForTransactionReceipt({ hash })).contractAddress!
  const mint = await wallet.writeContract({
    address: tokenAddress,
    abi: token.abi,
    functionName: 'mint',
    args: [accounts[1]!, 1_000_000_000n],
  })
  await client.waitForTransactionReceipt({ hash: mint })
}, 120_000)
afterAll(async () => {
  await chain?.close()
  await database?.close()
})

const watcher = () =>
  createEvmWatcher({ db, clock, client: evmClient(chain.url), deposits, tokens: { USDT: tokenAddress } })

async function customerWithAddress() {
  const user = await createUser(db, {
    email: `watch-${++n}-${crypto.randomUUID().slice(0, 6)}@test.bulwark`,
    displayName: `Depositor ${n}`,
    kind: 'customer',
    password: null,
  })
  const { address } = await addresses.forUser(user.id, 'ETH')
  return { id: user.id, address: address as Address }
}

async function sendEth(from: Address, to: Address, eth: string) {
  const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: from })
  const hash = await wallet.sendTransaction({ to, value: parseEther(eth) })
  await client.waitForTransactionReceipt({ hash })
  return hash
}
const mine = async (blocks = 1) => {
  for (let i = 0; i < blocks; i++) await chain.request({ method: 'evm_mine', params: [] })
}
const balance = async (owner: string, asset: string, kind = 'available') =>
  (await ledger.balances(db, owner)).find((b) => b.asset === asset && b.kind === kind)?.balance ?? 0n

describe('EVM deposit watcher', () => {
  it('records an ETH deposit as pending, then credits it exactly once after 2 confirmations across restarts', async () => {
    const alice = await customerWithAddress()
    await watcher().poll() // starts at the head
    const txid = await sendEth(accounts[1]!, alice.address, '1.5')

    const first = await watcher().poll()
    expect(first).toMatchObject({ seen: 1, credited: 0 })
    const [pending] = await deposits.list(alice.id)
    expect(pending).toMatchObject({ status: 'pending', confirmations: 1, txid, asset: 'ETH' })
    expect(await balance(alice.id, 'ETH')).toBe(0n)

    await mine()
    const restarted = await watcher().poll() // a new watcher: state comes from the database
    expect(restarted.credited).toBe(1)
    expect(await balance(alice.id, 'ETH')).toBe(1_500_000_000_000_000_000n)

    await mine(2)
    expect((await watcher().poll()).credited).toBe(0)
    expect((await watcher().poll()).credited).toBe(0)
    expect(await balance(alice.id, 'ETH')).toBe(1_500_000_000_000_000_000n)
    const [credited] = await deposits.list(alice.id)
    expect(credited).toMatchObject({ status: 'credited', sender: accounts[1]!.toLowerCase() })
    expect(published.some((e) => e.type === 'deposit' && e.account === alice.id && e.txHash === txid)).toBe(
      true,
    )
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('credits an ERC-20 Transfer to a deposit address as the configured asset', async () => {
    const bob = await customerWithAddress()
    await watcher().poll()
    const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: accounts[1]! })
    const hash = await wallet.writeContract({
      address: tokenAddress,
      abi: compileToken().abi,
      functionName: 'transfer',
      args: [bob.address, 250_000_000n],
    })
    await client.waitForTransactionReceipt({ hash })
    expect((await watcher().poll()).seen).toBe(1)
    await mine()
    expect((await watcher().poll()).credited).toBe(1)
    expect(await balance(bob.id, 'USDT')).toBe(250_000_000n)
    expect(await balance(bob.id, 'ETH')).toBe(0n)
  })

  it('removes a pending deposit whose block a reorg replaced, and credits nothing', async () => {
    const carol = await customerWithAddress()
    await watcher().poll()
    const snapshot = (await chain.request({ method: 'evm_snapshot', params: [] })) as string
    await sendEth(accounts[2]!, carol.address, '2')
    expect((await watcher().poll()).seen).toBe(1)
    expect((await deposits.list(carol.id))[0]?.status).toBe('pending')

    expect(await chain.request({ method: 'evm_revert', params: [snapshot] })).toBe(true)
    await mine(3)
    const after = await watcher().poll()
    expect(after.removed).toBe(1)
    expect((await deposits.list(carol.id)).map((d) => d.status)).toEqual(['removed'])
    expect(await balance(carol.id, 'ETH')).toBe(0n)
    expect((await watcher().poll()).credited).toBe(0)
  })

  it('raises a deep reorg of an already credited deposit and does not debit it silently', async () => {
    const dave = await customerWithAddress()
    await watcher().poll()
    const snapshot = (await chain.request({ method: 'evm_snapshot', params: [] })) as string
    await sendEth(accounts[3]!, dave.address, '1')
    await watcher().poll()
    await mine()
    expect((await watcher().poll()).credited).toBe(1)

    await chain.request({ method: 'evm_revert', params: [snapshot] })
    await mine(4)
    expect((await watcher().poll()).deepReorgs).toBe(1)
    expect((await deposits.list(dave.id))[0]?.status).toBe('reorged')
    expect(await balance(dave.id, 'ETH')).toBe(1_000_000_000_000_000_000n)
    expect(published.some((e) => e.type === 'custody_deep_reorg' && e.account === dave.id)).toBe(true)
    const audit = await db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `user:${dave.id}`)
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['custody.deposit_credited', 'custody.deposit_deep_reorg'])
    expect((await watcher().poll()).deepReorgs).toBe(0)
  })

  it('puts a deposit from a flagged sender on hold instead of the available balance', async () => {
    const erin = await customerWithAddress()
    await watcher().poll()
    await sendEth(accounts[5]!, erin.address, '3')
    await watcher().poll()
    await mine()
    expect((await watcher().poll()).credited).toBe(1)
    expect(await balance(erin.id, 'ETH')).toBe(0n)
    expect(await balance(erin.id, 'ETH', 'held_deposit')).toBe(3_000_000_000_000_000_000n)
    const [held] = await deposits.list(erin.id)
    expect(held).toMatchObject({
      status: 'held',
      screening: { flagged: true, reasons: ['SANCTIONED: on the test sanctions list'] },
    })
    expect(heldReported.map((d) => d.id)).toEqual([held!.id])
    expect(published).toContainEqual(
      expect.objectContaining({ type: 'custody_deposit_held', account: erin.id, deposit: held!.id }),
    )
  })
})
