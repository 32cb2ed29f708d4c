/**
 * @module OKX proof-of-reserves v2: a user-info file (`{ hash, nodes, nonce, totalBalances }`) and the
 * full liabilities tree (text, one node per line: `hash,height,{balances JSON}`, levels from the root
 * down, each level listed right to left). Rules, reconstructed from OKX's tool and sample files:
 * - user hash = SHA-256(nonce ‖ totalBalancesJSON); each of the user's leaves has
 *   hash = SHA-256(userHash ‖ bal₁ ‖ bal₂ ‖ …) and the leaves add up to `totalBalances`;
 * - parent = SHA-256(leftHash ‖ rightHash ‖ sum₁ ‖ … ‖ parentHeight), sums truncated to 8 decimals;
 * - a level with an odd number of nodes is padded with a copy of its last node's hash carrying zero
 *   balances.
 * OKX's own tool only looks for the user's leaves; Bulwark recomputes every parent of the tree, which
 * is what makes the full-tree format immune to the sum-max attack.
 */
import {
  addVectors,
  hasNegative,
  readVector,
  sha256Hex,
  type Vector,
  vectorDifference,
  vectorRecord,
} from './balances.ts'
import { GUARANTEES } from './guarantees.ts'
import { okxParentHash, okxTruncate } from './okx-v1.ts'
import { CheckList, type ExternalResult } from './types.ts'

type TreeLine = { hash: string; height: number; vector: Vector; line: number }

export function isOkxV2UserInfo(json: unknown): boolean {
  const j = json as { hash?: unknown; nodes?: unknown; nonce?: unknown; totalBalances?: unknown }
  return (
    typeof j === 'object' &&
    j !== null &&
    Array.isArray(j.nodes) &&
    typeof j.nonce === 'string' &&
    j.totalBalances !== undefined
  )
}

const LINE_RE = /^([0-9a-fA-F]{64}),(\d+),(\{.*\})$/

export function isOkxV2Tree(text: string): boolean {
  const first = text.split('\n', 1)[0]?.trim() ?? ''
  return LINE_RE.test(first)
}

export function okxV2UserHash(nonce: string, total: Record<string, string>): string {
  return sha256Hex(nonce + JSON.stringify(total))
}

export function okxV2LeafHash(userHash: string, balances: Vector): string {
  return sha256Hex(userHash + balances.raw.join(''))
}

function zeroLike(v: Vector): Vector {
  return { keys: v.keys, values: v.values.map(() => ({ units: 0n, scale: 0 })), raw: v.keys.map(() => '0') }
}

/** Verifies the user-info file against the full tree, recomputing the whole tree. */
export function verifyOkxV2(userJson: unknown, treeText: string, files: [string, string]): ExternalResult {
  const checks = new CheckList()
  const u = userJson as {
    hash: string
    nodes: { balances: unknown; hash: string }[]
    nonce: string
    totalBalances: unknown
  }
  let rootOut: ExternalResult['root']
  let balancesOut: Record<string, string> | undefined
  const finish = (): ExternalResult => ({
    format: 'okx-v2',
    files,
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: balancesOut,
    root: rootOut,
    guarantees: GUARANTEES['okx-v2'],
  })
  const fail = (name: string, detail: string): ExternalResult => {
    checks.check(name, false, detail)
    return finish()
  }
  // 1. The user-info file is self-consistent.
  const total = readVector(u.totalBalances, 'totalBalances')
  if ('error' in total) {
    checks.check('user info', false, total.error)
    return finish()
  }
  balancesOut = vectorRecord(total)
  const userHash = okxV2UserHash(u.nonce, vectorRecord(total))
  if (
    !checks.check(
      'user hash',
      userHash === String(u.hash).toLowerCase(),
      `SHA-256(nonce ‖ totalBalances) = ${userHash}, file says ${u.hash}`,
    )
  ) {
    return finish()
  }
  if (!checks.check('user leaves', u.nodes.length > 0, `${u.nodes.length} leaves listed`)) return finish()
  const userLeaves: { hash: string; vector: Vector }[] = []
  let sum: Vector | undefined
  for (const [i, n] of u.nodes.entries()) {
    const v = readVector(n.balances, `leaf ${i + 1}`)
    if ('error' in v) {
      checks.check(`leaf ${i + 1}`, false, v.error)
      return finish()
    }
    const h = okxV2LeafHash(userHash, v)
    if (
      !checks.check(
        `leaf ${i + 1} hash`,
        h === String(n.hash).toLowerCase(),
        `SHA-256(userHash ‖ balances) = ${h}, file says ${n.hash}`,
      )
    ) {
      return finish()
    }
    userLeaves.push({ hash: h, vector: v })
    const next = sum === undefined ? v : addVectors(sum, v, `leaf ${i + 1}`)
    if ('error' in next) {
      checks.check(`leaf ${i + 1}`, false, next.error)
      return finish()
    }
    sum = okxTruncate(next)
  }
  const diff = vectorDifference(sum!, total)
  if (!checks.check('user total', diff === null, diff ?? 'leaves add up to totalBalances')) return finish()

  // 2. Parse the tree, level by level.
  const levels = new Map<number, TreeLine[]>()
  for (const [i, raw] of treeText.split(/\r?\n/).entries()) {
    if (raw.trim() === '') continue
    const m = LINE_RE.exec(raw.trim())
    if (!m) return fail('tree file', `line ${i + 1} is not "hash,height,{balances}"`)
    let parsed: unknown
    try {
      parsed = JSON.parse(m[3]!)
    } catch {
      return fail('tree file', `line ${i + 1}: balances are not JSON`)
    }
    const v = readVector(parsed, `tree line ${i + 1}`)
    if ('error' in v) {
      checks.check('tree file', false, v.error)
      return finish()
    }
    const height = Number(m[2])
    const list = levels.get(height) ?? []
    list.push({ hash: m[1]!.toLowerCase(), height, vector: v, line: i + 1 })
    levels.set(height, list)
  }
  const top = Math.max(...levels.keys())
  for (let h = 1; h <= top; h++) {
    if (!levels.has(h)) {
      checks.check('tree file', false, `no nodes at height ${h}`)
      return finish()
    }
  }
  const rootLevel = levels.get(top)!
  if (
    !checks.check(
      'root',
      rootLevel.length === 1,
      `height ${top} has ${rootLevel.length} nodes; the root level has one`,
    )
  )
    return finish()
  const root = rootLevel[0]!
  rootOut = { hash: root.hash, balances: vectorRecord(root.vector) }

  // 3. The user's leaves are at height 1 with the same balances.
  const leaves = levels.get(1)!
  for (const [i, mine] of userLeaves.entries()) {
    const found = leaves.find((l) => l.hash === mine.hash)
    if (
      !checks.check(
        `leaf ${i + 1} in tree`,
        found !== undefined,
        found ? `line ${found.line}` : `${mine.hash} is not a leaf of the tree`,
      )
    ) {
      return finish()
    }
    const d = vectorDifference(found!.vector, mine.vector)
    if (!checks.check(`leaf ${i + 1} balances`, d === null, d ? `tree line ${found!.line}: ${d}` : 'equal'))
      return finish()
  }
  const negatives = leaves.filter((l) => hasNegative(l.vector) !== null).length
  if (negatives > 0) checks.warn(`${negatives} leaves carry a negative balance`)

  // 4. Recompute every parent. Levels are listed right to left; read them left to right.
  for (let h = 1; h < top; h++) {
    const children = [...levels.get(h)!].reverse()
    const label = `height ${h + 1}`
    if (children.length % 2 !== 0) {
      return fail(label, `height ${h} has ${children.length} nodes; levels are padded to an even count`)
    }
    const computed: { hash: string; vector: Vector }[] = []
    for (let i = 0; i < children.length; i += 2) {
      const l = children[i]!
      const r = children[i + 1]!
      const s = addVectors(l.vector, r.vector, label)
      if ('error' in s) {
        checks.check(label, false, s.error)
        return finish()
      }
      const norm = okxTruncate(s)
      computed.push({ hash: okxParentHash(l.hash, r.hash, norm, h + 1), vector: norm })
    }
    const stated = [...levels.get(h + 1)!].reverse()
    if (computed.length % 2 === 1 && h + 1 < top) {
      const last = computed[computed.length - 1]!
      computed.push({ hash: last.hash, vector: zeroLike(last.vector) })
    }
    if (stated.length !== computed.length) {
      return fail(label, `height ${h + 1} lists ${stated.length} nodes; its children make ${computed.length}`)
    }
    for (const [i, c] of computed.entries()) {
      const s = stated[i]!
      if (c.hash !== s.hash) {
        return fail(
          label,
          `node ${i + 1} (tree line ${s.line}): hash should be ${c.hash}, file has ${s.hash}`,
        )
      }
      const d = vectorDifference(c.vector, s.vector)
      if (d) {
        checks.check(label, false, `node ${i + 1} (tree line ${s.line}): ${d}`)
        return finish()
      }
    }
    checks.check(label, true, `${computed.length} parents recomputed from their children`)
  }
  return finish()
}
