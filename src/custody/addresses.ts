/**
 * @module Per-customer deposit addresses: one per chain family (ETH and ERC-20 tokens share the
 * EVM address), derived from the operator's xpub at the next free index, stored with that index
 * (unique per chain) so the address can be re-derived and audited. Created on first request.
 */
import { sql } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { assetChains, type CustodyAsset } from './assets.ts'
import { type BtcAddressType, btcDeriver, evmDeriver } from './derivation.ts'
import type { DepositChain } from './tables.ts'

export type DepositAddressesDeps = {
  db: Db
  clock: Clock
  /** Account xpub for EVM addresses (`m/44'/60'/0'`); without it EVM addresses are unavailable. */
  evmXpub?: string | undefined
  /** Account xpub for Bitcoin addresses; without it Bitcoin addresses are unavailable. */
  btcXpub?: string | undefined
  btcAddressType?: BtcAddressType
}

export type DepositAddress = {
  asset: CustodyAsset
  chain: DepositChain
  address: string
  index: number
  createdAt: Date
}

// Arbitrary constants naming the advisory locks that serialise index allocation per chain.
const LOCK_KEYS: Record<DepositChain, number> = { evm: 7_700_001, btc: 7_700_002 }

/**
 * @example const addresses = createDepositAddresses({ db, clock, evmXpub: config.CUSTODY_EVM_XPUB })
 * const { address } = await addresses.forUser(userId, 'ETH')
 */
export function createDepositAddresses(deps: DepositAddressesDeps) {
  const derivers: Partial<Record<DepositChain, (index: number) => string>> = {}
  if (deps.evmXpub) {
    const evm = evmDeriver(deps.evmXpub)
    derivers.evm = (i) => evm.address(i).toLowerCase()
  }
  if (deps.btcXpub) {
    const btc = btcDeriver(deps.btcXpub, deps.btcAddressType ?? 'p2wpkh')
    derivers.btc = (i) => btc.address(i)
  }

  return {
    /** The customer's deposit address for an asset, created (at the next index) on first call. */
    async forUser(userId: string, asset: CustodyAsset): Promise<DepositAddress> {
      const chain = assetChains[asset]
      const existing = await find(deps.db, userId, chain)
      if (existing) return { asset, ...existing }
      const derive = derivers[chain]
      if (!derive) {
        throw new AppError(
          'CUSTODY_NOT_CONFIGURED',
          503,
          `Deposits of ${asset} are not set up on this exchange yet. Try again later or contact support.`,
          { details: { asset } },
        )
      }
      return deps.db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(${LOCK_KEYS[chain]})`.execute(tx)
        const raced = await find(tx, userId, chain)
        if (raced) return { asset, ...raced }
        const { next } = await tx
          .selectFrom('custody_deposit_addresses')
          .select(sql<number>`coalesce(max(derivation_index) + 1, 0)::int`.as('next'))
          .where('chain', '=', chain)
          .executeTakeFirstOrThrow()
        const row = await tx
          .insertInto('custody_deposit_addresses')
          .values({
            user_id: userId,
            chain,
            derivation_index: next,
            address: derive(next),
            created_at: deps.clock.now(),
          })
          .returning(['chain', 'address', 'derivation_index as index', 'created_at as createdAt'])
          .executeTakeFirstOrThrow()
        return { asset, ...row }
      })
    },
  }
}
export type DepositAddresses = ReturnType<typeof createDepositAddresses>

function find(db: Pick<Db, 'selectFrom'>, userId: string, chain: DepositChain) {
  return db
    .selectFrom('custody_deposit_addresses')
    .select(['chain', 'address', 'derivation_index as index', 'created_at as createdAt'])
    .where('user_id', '=', userId)
    .where('chain', '=', chain)
    .executeTakeFirst()
}

/** The customers owning any of `addresses` on a chain (EVM addresses compared in lower case). */
export async function ownersOf(
  db: Pick<Db, 'selectFrom'>,
  chain: DepositChain,
  addresses: string[],
): Promise<Map<string, string>> {
  if (addresses.length === 0) return new Map()
  const keys = chain === 'evm' ? addresses.map((a) => a.toLowerCase()) : addresses
  const rows = await db
    .selectFrom('custody_deposit_addresses')
    .select(['address', 'user_id'])
    .where('chain', '=', chain)
    .where('address', 'in', [...new Set(keys)])
    .execute()
  return new Map(rows.map((r) => [r.address, r.user_id]))
}
