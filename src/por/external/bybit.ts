/**
 * @module Bybit Merkle proof files (`{ self, path }` with `userHash` and `balance`,
 * bybit-exchange/merkle-proof). Rules, as Bybit's validator applies them:
 * - leaf hash = SHA-256(userHash ‖ balance₁ ‖ balance₂ ‖ …) in the file's asset order, no separators;
 * - parent hash = SHA-256(leftHash ‖ rightHash ‖ sum₁ ‖ sum₂ ‖ … ‖ parentHeight), each sum written
 *   with exactly 8 decimals (`0.00000000`);
 * - `type` 1 = left, 2 = right, 3 = root; heights start at 1 for the leaf and its sibling.
 */
import { readVector, sha256Hex, type Vector, vectorRecord } from './balances.ts'
import { formatDecFixed, truncDec } from './decimal.ts'
import { GUARANTEES } from './guarantees.ts'
import { walkSumPath } from './sumpath.ts'
import { CheckList, type ExternalResult } from './types.ts'

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

export function bybitParentHash(left: string, right: string, sum: Vector, height: number): string {
  return sha256Hex(left + right + sum.raw.join('') + String(height))
}

/** Verifies a Bybit proof file. */
export function verifyBybit(json: unknown, file: string): ExternalResult {
  const checks = new CheckList()
  const j = json as { self: Node; path: Node[] }
  const finish = (balances?: Vector, root?: { hash: string; vector: Vector }): ExternalResult => ({
    format: 'bybit',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: balances ? vectorRecord(balances) : undefined,
    root: root ? { hash: root.hash, balances: vectorRecord(root.vector) } : undefined,
    guarantees: GUARANTEES.bybit,
  })
  const selfVec = readVector(j.self.balance, 'self')
  if ('error' in selfVec) {
    checks.check('self', false, selfVec.error)
    return finish()
  }
  const leaf = bybitLeafHash(String(j.self.userHash), selfVec)
  if (
    !checks.check(
      'leaf',
      leaf === String(j.self.hash).toLowerCase(),
      `SHA-256(userHash ‖ balances) = ${leaf}, file says ${String(j.self.hash)}`,
    )
  ) {
    return finish(selfVec)
  }
  if (
    !checks.check(
      'path length',
      j.path.length >= 2,
      `${j.path.length} entries (need at least a sibling and the root)`,
    )
  ) {
    return finish(selfVec)
  }
  const rootNode = j.path[j.path.length - 1]!
  const rootVec = readVector(rootNode.balance, 'root')
  if ('error' in rootVec) {
    checks.check('root', false, rootVec.error)
    return finish(selfVec)
  }
  const root = { hash: String(rootNode.hash), vector: rootVec }
  if (
    !checks.check(
      'root type',
      rootNode.type === 3,
      `last path entry has type ${String(rootNode.type)}; the root has type 3`,
    )
  ) {
    return finish(selfVec, root)
  }
  const siblings = j.path.slice(0, -1)
  if (
    !checks.check(
      'sibling side',
      siblings[0]?.type !== j.self.type,
      'the first sibling must sit on the other side of your leaf',
    )
  ) {
    return finish(selfVec, root)
  }
  const steps = []
  for (const [i, s] of siblings.entries()) {
    const label = `height ${i + 1}`
    if (s.height !== i + 1) {
      checks.check(
        label,
        false,
        `path entry ${i + 1} has height ${String(s.height)}; expected ${i + 1} (truncated or reordered path)`,
      )
      return finish(selfVec, root)
    }
    const vec = readVector(s.balance, label)
    if ('error' in vec) {
      checks.check(label, false, vec.error)
      return finish(selfVec, root)
    }
    const siblingIsLeft = i === 0 ? j.self.type !== 1 : s.type === 1
    steps.push({ hash: String(s.hash), vector: vec, siblingIsLeft, label })
  }
  if (
    !checks.check(
      'root height',
      rootNode.height === siblings.length + 1,
      `root height ${String(rootNode.height)}, expected ${siblings.length + 1}`,
    )
  ) {
    return finish(selfVec, root)
  }
  walkSumPath({
    checks,
    leaf: { hash: leaf, vector: selfVec },
    steps,
    root: { ...root, label: 'root' },
    normalise: bybitScale,
    parentHash: (l, r, sum, i) => bybitParentHash(l, r, sum, i + 2),
  })
  return finish(selfVec, root)
}
