/**
 * @module OKX proof-of-reserves v1 Merkle proof files (`{ self, path }`, okx/proof-of-reserves
 * `MerkleValidator`). Rules, as OKX's tool applies them:
 * - leaf hash = SHA-256(nonce ‖ `{"BTC":"…","ETH":"…","USDT":"…"}`) (balances as published);
 * - parent hash = SHA-256(leftHash ‖ rightHash ‖ sum₁ ‖ sum₂ ‖ … ‖ parentHeight), sums truncated to
 *   8 decimals without trailing zeros, heights counted from 1 at the leaves;
 * - `type` 1 = left node, 2 = right node, 3 = root. The last path entry is the root.
 * Stricter than OKX's tool: sibling heights must run 1, 2, 3, … (a reordered or truncated path
 * fails) and the last entry must be typed root.
 */
import { sha256Hex, type Vector, vectorRecord } from './balances.ts'
import { formatDecStripped, truncDec } from './decimal.ts'
import { verifySelfPath } from './self-path.ts'
import { verifyTypedPath } from './typed-path.ts'
import type { ExternalResult } from './types.ts'

type Node = { balances?: unknown; hash?: unknown; type?: unknown; height?: unknown; nonce?: unknown }

export function isOkxV1(json: unknown): boolean {
  const j = json as { self?: Node & { userHash?: unknown; encryptUid?: unknown }; path?: unknown }
  return (
    typeof j === 'object' &&
    j !== null &&
    Array.isArray(j.path) &&
    typeof j.self?.nonce === 'string' &&
    j.self.balances !== undefined &&
    j.self.userHash === undefined &&
    j.self.encryptUid === undefined
  )
}

export const okxTruncate = (v: Vector): Vector => {
  const values = v.values.map((d) => truncDec(d, 8))
  return { keys: v.keys, values, raw: values.map(formatDecStripped) }
}

/** OKX's leaf hash: SHA-256 of the nonce followed by the balances JSON exactly as published. */
export function okxV1LeafHash(nonce: string, balances: Record<string, string>): string {
  return sha256Hex(nonce + JSON.stringify(balances))
}

/** OKX's parent hash. */
export function okxParentHash(left: string, right: string, sum: Vector, height: number): string {
  return sha256Hex(left + right + sum.raw.join('') + String(height))
}

/** Verifies an OKX v1 proof file. */
export function verifyOkxV1(json: unknown, file: string): ExternalResult {
  const j = json as { self: Node; path: Node[] }
  return verifySelfPath({
    format: 'okx-v1',
    file,
    balances: j.self.balances,
    leafHash: (balances) => okxV1LeafHash(String(j.self.nonce), vectorRecord(balances)),
    leafRule: 'SHA-256(nonce ‖ balances)',
    statedHash: j.self.hash,
    normaliseStated: (stated) => stated.toLowerCase().replace(/^0x/, ''),
    walk: ({ checks, leaf, finish }) =>
      verifyTypedPath({
        checks,
        self: j.self,
        path: j.path,
        balancesOf: (node) => node.balances,
        leaf,
        normalise: okxTruncate,
        parentHash: okxParentHash,
        finish,
      }),
  })
}
