/**
 * @module The EVM deposit watcher. Each poll: (1) finds blocks it read earlier whose hash changed
 * (a reorg) and re-reads from there; (2) removes pending deposits whose block is no longer on the
 * chain; (3) reads new blocks for native ETH transfers (successful transactions only) and ERC-20
 * `Transfer` logs of the configured tokens to deposit addresses, recording them as pending;
 * (4) credits deposits that reached their confirmations; (5) checks recently credited deposits
 * against the chain: one whose block vanished is a deep reorg, raised, never silently debited.
 * The cursor and recent block hashes live in the database, so a restart resumes where it stopped
 * and credits nothing twice (credits are also keyed by chain output in the ledger).
 */
import {
  type Address,
  createPublicClient,
  type Hex,
  http,
  type Log,
  type PublicClient,
  parseAbiItem,
} from 'viem'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { ownersOf } from './addresses.ts'
import type { Deposits, SeenDeposit } from './deposits.ts'

const CHAIN = 'evm'
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

export type EvmClient = Pick<
  PublicClient,
  'getBlockNumber' | 'getBlock' | 'getTransactionReceipt' | 'getLogs'
>

export type EvmWatcherDeps = {
  db: Db
  clock: Clock
  client: EvmClient
  deposits: Deposits
  /** ERC-20 contracts by asset symbol, e.g. `{ USDT: '0xdAC1…' }`. */
  tokens?: Record<string, string>
  /** Blocks read per poll at most (default 500). */
  maxBlocks?: number
  /** How far back block hashes are kept and credited deposits re-checked (default 128 blocks). */
  reorgWindow?: number
}

export type PollResult = {
  head: bigint
  scanned: number
  seen: number
  credited: number
  removed: number
  deepReorgs: number
}

/** A client over an HTTP JSON-RPC endpoint. */
export function evmClient(url: string): EvmClient {
  return createPublicClient({ transport: http(url, { timeout: 10_000, retryCount: 1 }) })
}

/**
 * @example
 * const watcher = createEvmWatcher({ db, clock, client: evmClient(url), deposits, tokens: { USDT: '0x…' } })
 * await watcher.poll()
 */
export function createEvmWatcher(deps: EvmWatcherDeps) {
  const { db, client, deposits } = deps
  const maxBlocks = BigInt(deps.maxBlocks ?? 500)
  const window = BigInt(deps.reorgWindow ?? 128)
  const tokenAssets = new Map(Object.entries(deps.tokens ?? {}).map(([asset, a]) => [a.toLowerCase(), asset]))

  async function hashAt(number: bigint, cache: Map<bigint, string | null>): Promise<string | null> {
    if (cache.has(number)) return cache.get(number)!
    let hash: string | null = null
    try {
      hash = (await client.getBlock({ blockNumber: number })).hash
    } catch (error) {
      if (!(error instanceof Error && error.name === 'BlockNotFoundError')) throw error
    }
    cache.set(number, hash)
    return hash
  }

  async function loadCursor(): Promise<bigint | null> {
    const row = await db
      .selectFrom('custody_chain_cursors')
      .select('next_block')
      .where('chain', '=', CHAIN)
      .executeTakeFirst()
    return row ? BigInt(row.next_block) : null
  }

  async function saveCursor(
    next: bigint,
    blocks: { number: bigint; hash: string }[],
    forkFrom: bigint | null,
  ) {
    await db.transaction().execute(async (tx) => {
      if (forkFrom !== null)
        await tx
          .deleteFrom('custody_chain_blocks')
          .where('chain', '=', CHAIN)
          .where('number', '>=', forkFrom.toString())
          .execute()
      if (blocks.length > 0)
        await tx
          .insertInto('custody_chain_blocks')
          .values(blocks.map((b) => ({ chain: CHAIN, number: b.number.toString(), hash: b.hash })))
          .onConflict((oc) =>
            oc.columns(['chain', 'number']).doUpdateSet((eb) => ({ hash: eb.ref('excluded.hash') })),
          )
          .execute()
      await tx
        .deleteFrom('custody_chain_blocks')
        .where('chain', '=', CHAIN)
        .where('number', '<', (next - window).toString())
        .execute()
      await tx
        .insertInto('custody_chain_cursors')
        .values({ chain: CHAIN, next_block: next.toString(), updated_at: deps.clock.now() })
        .onConflict((oc) =>
          oc.column('chain').doUpdateSet({ next_block: next.toString(), updated_at: deps.clock.now() }),
        )
        .execute()
    })
  }

  /** The lowest block read earlier whose hash the chain no longer has, or null. */
  async function findFork(cache: Map<bigint, string | null>): Promise<bigint | null> {
    const stored = await db
      .selectFrom('custody_chain_blocks')
      .select(['number', 'hash'])
      .where('chain', '=', CHAIN)
      .orderBy('number', 'desc')
      .execute()
    let fork: bigint | null = null
    for (const b of stored) {
      const n = BigInt(b.number)
      if ((await hashAt(n, cache)) === b.hash) break
      fork = n
    }
    return fork
  }

  async function scan(
    from: bigint,
    to: bigint,
  ): Promise<{ blocks: { number: bigint; hash: string }[]; seen: SeenDeposit[] }> {
    const blocks: { number: bigint; hash: string }[] = []
    const seen: Omit<SeenDeposit, 'confirmations'>[] = []
    for (let n = from; n <= to; n++) {
      const block = await client.getBlock({ blockNumber: n, includeTransactions: true })
      blocks.push({ number: n, hash: block.hash })
      const candidates = block.transactions.filter((t) => t.to && t.value > 0n)
      const owners = await ownersOf(
        db,
        'evm',
        candidates.map((t) => t.to!),
      )
      for (const t of candidates) {
        const userId = owners.get(t.to!.toLowerCase())
        if (!userId) continue
        const receipt = await client.getTransactionReceipt({ hash: t.hash })
        if (receipt.status !== 'success') continue
        seen.push({
          chain: 'evm',
          txid: t.hash,
          outputIndex: -1,
          asset: 'ETH',
          address: t.to!.toLowerCase(),
          userId,
          amount: t.value,
          sender: t.from.toLowerCase(),
          blockNumber: n,
          blockHash: block.hash,
        })
      }
    }
    if (tokenAssets.size > 0 && from <= to) {
      const logs = await client.getLogs({
        address: [...tokenAssets.keys()] as Address[],
        event: TRANSFER,
        fromBlock: from,
        toBlock: to,
      })
      const owners = await ownersOf(db, 'evm', logs.map((l) => l.args.to ?? '').filter(Boolean))
      for (const log of logs as Log<bigint, number, false, typeof TRANSFER, true>[]) {
        const to = log.args.to?.toLowerCase()
        const userId = to ? owners.get(to) : undefined
        const asset = tokenAssets.get(log.address.toLowerCase())
        if (!to || !userId || !asset || !log.args.value || log.args.value <= 0n) continue
        seen.push({
          chain: 'evm',
          txid: log.transactionHash as Hex,
          outputIndex: log.logIndex,
          asset,
          address: to,
          userId,
          amount: log.args.value,
          sender: log.args.from?.toLowerCase() ?? null,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
        })
      }
    }
    return { blocks, seen: seen.map((s) => ({ ...s, confirmations: 0 })) }
  }

  return {
    /** One pass over the chain; safe to call again after a crash at any point. */
    async poll(): Promise<PollResult> {
      const cache = new Map<bigint, string | null>()
      const head = await client.getBlockNumber({ cacheTime: 0 })
      const result: PollResult = { head, scanned: 0, seen: 0, credited: 0, removed: 0, deepReorgs: 0 }
      const stored = await loadCursor()
      let next = stored ?? head
      const fork = await findFork(cache)
      if (fork !== null && fork < next) next = fork

      // Pending deposits whose block is gone (or was replaced) are removed; they come back as new
      // pending deposits if the transaction is mined again.
      const pending = await db
        .selectFrom('custody_deposits')
        .select(['id', 'block_number', 'block_hash'])
        .where('chain', '=', 'evm')
        .where('status', '=', 'pending')
        .execute()
      for (const p of pending) {
        if (p.block_number === null) continue
        if ((await hashAt(BigInt(p.block_number), cache)) !== p.block_hash) {
          await deposits.remove(p.id, 'its block is no longer on the chain (reorg)')
          result.removed++
        }
      }

      const last = head < next + maxBlocks - 1n ? head : next + maxBlocks - 1n
      const { blocks, seen } = next <= last ? await scan(next, last) : { blocks: [], seen: [] }
      for (const s of seen) await deposits.record(s)
      result.seen = seen.length
      result.scanned = blocks.length
      await saveCursor(last + 1n > next ? last + 1n : next, blocks, fork)

      // Confirmations and credits.
      const open = await db
        .selectFrom('custody_deposits')
        .select(['id', 'asset', 'block_number'])
        .where('chain', '=', 'evm')
        .where('status', '=', 'pending')
        .execute()
      for (const d of open) {
        if (d.block_number === null) continue
        const confirmations = Number(head - BigInt(d.block_number) + 1n)
        await db
          .updateTable('custody_deposits')
          .set({ confirmations })
          .where('id', '=', d.id)
          .where('status', '=', 'pending')
          .execute()
        if (confirmations >= deposits.required(d.asset) && (await deposits.settle(d.id, confirmations)))
          result.credited++
      }

      // Deep reorgs: a credited deposit whose block the chain no longer has.
      const recent = await db
        .selectFrom('custody_deposits')
        .select(['id', 'block_number', 'block_hash'])
        .where('chain', '=', 'evm')
        .where('status', 'in', ['credited', 'held'])
        .where('block_number', '>=', head > window ? head - window : 0n)
        .execute()
      for (const d of recent) {
        const now = await hashAt(BigInt(d.block_number!), cache)
        if (now !== d.block_hash) {
          await deposits.deepReorg(d.id, {
            block: String(d.block_number),
            expected: d.block_hash,
            found: now,
          })
          result.deepReorgs++
        }
      }
      return result
    },
  }
}
export type EvmWatcher = ReturnType<typeof createEvmWatcher>

/**
 * Runs `poll` every `intervalMs` until stopped; errors are logged and the next poll retries.
 * `stop()` waits for a poll in flight, so the database can be closed right after.
 */
export function runPolling(
  poll: () => Promise<unknown>,
  intervalMs: number,
  log: { error(details: object, message: string): void },
): { stop(): Promise<void> } {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> = Promise.resolve()
  const tick = () => {
    inFlight = poll()
      .then(
        () => {},
        (error: unknown) => log.error({ err: error }, 'custody deposit watcher poll failed'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs)
      })
  }
  tick()
  return {
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await inFlight
    },
  }
}
