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
import { formatDecStripped, truncDec } from './decimal.ts'
import { GUARANTEES } from './guarantees.ts'
import { walkSumPath } from './sumpath.ts'
import { CheckList, type ExternalResult } from './types.ts'

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

export const bitgetNormalise = (v: Vector): Vector => {
  const values = v.values.map((d) => truncDec(d, 8))
  return { keys: v.keys, values, raw: values.map(formatDecStripped) }
}

export function bitgetLeafHash(encryptUid: string, nonce: string, balances: Record<string, string>): string {
  return sha256Hex(`${encryptUid},${nonce},${JSON.stringify(balances)}`).slice(0, 16)
}

export function bitgetParentHash(left: string, right: string, sum: Vector, level: number): string {
  return sha256Hex(`${left}${right},${JSON.stringify(vectorRecord(sum))},${level}`).slice(0, 16)
}

/** Verifies a Bitget proof file. */
export function verifyBitget(json: unknown, file: string): ExternalResult {
  const checks = new CheckList()
  const j = json as { self: Node; path: Node[] }
  const finish = (balances?: Vector, root?: { hash: string; vector: Vector }): ExternalResult => ({
    format: 'bitget',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: balances ? vectorRecord(balances) : undefined,
    root: root ? { hash: root.hash, balances: vectorRecord(root.vector) } : undefined,
    guarantees: GUARANTEES.bitget,
  })
  const selfVec = readVector(j.self.balances, 'self')
  if ('error' in selfVec) {
    checks.check('self', false, selfVec.error)
    return finish()
  }
  const leaf = bitgetLeafHash(String(j.self.encryptUid), String(j.self.nonce), vectorRecord(selfVec))
  if (
    !checks.check(
      'leaf',
      leaf === String(j.self.merkelLeaf),
      `SHA-256(uid,nonce,balances)[0..16] = ${leaf}, file says ${String(j.self.merkelLeaf)}`,
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
  const rootVec = readVector(rootNode.balances, 'root')
  if ('error' in rootVec) {
    checks.check('root', false, rootVec.error)
    return finish(selfVec)
  }
  const root = { hash: String(rootNode.merkelLeaf), vector: rootVec }
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
    leaf: { hash: leaf, vector: selfVec },
    steps,
    root: { ...root, label: 'root' },
    normalise: bitgetNormalise,
    parentHash: (l, r, sum, i) => bitgetParentHash(l, r, sum, selfLevel - i - 1),
  })
  return finish(selfVec, root)
}
