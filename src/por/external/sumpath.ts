/**
 * @module The path walk shared by the "sum-only parent" Merkle formats (OKX v1, Bybit, Bitget): start
 * from the user's leaf, combine with each sibling (left or right as the file says) into a parent
 * whose hash covers both child hashes and the summed balances, and compare the final node with the
 * published root. Each format plugs in its own hashing and number formatting.
 */
import { addVectors, hasNegative, type Vector, vectorDifference } from './balances.ts'
import type { CheckList } from './types.ts'

export type PathStep = { hash: string; vector: Vector; siblingIsLeft: boolean; label: string }

export type SumPathParams = {
  checks: CheckList
  leaf: { hash: string; vector: Vector }
  steps: PathStep[]
  root: { hash: string; vector: Vector; label: string }
  /** Normalises a summed vector the way the exchange does before hashing (truncation, fixed scale…). */
  normalise: (v: Vector) => Vector
  /** Hash of a parent from its children's hashes and its (normalised) sums; `i` is the step index. */
  parentHash: (left: string, right: string, sum: Vector, i: number) => string
}

/** Walks the path; records one check per step and the root comparison. Returns whether all passed. */
export function walkSumPath(p: SumPathParams): boolean {
  let node = { hash: p.leaf.hash, vector: p.leaf.vector }
  for (const [i, step] of p.steps.entries()) {
    const neg = hasNegative(step.vector)
    if (neg)
      p.checks.warn(`${step.label}: the sibling's ${neg} sum is negative (netted debt can hide liabilities)`)
    const sum = addVectors(node.vector, step.vector, step.label)
    if ('error' in sum) return p.checks.check(step.label, false, sum.error)
    const normalised = p.normalise(sum)
    const [left, right] = step.siblingIsLeft ? [step.hash, node.hash] : [node.hash, step.hash]
    node = { hash: p.parentHash(left, right, normalised, i), vector: normalised }
    p.checks.check(
      step.label,
      true,
      `combined with ${step.siblingIsLeft ? 'left' : 'right'} sibling ${step.hash}`,
    )
  }
  const diff = vectorDifference(node.vector, p.root.vector)
  if (diff) return p.checks.check(`${p.root.label} sums`, false, diff)
  p.checks.check(`${p.root.label} sums`, true, 'recomputed totals equal the published root totals')
  if (node.hash.toLowerCase() !== p.root.hash.toLowerCase()) {
    return p.checks.check(
      `${p.root.label} hash`,
      false,
      `recomputed root ${node.hash} differs from the published root ${p.root.hash} (a balance or hash on the path was changed)`,
    )
  }
  return p.checks.check(`${p.root.label} hash`, true, `recomputed root equals ${p.root.hash}`)
}
