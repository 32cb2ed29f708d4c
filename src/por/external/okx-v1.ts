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
import { readVector, sha256Hex, type Vector, vectorRecord } from './balances.ts'
import { formatDecStripped, truncDec } from './decimal.ts'
import { GUARANTEES } from './guarantees.ts'
import { walkSumPath } from './sumpath.ts'
import { CheckList, type ExternalResult } from './types.ts'

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
  const checks = new CheckList()
  const j = json as { self: Node; path: Node[] }
  const finish = (balances?: Vector, root?: { hash: string; vector: Vector }): ExternalResult => ({
    format: 'okx-v1',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: balances ? vectorRecord(balances) : undefined,
    root: root ? { hash: root.hash, balances: vectorRecord(root.vector) } : undefined,
    guarantees: GUARANTEES['okx-v1'],
  })
  const selfVec = readVector(j.self.balances, 'self')
  if ('error' in selfVec) {
    checks.check('self', false, selfVec.error)
    return finish()
  }
  const leaf = okxV1LeafHash(String(j.self.nonce), vectorRecord(selfVec))
  if (
    !checks.check(
      'leaf',
      leaf === String(j.self.hash).toLowerCase().replace(/^0x/, ''),
      `SHA-256(nonce ‖ balances) = ${leaf}, file says ${String(j.self.hash)}`,
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
  const rootHash = String(rootNode.hash)
  const root = { hash: rootHash, vector: rootVec }
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
    const vec = readVector(s.balances, label)
    if ('error' in vec) {
      checks.check(label, false, vec.error)
      return finish(selfVec, root)
    }
    // The first sibling's side is the opposite of self's; later ones say their own side.
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
    normalise: okxTruncate,
    parentHash: (l, r, sum, i) => okxParentHash(l, r, sum, i + 2),
  })
  return finish(selfVec, root)
}
