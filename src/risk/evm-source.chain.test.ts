/**
 * The on-chain source against a real local EVM dev chain (Hardhat's EDR node over HTTP JSON-RPC):
 * transfers from a listed drainer address propagate exposure two hops out, and a deposit from the
 * second hop is sent to review.
 */
import {
  type Address,
  createPublicClient,
  createWalletClient,
  http,
  type PublicClient,
  parseEther,
} from 'viem'
import { hardhat } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevChain, startDevChain } from '../por/reserves/testing/devchain.ts'
import { createRiskEngine } from './engine.ts'
import { createEvmBlockSource } from './evm-source.ts'
import { compileRules } from './rules.ts'

let chain: DevChain
let client: PublicClient
let accounts: Address[]

beforeAll(async () => {
  chain = await startDevChain()
  client = createPublicClient({ chain: hardhat, transport: http(chain.url) })
  accounts = (await chain.request({ method: 'eth_accounts' })) as Address[]
}, 120_000)
afterAll(async () => {
  await chain?.close()
})

async function send(from: Address, to: Address, eth: string) {
  const wallet = createWalletClient({ chain: hardhat, transport: http(chain.url), account: from })
  const hash = await wallet.sendTransaction({ to, value: parseEther(eth) })
  await client.waitForTransactionReceipt({ hash })
}

describe('EVM block source', () => {
  it('turns new blocks into chain_tx events once, and exposure reaches a depositor two hops from a drainer', async () => {
    const [drainer, hop1, hop2, clean, exchange] = accounts as [Address, Address, Address, Address, Address]
    const source = createEvmBlockSource({
      client,
      chain: 'eth',
      accountOf: (a) => (a === exchange.toLowerCase() ? 'exchange-hot' : undefined),
    })
    expect(await source.poll()).toEqual([]) // starts at the head: history is not re-read
    await send(drainer, hop1, '5')
    await send(hop1, hop2, '4')
    await send(clean, exchange, '1')
    const events = await source.poll()
    expect(events.map((e) => e.type === 'chain_tx' && [e.from, e.to])).toEqual([
      [drainer.toLowerCase(), hop1.toLowerCase()],
      [hop1.toLowerCase(), hop2.toLowerCase()],
      [clean.toLowerCase(), exchange.toLowerCase()],
    ])
    expect(events[2]?.account).toBe('exchange-hot')
    expect(await source.poll()).toEqual([])

    const rules = compileRules({
      version: 't',
      rules: [
        {
          id: 'near',
          events: ['deposit'],
          when: { feature: 'exposure.indirect', op: '>=', value: 0.3 },
          action: 'review',
          score: 0.6,
          reason: '{exposure.hops} hops from a listed address',
        },
      ],
    })
    const engine = createRiskEngine({
      rules,
      seeds: new Map([[drainer, { label: 'drainer', source: 'test' }]]),
    })
    for (const e of events) engine.ingest(e)
    engine.refreshExposure()
    expect(engine.exposureOf(hop2)).toMatchObject({ hops: 2, label: 'drainer' })
    expect(engine.exposureOf(clean)).toBeUndefined()
    const d = engine.assess({
      v: 1,
      id: 'dep',
      at: Date.now(),
      account: 'bob',
      type: 'deposit',
      asset: 'ETH',
      amount: 10n ** 18n,
      from: hop2,
    })
    expect(d.decision).toBe('review')
    expect(d.reasons[0]?.text).toBe('2 hops from a listed address')
    const ok = engine.assess({
      v: 1,
      id: 'dep2',
      at: Date.now(),
      account: 'bob',
      type: 'deposit',
      asset: 'ETH',
      amount: 10n ** 18n,
      from: clean,
    })
    expect(ok.decision).toBe('allow')
  }, 120_000)
})
