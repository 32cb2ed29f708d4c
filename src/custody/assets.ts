/**
 * @module The assets custody holds: the same table as P2P's (`src/p2p/money.ts`: symbol → decimals),
 * because P2P escrow moves onto this ledger and both must agree on the smallest unit of every asset.
 * (The proof-of-reserves assets file is per round, with prices and haircuts, not a fixed table.)
 * Custody adds where each asset lives on chain.
 */
import { assets, formatUnits, parseUnits } from '../p2p/index.ts'
import type { DepositChain } from './tables.ts'

export type CustodyAsset = keyof typeof assets

/** Which chain family carries each asset: ETH and ERC-20 tokens on EVM, BTC on Bitcoin. */
export const assetChains: Record<CustodyAsset, DepositChain> = {
  ETH: 'evm',
  USDT: 'evm',
  USDC: 'evm',
  BTC: 'btc',
}

export function isCustodyAsset(value: string): value is CustodyAsset {
  return Object.hasOwn(assets, value)
}

/** Decimals of an asset (smallest units per whole coin = 10^decimals). */
export function decimalsOf(asset: CustodyAsset): number {
  return assets[asset]
}

/** Smallest units as a decimal string, e.g. `1.5` for 1_500_000n USDT. */
export function formatAmount(asset: string, amount: bigint): string {
  return formatUnits(amount, isCustodyAsset(asset) ? assets[asset] : 0)
}

/** A decimal string as smallest units of an asset; refuses more decimals than the asset has. */
export function parseAmount(asset: CustodyAsset, value: string): bigint {
  return parseUnits(value, assets[asset])
}

export const custodyAssets = Object.keys(assets) as CustodyAsset[]
