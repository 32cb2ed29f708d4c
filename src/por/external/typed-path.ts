/**
 * @module The Merkle path layout OKX v1 and Bybit share (Bybit's validator follows OKX's): a list
 * of nodes typed 1 = left, 2 = right, 3 = root, with heights 1, 2, 3, … and the root last; each
 * parent hashes both children's hashes, the sum of their balances and its height. Checked
 * strictly: a truncated or reordered path, a root not typed root, or a first sibling on the same
 * side as the leaf fails with the step that broke.
 */
import { readVector, type Vector } from './balances.ts'
import { type FinishSelfPath, type HashedVector, readPathRoot } from './self-path.ts'
import { walkSumPath } from './sumpath.ts'
import type { CheckList, ExternalResult } from './types.ts'

export type TypedPathNode = { hash?: unknown; type?: unknown; height?: unknown }

export type VerifyTypedPathParameters<N extends TypedPathNode> = {
  checks: CheckList
  self: N
  path: N[]
  /** Where a node of this format keeps its balances (`balances` for OKX, `balance` for Bybit). */
  balancesOf: (node: N) => unknown
  /** The leaf as recomputed from the file: its hash and balances. */
  leaf: HashedVector
  /** How the format writes sums before hashing (truncation and decimal form). */
  normalise: (v: Vector) => Vector
  parentHash: (left: string, right: string, sum: Vector, height: number) => string
  finish: FinishSelfPath
}

/** Checks the path from a verified leaf to the root and returns the format's result. */
export function verifyTypedPath<N extends TypedPathNode>(p: VerifyTypedPathParameters<N>): ExternalResult {
  const { checks, self, path, leaf, finish } = p
  const selfVec = leaf.vector
  const read = readPathRoot(checks, path, p.balancesOf, (node) => node.hash)
  if (!read) return finish(selfVec)
  const { node: rootNode, root } = read
  if (
    !checks.check(
      'root type',
      rootNode.type === 3,
      `last path entry has type ${String(rootNode.type)}; the root has type 3`,
    )
  ) {
    return finish(selfVec, root)
  }
  const siblings = path.slice(0, -1)
  if (
    !checks.check(
      'sibling side',
      siblings[0]?.type !== self.type,
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
    const vec = readVector(p.balancesOf(s), label)
    if ('error' in vec) {
      checks.check(label, false, vec.error)
      return finish(selfVec, root)
    }
    // The first sibling's side is the opposite of the leaf's; later ones state their own side.
    const siblingIsLeft = i === 0 ? self.type !== 1 : s.type === 1
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
    leaf,
    steps,
    root: { ...root, label: 'root' },
    normalise: p.normalise,
    parentHash: (l, r, sum, i) => p.parentHash(l, r, sum, i + 2),
  })
  return finish(selfVec, root)
}
