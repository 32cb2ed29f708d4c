/**
 * @module On-chain source: polls an EVM JSON-RPC node for new blocks (behind `confirmations` blocks
 * to stay clear of reorgs) and turns each native value transfer into a `chain_tx` risk event. The
 * engine adds them to its transaction graph, so risk propagates from listed addresses to the
 * addresses an exchange's customers deposit from or withdraw to. ERC-20 transfers are not read yet.
 */
import type { PublicClient } from 'viem'
import type { RiskEvent } from './schema.ts'

export type EvmBlockSourceOptions = {
  client: Pick<PublicClient, 'getBlockNumber' | 'getBlock'>
  /** Chain name written into events, e.g. `eth`. */
  chain: string
  /** First block to read (default: the current head at the first poll). */
  fromBlock?: bigint
  /** Blocks to stay behind the head (default 0 for dev chains; 12+ on mainnet). */
  confirmations?: bigint
  /** Maps an address to the customer account it belongs to (deposit addresses), if any. */
  accountOf?: (address: string) => string | undefined
  /** Blocks read per poll at most (default 100). */
  maxBlocks?: bigint
}

/**
 * @example
 * const source = createEvmBlockSource({ client: createPublicClient({ transport: http(url) }), chain: 'eth' })
 * setInterval(async () => { for (const e of await source.poll()) engine.ingest(e) }, 12_000)
 */
export function createEvmBlockSource(options: EvmBlockSourceOptions) {
  let next = options.fromBlock
  const confirmations = options.confirmations ?? 0n
  const maxBlocks = options.maxBlocks ?? 100n
  return {
    /** The next block number to read. */
    get nextBlock() {
      return next
    },
    /** Reads the confirmed blocks not read yet and returns their transfers as events, in chain order. */
    async poll(): Promise<RiskEvent[]> {
      // cacheTime 0: viem otherwise reuses a block number for its polling interval
      const head = (await options.client.getBlockNumber({ cacheTime: 0 })) - confirmations
      if (next === undefined) next = head < 0n ? 0n : head
      const events: RiskEvent[] = []
      let n = next
      for (; n <= head && n < next + maxBlocks; n++) {
        const block = await options.client.getBlock({ blockNumber: n, includeTransactions: true })
        const at = Number(block.timestamp) * 1000
        for (const tx of block.transactions) {
          if (!tx.to || tx.value === 0n) continue
          const from = tx.from.toLowerCase()
          const to = tx.to.toLowerCase()
          const account = options.accountOf?.(to) ?? options.accountOf?.(from)
          events.push({
            v: 1,
            id: `${options.chain}:${tx.hash}`,
            at,
            ...(account ? { account } : {}),
            type: 'chain_tx',
            chain: options.chain,
            hash: tx.hash,
            from,
            to,
            asset: 'native',
            amount: tx.value,
            block: Number(n),
          })
        }
      }
      next = n
      return events
    },
  }
}
