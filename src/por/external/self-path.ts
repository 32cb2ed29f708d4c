/**
 * @module What the `{ self, path }` proof files of OKX v1, Bybit and Bitget have in common before
 * their path rules differ: the result they report, the check of the user's leaf against its
 * balances, and reading the root off the end of the path. Each format supplies its hash rules and
 * walks its own path (typed-path.ts for OKX v1 and Bybit, bitget.ts for Bitget's levels).
 */
import { readVector, type Vector, vectorRecord } from './balances.ts'
import { GUARANTEES } from './guarantees.ts'
import { CheckList, type ExternalFormat, type ExternalResult } from './types.ts'

/** A hash with the balances it commits to. */
export type HashedVector = { hash: string; vector: Vector }

/** Builds the format's result from the checks so far, the user's balances and the root, when read. */
export type FinishSelfPath = (balances?: Vector, root?: HashedVector) => ExternalResult

export type VerifySelfPathParameters = {
  format: ExternalFormat
  file: string
  /** The leaf's balances as the file holds them. */
  balances: unknown
  /** The leaf hash recomputed from the balances. */
  leafHash: (balances: Vector) => string
  /** How the leaf hash is computed, for the failure message, e.g. `SHA-256(nonce ‖ balances)`. */
  leafRule: string
  /** The leaf hash as the file states it. */
  statedHash: unknown
  /** Brings the stated hash to the computed hash's form (case, `0x`) before comparing. */
  normaliseStated?: (stated: string) => string
  /** Checks the path from the verified leaf to the root. */
  walk: (p: { checks: CheckList; leaf: HashedVector; finish: FinishSelfPath }) => ExternalResult
}

/**
 * Checks the user's leaf, then hands over to the format's path walk.
 * @example verifySelfPath({ format: 'bybit', file, balances: j.self.balance, leafHash, leafRule, statedHash: j.self.hash, walk })
 */
export function verifySelfPath(p: VerifySelfPathParameters): ExternalResult {
  const checks = new CheckList()
  const finish: FinishSelfPath = (balances, root) => ({
    format: p.format,
    files: [p.file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: balances ? vectorRecord(balances) : undefined,
    root: root ? { hash: root.hash, balances: vectorRecord(root.vector) } : undefined,
    guarantees: GUARANTEES[p.format],
  })
  const selfVec = readVector(p.balances, 'self')
  if ('error' in selfVec) {
    checks.check('self', false, selfVec.error)
    return finish()
  }
  const leaf = p.leafHash(selfVec)
  const stated = String(p.statedHash)
  if (
    !checks.check(
      'leaf',
      leaf === (p.normaliseStated ? p.normaliseStated(stated) : stated),
      `${p.leafRule} = ${leaf}, file says ${stated}`,
    )
  ) {
    return finish(selfVec)
  }
  return p.walk({ checks, leaf: { hash: leaf, vector: selfVec }, finish })
}

/**
 * Checks that the path holds at least a sibling and the root, and reads the root (its last entry);
 * undefined, with the failed check recorded, when it cannot.
 */
export function readPathRoot<N>(
  checks: CheckList,
  path: N[],
  balancesOf: (node: N) => unknown,
  hashOf: (node: N) => unknown,
): { node: N; root: HashedVector } | undefined {
  if (
    !checks.check(
      'path length',
      path.length >= 2,
      `${path.length} entries (need at least a sibling and the root)`,
    )
  ) {
    return undefined
  }
  const node = path[path.length - 1]!
  const vector = readVector(balancesOf(node), 'root')
  if ('error' in vector) {
    checks.check('root', false, vector.error)
    return undefined
  }
  return { node, root: { hash: String(hashOf(node)), vector } }
}
