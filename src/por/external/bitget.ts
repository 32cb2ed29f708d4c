/**
 * @module Bitget Merkle proof files (`merkel_tree_bg.json`: `{ self, path }` with `encryptUid`,
 * `merkelLeaf`, `level`, `role`; BitgetLimited/proof-of-reserves). Rules, as Bitget's validator
 * applies them:
 * - leaf hash = first 16 hex of SHA-256(encryptUid ‖ "," ‖ nonce ‖ "," ‖ balancesJSON);
 * - parent hash = first 16 hex of SHA-256(leftHash ‖ rightHash ‖ "," ‖ sumsJSON ‖ "," ‖ level),
 *   where level = child level − 1 (the root is level 1) and sums are truncated to 8 decimals
 *   without trailing zeros;
 * - `role` 1 = the sibling is on the left; anything else puts it on the right.
 */
import { readVector, sha256Hex, type Vector, vectorRecord } from './balances.ts'
import { okxTruncate } from './okx-v1.ts'
import { type FinishSelfPath, type HashedVector, readPathRoot, verifySelfPath } from './self-path.ts'
import { walkSumPath } from './sumpath.ts'
import type { CheckList, ExternalResult } from './types.ts'

type Node = {
  balances?: unknown
  merkelLeaf?: unknown
  role?: unknown
  level?: unknown
  encryptUid?: unknown
  nonce?: unknown
}

export function isBitget(json: unknown): boolean {
  const j = json as { self?: Node; path?: unknown }
  return (
    typeof j === 'object' && j !== null && Array.isArray(j.path) && typeof j.self?.encryptUid === 'string'
  )
}

/** Bitget writes sums as OKX does: truncated to 8 decimals, without trailing zeros. */
export const bitgetNormalise = okxTruncate

export function bitgetLeafHash(encryptUid: string, nonce: string, balances: Record<string, string>): string {
  return sha256Hex(`${encryptUid},${nonce},${JSON.stringify(balances)}`).slice(0, 16)
}

export function bitgetParentHash(left: string, right: string, sum: Vector, level: number): string {
  return sha256Hex(`${left}${right},${JSON.stringify(vectorRecord(sum))},${level}`).slice(0, 16)
}

/** Verifies a Bitget proof file. */
export function verifyBitget(json: unknown, file: string): ExternalResult {
  const j = json as { self: Node; path: Node[] }
  return verifySelfPath({
    format: 'bitget',
    file,
    balances: j.self.balances,
    leafHash: (balances) =>
      bitgetLeafHash(String(j.self.encryptUid), String(j.self.nonce), vectorRecord(balances)),
    leafRule: 'SHA-256(uid,nonce,balances)[0..16]',
    statedHash: j.self.merkelLeaf,
    walk: ({ checks, leaf, finish }) => verifyBitgetPath(j, checks, leaf, finish),
  })
}

/** Bitget's path: levels count down from the leaf to the root at level 1; `role` gives the side. */
function verifyBitgetPath(
  j: { self: Node; path: Node[] },
  checks: CheckList,
  leaf: HashedVector,
  finish: FinishSelfPath,
): ExternalResult {
  const selfVec = leaf.vector
  const read = readPathRoot(
    checks,
    j.path,
    (node) => node.balances,
    (node) => node.merkelLeaf,
  )
  if (!read) return finish(selfVec)
  const { node: rootNode, root } = read
  const selfLevel = Number(j.self.level)
  if (
    !checks.check(
      'root level',
      rootNode.level === 1,
      `the last path entry has level ${String(rootNode.level)}; the root is level 1`,
    )
  ) {
    return finish(selfVec, root)
  }
  const siblings = j.path.slice(0, -1)
  if (
    !checks.check(
      'depth',
      selfLevel === siblings.length + 1,
      `your leaf is at level ${selfLevel} but the path has ${siblings.length} siblings (truncated path)`,
    )
  ) {
    return finish(selfVec, root)
  }
  if (
    !checks.check(
      'sibling side',
      siblings[0]?.role !== j.self.role,
      'the first sibling must sit on the other side of your leaf',
    )
  ) {
    return finish(selfVec, root)
  }
  const steps = []
  for (const [i, s] of siblings.entries()) {
    const expected = selfLevel - i
    const label = `level ${expected}`
    if (s.level !== expected) {
      checks.check(
        label,
        false,
        `path entry ${i + 1} has level ${String(s.level)}; expected ${expected} (reordered path)`,
      )
      return finish(selfVec, root)
    }
    const vec = readVector(s.balances, label)
    if ('error' in vec) {
      checks.check(label, false, vec.error)
      return finish(selfVec, root)
    }
    steps.push({ hash: String(s.merkelLeaf), vector: vec, siblingIsLeft: s.role === 1, label })
  }
  walkSumPath({
    checks,
    leaf,
    steps,
    root: { ...root, label: 'root' },
    normalise: bitgetNormalise,
    parentHash: (l, r, sum, i) => bitgetParentHash(l, r, sum, selfLevel - i - 1),
  })
  return finish(selfVec, root)
}
