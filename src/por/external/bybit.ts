/**
 * @module Bybit Merkle proof files (`{ self, path }` with `userHash` and `balance`,
 * bybit-exchange/merkle-proof). Rules, as Bybit's validator applies them:
 * - leaf hash = SHA-256(userHash ‖ balance₁ ‖ balance₂ ‖ …) in the file's asset order, no separators;
 * - parent hash = SHA-256(leftHash ‖ rightHash ‖ sum₁ ‖ sum₂ ‖ … ‖ parentHeight), each sum written
 *   with exactly 8 decimals (`0.00000000`);
 * - `type` 1 = left, 2 = right, 3 = root; heights start at 1 for the leaf and its sibling.
 */
import { sha256Hex, type Vector } from './balances.ts'
import { formatDecFixed, truncDec } from './decimal.ts'
import { okxParentHash } from './okx-v1.ts'
import { verifySelfPath } from './self-path.ts'
import { verifyTypedPath } from './typed-path.ts'
import type { ExternalResult } from './types.ts'

type Node = { balance?: unknown; hash?: unknown; type?: unknown; height?: unknown; userHash?: unknown }

export function isBybit(json: unknown): boolean {
  const j = json as { self?: Node; path?: unknown }
  return typeof j === 'object' && j !== null && Array.isArray(j.path) && typeof j.self?.userHash === 'string'
}

export const bybitScale = (v: Vector): Vector => {
  const values = v.values.map((d) => truncDec(d, 8))
  return { keys: v.keys, values, raw: values.map((d) => formatDecFixed(d, 8)) }
}

export function bybitLeafHash(userHash: string, balance: Vector): string {
  return sha256Hex(userHash + balance.raw.join(''))
}

/** Bybit's parent hash is OKX's rule (only the decimal form of the sums differs, see bybitScale). */
export const bybitParentHash = okxParentHash

/** Verifies a Bybit proof file. */
export function verifyBybit(json: unknown, file: string): ExternalResult {
  const j = json as { self: Node; path: Node[] }
  return verifySelfPath({
    format: 'bybit',
    file,
    balances: j.self.balance,
    leafHash: (balances) => bybitLeafHash(String(j.self.userHash), balances),
    leafRule: 'SHA-256(userHash ‖ balances)',
    statedHash: j.self.hash,
    normaliseStated: (stated) => stated.toLowerCase(),
    walk: ({ checks, leaf, finish }) =>
      verifyTypedPath({
        checks,
        self: j.self,
        path: j.path,
        balancesOf: (node) => node.balance,
        leaf,
        normalise: bybitScale,
        parentHash: bybitParentHash,
        finish,
      }),
  })
}
