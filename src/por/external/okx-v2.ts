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
import { addVectors, readVector, sha256Hex, type Vector, vectorDifference, vectorRecord } from './balances.ts'
import { GUARANTEES } from './guarantees.ts'
import { okxParentHash, okxTruncate } from './okx-v1.ts'
import { CheckList, type ExternalResult } from './types.ts'

type TreeLine = { hash: string; height: number; vector: Vector; line: number }

/**
 * Where the tree's lines come from: an in-memory text (tests, the browser) or a file streamed from
 * disk (real OKX trees run to gigabytes). `lines(from)` yields lines starting at a position returned
 * earlier as `pos` (a line index for text, a byte offset for files).
 */
export type TreeSource = {
  lines(from?: number): AsyncIterable<{ text: string; line: number; pos: number }>
}

/** A tree held in memory. */
export function textTreeSource(text: string): TreeSource {
  const all = text.split(/\r?\n/)
  return {
    async *lines(from = 0) {
      for (let i = from; i < all.length; i++) yield { text: all[i] ?? '', line: i + 1, pos: i }
    },
  }
}

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
const HEAD_RE = /^([0-9a-fA-F]{64}),(\d+),\{/

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

/**
 * Verifies the user-info file against the full tree, recomputing every parent of the tree. Memory
 * stays constant in the tree size: each level is checked against its parent level with two cursors
 * reading the source side by side (both levels are listed right to left, so they line up).
 */
export async function verifyOkxV2(
  userJson: unknown,
  tree: string | TreeSource,
  files: [string, string],
): Promise<ExternalResult> {
  const source = typeof tree === 'string' ? textTreeSource(tree) : tree
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
  if ('error' in total) return fail('user info', total.error)
  balancesOut = vectorRecord(total)
  const userHash = okxV2UserHash(u.nonce, vectorRecord(total))
  if (userHash !== String(u.hash).toLowerCase()) {
    return fail('user hash', `SHA-256(nonce ‖ totalBalances) = ${userHash}, file says ${u.hash}`)
  }
  checks.check('user hash', true, `SHA-256(nonce ‖ totalBalances) = ${userHash}`)
  if (!Array.isArray(u.nodes) || u.nodes.length === 0) return fail('user leaves', 'no leaves listed')
  const userLeaves: { hash: string; vector: Vector }[] = []
  let sum: Vector | undefined
  for (const [i, n] of u.nodes.entries()) {
    const v = readVector(n.balances, `leaf ${i + 1}`)
    if ('error' in v) return fail(`leaf ${i + 1}`, v.error)
    const h = okxV2LeafHash(userHash, v)
    if (h !== String(n.hash).toLowerCase()) {
      return fail(`leaf ${i + 1} hash`, `SHA-256(userHash ‖ balances) = ${h}, file says ${n.hash}`)
    }
    checks.check(`leaf ${i + 1} hash`, true, `SHA-256(userHash ‖ balances) = ${h}`)
    userLeaves.push({ hash: h, vector: v })
    const next = sum === undefined ? v : addVectors(sum, v, `leaf ${i + 1}`)
    if ('error' in next) return fail(`leaf ${i + 1}`, next.error)
    sum = okxTruncate(next)
  }
  const diff = vectorDifference(sum!, total)
  if (diff) return fail('user total', diff)
  checks.check('user total', true, 'leaves add up to totalBalances')

  // 2. First pass: level boundaries, the root, the user's leaves, negative leaves.
  const levels = new Map<number, { pos: number; line: number; count: number }>()
  const found = new Map<string, TreeLine>()
  const wanted = new Set(userLeaves.map((l) => l.hash))
  let root: TreeLine | undefined
  let previous: number | undefined
  let negatives = 0
  for await (const { text, line, pos } of source.lines()) {
    if (text.trim() === '') continue
    // Cheap scan: hash and height only. Every line is fully parsed later, when its level is checked.
    const m = HEAD_RE.exec(text)
    if (!m) return fail('tree file', `line ${line} is not "hash,height,{balances}"`)
    const height = Number(m[2])
    if (root === undefined) {
      const parsed = parseTreeLine(text, line)
      if ('error' in parsed) return fail('tree file', parsed.error)
      root = parsed
    }
    const level = levels.get(height)
    if (level) level.count++
    else {
      if (previous !== undefined && height !== previous - 1) {
        return fail(
          'tree file',
          `line ${line}: height ${height} follows height ${previous}; levels must descend by one`,
        )
      }
      levels.set(height, { pos, line, count: 1 })
      previous = height
    }
    if (height === 1) {
      const hash = m[1]!.toLowerCase()
      if (wanted.has(hash) && !found.has(hash)) {
        const parsed = parseTreeLine(text, line)
        if ('error' in parsed) return fail('tree file', parsed.error)
        found.set(hash, parsed)
      }
      if (text.includes('"-')) negatives++
    }
  }
  if (!root) return fail('tree file', 'the tree file is empty')
  const top = root.height
  if (previous !== 1) return fail('tree file', `the tree stops at height ${previous}; leaves are height 1`)
  if (levels.get(top)!.count !== 1)
    return fail('root', `height ${top} has ${levels.get(top)!.count} nodes; the root level has one`)
  checks.check('root', true, `root ${root.hash} at height ${top}`)
  rootOut = { hash: root.hash, balances: vectorRecord(root.vector) }

  // 3. The user's leaves are at height 1 with the same balances.
  for (const [i, mine] of userLeaves.entries()) {
    const leaf = found.get(mine.hash)
    if (!leaf) return fail(`leaf ${i + 1} in tree`, `${mine.hash} is not a leaf of the tree`)
    const d = vectorDifference(leaf.vector, mine.vector)
    if (d) return fail(`leaf ${i + 1} balances`, `tree line ${leaf.line}: ${d}`)
    checks.check(`leaf ${i + 1} in tree`, true, `tree line ${leaf.line}, balances equal`)
  }
  if (negatives > 0) checks.warn(`${negatives} leaves carry a negative balance`)

  // 4. Every parent, level by level, with one cursor on the children and one on the parents.
  for (let h = 1; h < top; h++) {
    const error = await checkLevel(source, levels.get(h)!, levels.get(h + 1)!, h, top)
    if (error) return fail(`height ${h + 1}`, error)
    checks.check(
      `height ${h + 1}`,
      true,
      `${levels.get(h + 1)!.count} nodes recomputed from their ${levels.get(h)!.count} children`,
    )
  }
  return finish()
}

function parseTreeLine(text: string, line: number): TreeLine | { error: string } {
  const m = LINE_RE.exec(text.trim())
  if (!m) return { error: `line ${line} is not "hash,height,{balances}"` }
  let parsed: unknown
  try {
    parsed = JSON.parse(m[3]!)
  } catch {
    return { error: `line ${line}: balances are not JSON` }
  }
  const v = readVector(parsed, `tree line ${line}`)
  if ('error' in v) return v
  return { hash: m[1]!.toLowerCase(), height: Number(m[2]), vector: v, line }
}

async function* take(
  source: TreeSource,
  at: { pos: number; count: number },
): AsyncGenerator<TreeLine | { error: string }> {
  let n = 0
  for await (const { text, line } of source.lines(at.pos)) {
    if (n === at.count) return
    if (text.trim() === '') continue
    n++
    yield parseTreeLine(text, line)
  }
}

/**
 * Checks one level against its parents. Both are listed right to left, so children arrive as
 * (right, left) pairs in the order their parents are listed; a padded parent level starts with the
 * pad (a zero-balance copy of the rightmost real parent).
 */
async function checkLevel(
  source: TreeSource,
  childLevel: { pos: number; count: number },
  parentLevel: { pos: number; count: number },
  h: number,
  top: number,
): Promise<string | null> {
  if (childLevel.count % 2 !== 0)
    return `height ${h} has ${childLevel.count} nodes; levels are padded to an even count`
  const computedCount = childLevel.count / 2
  const padded = computedCount % 2 === 1 && h + 1 < top
  if (parentLevel.count !== computedCount + (padded ? 1 : 0)) {
    return `height ${h + 1} lists ${parentLevel.count} nodes; its children make ${computedCount}${padded ? ' plus a pad' : ''}`
  }
  const children = take(source, childLevel)
  const parents = take(source, parentLevel)
  let pad: TreeLine | undefined
  if (padded) {
    const first = (await parents.next()).value as TreeLine | { error: string } | undefined
    if (!first || 'error' in first) return first?.error ?? 'missing pad node'
    pad = first
  }
  for (let i = 0; i < computedCount; i++) {
    const right = (await children.next()).value as TreeLine | { error: string } | undefined
    const left = (await children.next()).value as TreeLine | { error: string } | undefined
    const stated = (await parents.next()).value as TreeLine | { error: string } | undefined
    if (!right || !left || !stated) return 'the level ends early'
    if ('error' in right) return right.error
    if ('error' in left) return left.error
    if ('error' in stated) return stated.error
    const s = addVectors(left.vector, right.vector, `tree line ${left.line}`)
    if ('error' in s) return s.error
    const norm = okxTruncate(s)
    const hash = okxParentHash(left.hash, right.hash, norm, h + 1)
    if (hash !== stated.hash)
      return `tree line ${stated.line}: hash should be ${hash}, file has ${stated.hash}`
    const d = vectorDifference(norm, stated.vector)
    if (d) return `tree line ${stated.line}: ${d}`
    if (pad && i === 0) {
      if (pad.hash !== hash) return `tree line ${pad.line}: the pad must copy hash ${hash}`
      if (hasNonZero(pad.vector)) return `tree line ${pad.line}: the pad must carry zero balances`
    }
  }
  return null
}

function hasNonZero(v: Vector): boolean {
  return v.values.some((d) => d.units !== 0n)
}
