/**
 * Issue #14 §3 steps 7–9 end to end on a real EVM chain (Hardhat's EDR node): a customer requests,
 * a custody approver approves, the server's hot signer signs and broadcasts, confirmations are
 * counted, and the withdrawal completes — the ETH arrives at the destination on chain and the
 * ledger moves pending → hot wallet + fees + insurance fund. Larger amounts go the offline way:
 * export unsigned EIP-1559 transactions, sign them with the cold key away from the server, and
 * import them — a signature by another key or a transaction paying anything else is refused.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  parseTransaction,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger } from '../../src/custody/ledger.ts'
import { exportUnsigned, importSigned, signFile } from '../../src/custody/offline.ts'
import { createWithdrawals } from '../../src/custody/withdrawals.ts'
import { compileContracts, type DevChain, startDevChain } from '../../src/por/reserves/testing/devchain.ts'
import { signedClient, storeApiKey } from '../support/api-keys.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'
import { approveWithdrawal } from '../support/custody.ts'

const ETH = 10n ** 18n
const hotKey = generatePrivateKey()
const coldKey = generatePrivateKey()
const hot = privateKeyToAccount(hotKey).address
const cold = privateKeyToAccount(coldKey).address

let chain: DevChain
let token = '0x' as Address
const compiled = compileContracts()
let t: TestApp
let approver: TestSession
const customer = {
  id: '',
  accessKey: 'bwk_chain_customer_xxxxxxxx',
  secret: `chain-secret-${'s'.repeat(24)}`,
  passphrase: 'chain-passphrase',
}

const client = () => createPublicClient({ transport: http(chain.url) })
const mine = async (n: number) => {
  for (let i = 0; i < n; i++) await chain.request({ method: 'evm_mine', params: [] })
}
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Requests signed with the customer's API key. */
let signed: ReturnType<typeof signedClient>

async function requestAndApprove(amount: string, to: string, key: string, asset = 'ETH') {
  const r = await signed('POST', '/api/custody/withdrawals', {
    asset,
    amount,
    network: 'ethereum',
    address: to,
    idempotencyKey: key,
  })
  expect(r.statusCode, r.body).toBe(201)
  const id = r.json().withdrawal.id as string
  // A new account sending to a new address: the default policy asks one approval.
  expect(r.json().withdrawal.status).toBe('awaiting_approval')
  return { id, approved: await approveWithdrawal(t, approver, id) }
}

const status = async (id: string) => {
  const r = await signed('GET', `/api/custody/withdrawals/${id}`)
  if (r.statusCode !== 200) throw new Error(r.body)
  return r.json().withdrawal as {
    status: string
    txHash: string | null
    confirmations: number
    statusText: string
  }
}
beforeAll(async () => {
  chain = await startDevChain()
  for (const a of [hot, cold])
    await chain.request({ method: 'hardhat_setBalance', params: [a, `0x${(100n * ETH).toString(16)}`] })
  // An ERC-20 ("USDT", 6 decimals): the hot wallet holds 100 of it on chain.
  const [deployer] = (await chain.request({ method: 'eth_accounts' })) as Address[]
  const wallet = createWalletClient({ transport: http(chain.url), account: deployer!, chain: hardhat })
  const deployed = await wallet.deployContract({
    abi: compiled.MiniToken.abi,
    bytecode: compiled.MiniToken.bytecode,
  })
  token = (await client().waitForTransactionReceipt({ hash: deployed })).contractAddress!
  const minted = await wallet.writeContract({
    address: token,
    abi: compiled.MiniToken.abi,
    functionName: 'mint',
    args: [hot, 100_000_000n],
  })
  await client().waitForTransactionReceipt({ hash: minted })
  t = await createTestApp({
    CUSTODY_EVM_TOKENS: `USDT=${token}`,
    CUSTODY_EVM_RPC_URL: chain.url,
    CUSTODY_HOT_WALLET_KEY: hotKey,
    CUSTODY_COLD_WALLET_ADDRESS: cold,
    CUSTODY_CONFIRMATIONS: 'ETH=3,USDT=3,USDC=3,BTC=3',
    CUSTODY_WITHDRAWAL_POLL_SECONDS: '1',
  })
  approver = (await t.createStaff('custody_approver')).session
  const { user } = await t.createCustomer('chain')
  customer.id = user.id
  await storeApiKey(t, user.id, customer, { label: 'chain' })
  signed = signedClient(t, customer)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: 'chain:fund',
    ref: 'test',
    owner: user.id,
    asset: 'ETH',
    amount: 10n * ETH,
  })
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: 'chain:fund:usdt',
    ref: 'test',
    owner: user.id,
    asset: 'USDT',
    amount: 500_000_000n,
  })
}, 120_000)
afterAll(async () => {
  await t?.close()
  await chain?.close()
})

describe('the hot wallet path', () => {
  it('signs, broadcasts, waits for 3 confirmations and completes; the ETH arrives on chain', async () => {
    const to = getAddress(`0x${bytesToHex(randomBytes(20))}`)
    const { id, approved } = await requestAndApprove('0.5', to, 'hot-1')
    expect(approved.signingMode).toBe('hot')
    const sent = await until('broadcast', async () => {
      const s = await status(id)
      return s.status === 'broadcast' ? s : undefined
    })
    expect(sent.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await client().getBalance({ address: to })).toBe(5n * 10n ** 17n)
    const tx = await client().getTransaction({ hash: sent.txHash as Hex })
    expect(getAddress(tx.from)).toBe(hot)
    await mine(3)
    const done = await until('confirmed', async () => {
      const s = await status(id)
      return s.status === 'confirmed' ? s : undefined
    })
    expect(done.statusText).toBe('Completed.')
    const ledger = createLedger({ db: t.db })
    const mine_ = await ledger.balances(t.db, customer.id)
    expect(mine_.find((b) => b.kind === 'pending_withdrawal')?.balance).toBe(0n)
    expect(mine_.find((b) => b.kind === 'available')?.balance).toBe(
      10n * ETH - 5n * 10n ** 17n - 5n * 10n ** 14n,
    )
    const house = await ledger.balances(t.db, null)
    expect(house.find((b) => b.kind === 'fees')?.balance).toBe(4n * 10n ** 14n)
    expect(house.find((b) => b.kind === 'insurance_fund')?.balance).toBe(1n * 10n ** 14n)
    expect((await ledger.verify(t.db)).ok).toBe(true)
    // Paid once: one completion movement, one transaction from the hot wallet.
    const completions = await t.db
      .selectFrom('custody_transactions')
      .select('id')
      .where('idempotency_key', '=', `withdrawal:${id}:complete`)
      .execute()
    expect(completions).toHaveLength(1)
    expect(await client().getTransactionCount({ address: hot })).toBe(1)
    // A processor restarted later finds nothing to sign or send again.
    expect((await status(id)).txHash).toBe(sent.txHash)
  })
})

describe('ERC-20 withdrawals and failures', () => {
  const balanceOf = (a: Address) =>
    client().readContract({
      address: token,
      abi: compiled.MiniToken.abi,
      functionName: 'balanceOf',
      args: [a],
    }) as Promise<bigint>
  const usdt = async (owner: string | null, kind: string) =>
    (await createLedger({ db: t.db }).balances(t.db, owner)).find(
      (b) => b.asset === 'USDT' && b.kind === kind,
    )?.balance ?? 0n

  it('pays a token withdrawal with transfer(to, amount) on the configured contract', async () => {
    const to = getAddress(`0x${bytesToHex(randomBytes(20))}`)
    const { id } = await requestAndApprove('60', to, 'usdt-1', 'USDT')
    await until('broadcast', async () => ((await status(id)).status === 'broadcast' ? true : undefined))
    expect(await balanceOf(to)).toBe(60_000_000n)
    await mine(3)
    await until('confirmed', async () => ((await status(id)).status === 'confirmed' ? true : undefined))
    expect(await usdt(customer.id, 'available')).toBe(500_000_000n - 61_000_000n)
  })

  it('refunds amount and fee exactly once when the transaction reverts on chain', async () => {
    const to = getAddress(`0x${bytesToHex(randomBytes(20))}`)
    const before = await usdt(customer.id, 'available')
    // The hot wallet holds 40 USDT now: a transfer of 50 reverts.
    const { id } = await requestAndApprove('50', to, 'usdt-2', 'USDT')
    await mine(1)
    const failed = await until('failed', async () => {
      const s = await status(id)
      return s.status === 'failed' ? s : undefined
    })
    expect(failed.statusText).toBe('Failed on the network; the amount and fee were returned to your balance.')
    expect(await balanceOf(to)).toBe(0n)
    expect(await usdt(customer.id, 'available')).toBe(before)
    expect(await usdt(customer.id, 'pending_withdrawal')).toBe(0n)
    const refunds = await t.db
      .selectFrom('custody_transactions')
      .select('id')
      .where('idempotency_key', 'like', `withdrawal:${id}:%`)
      .execute()
    expect(refunds).toHaveLength(2) // the hold and one refund; no completion
    expect((await createLedger({ db: t.db }).verify(t.db)).ok).toBe(true)
  })
})

describe('the offline (cold wallet) path', () => {
  it('exports unsigned transactions, signs them away from the server, verifies and imports them, and pays', async () => {
    const to = getAddress(`0x${bytesToHex(randomBytes(20))}`)
    const { id, approved } = await requestAndApprove('1.5', to, 'cold-1')
    expect(approved.signingMode).toBe('offline') // above the policy's hotWalletMax of 1 ETH
    const service = createWithdrawals({
      db: t.db,
      clock: t.clock,
      config: t.config,
      accounts: { db: t.db, clock: t.clock, config: t.config },
    })
    const deps = {
      db: t.db,
      clock: t.clock,
      rpcUrl: chain.url,
      coldWallet: cold,
      tokens: new Map(),
      withdrawals: service,
    }
    const file = await exportUnsigned(deps)
    expect(file.transactions.map((x) => x.withdrawalId)).toEqual([id])
    // Exporting again (a lost file) repeats the same transaction, nonce included.
    expect((await exportUnsigned(deps)).transactions).toEqual(file.transactions)
    expect((await status(id)).statusText).toMatch(/waiting for a signature from our offline/)

    // A key that is not the cold wallet's cannot sign the file; a forged signature is refused.
    await expect(signFile(file, generatePrivateKey())).rejects.toThrow(/this key is for/)
    const entry = file.transactions[0]!
    const parsed = parseTransaction(entry.unsignedTx as Hex)
    const stranger = privateKeyToAccount(generatePrivateKey())
    const forged = await stranger.signTransaction({ ...parsed, type: 'eip1559' } as never)
    const tampered = await privateKeyToAccount(coldKey).signTransaction({
      ...parsed,
      type: 'eip1559',
      value: 2n * ETH,
    } as never)
    const wrong = await importSigned(deps, {
      format: 'bulwark-signed-v1',
      from: cold,
      chainId: file.chainId,
      transactions: [
        { withdrawalId: id, payloadHash: entry.payloadHash, signedTx: forged },
        { withdrawalId: id, payloadHash: entry.payloadHash, signedTx: tampered },
      ],
    })
    expect(wrong.accepted).toEqual([])
    expect(wrong.refused[0]!.problems.join(' ')).toMatch(/not the cold wallet/)
    expect(wrong.refused[1]!.problems).toContain('moves another value')

    const signedFile = await signFile(JSON.parse(JSON.stringify(file)), coldKey)
    const imported = await importSigned(deps, signedFile)
    expect(imported).toEqual({ accepted: [id], refused: [] })
    // Importing the same file again changes nothing.
    expect((await importSigned(deps, signedFile)).accepted).toEqual([])

    await until('broadcast', async () => ((await status(id)).status === 'broadcast' ? true : undefined))
    expect(await client().getBalance({ address: to })).toBe(15n * 10n ** 17n)
    await mine(3)
    await until('confirmed', async () => ((await status(id)).status === 'confirmed' ? true : undefined))
    const house = await createLedger({ db: t.db }).balances(t.db, null)
    expect(house.find((b) => b.kind === 'cold_wallet')?.balance).toBe(15n * 10n ** 17n)
  })
})
