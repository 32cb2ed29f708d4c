/**
 * @module Verifies a customer's inclusion proof: recomputes the leaf from the user id, nonce and balances, climbs
 * the path adding sibling sums itself (never trusting a parent sum), and compares the root commitment. Every step
 * is reported as a named check so a failure says which level, which asset sum or which hash. Browser-safe.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import {
  type Balance,
  bytesEqual,
  encodeLeafBalances,
  leafAsNode,
  leafHash,
  MODE_MERKLE_SUM,
  nodeSize,
  POR_VERSION,
  parentInto,
  readUintBE,
  rootCommitment,
  type Sha256,
  toHex,
  userHash,
} from './layout.ts'
import type { PorProof } from './proof.ts'

/** One named verification step. `ok: false` on the first failing step tells exactly what is wrong. */
export interface Check {
  name: string
  ok: boolean
  detail: string
  piece?: number
  level?: number
  asset?: string
  hash?: string
}

/** A node on the verified path, as recomputed by the verifier. */
export interface PathStep {
  level: number
  /** 'left' when the path node is the left child at this level. */
  side: 'left' | 'right'
  siblingHash: string
  siblingSums: Balance[]
  /** The recomputed parent (level + 1). */
  parentHash: string
  parentSums: Balance[]
}

export interface VerifiedPiece {
  position: number
  userHash: string
  leafHash: string
  balances: Balance[]
  path: PathStep[]
}

export interface VerifyResult {
  ok: boolean
  checks: Check[]
  /** The first failed check, if any. */
  failed?: Check
  roundId: string
  userId: string
  computedRoot: string
  /** Sums at the top of the tree as recomputed from the (first) path: the round's total liabilities. */
  totals: { symbol: string; equity: bigint; debt: bigint }[]
  pieces: VerifiedPiece[]
}

export interface VerifyOptions {
  /** SHA-256 to use; defaults to @noble/hashes. */
  sha256?: Sha256
  /** The root commitment published by the exchange (from its site, not from the proof). */
  expectedRoot?: Uint8Array
  /** Published per-asset totals to compare against the recomputed top sums. */
  publishedTotals?: readonly { symbol: string; equity: bigint; debt: bigint }[]
  /**
   * Node record stored in the round at (level, index), when verifying against a full round directory; lets the
   * verifier pinpoint the first level where the proof and the round disagree. Undefined for unstored levels.
   */
  reference?: (level: number, index: number) => Uint8Array | undefined
}

/** Decodes the u128 sum vector of a node record. */
export function nodeSums(record: Uint8Array, assetCount: number): Balance[] {
  const out: Balance[] = []
  for (let k = 0; k < assetCount; k++) {
    out.push({ equity: readUintBE(record, 32 + k * 32, 16), debt: readUintBE(record, 32 + k * 32 + 16, 16) })
  }
  return out
}

function encodeNode(hash: Uint8Array, sums: readonly Balance[]): Uint8Array {
  const out = new Uint8Array(nodeSize(sums.length))
  out.set(hash, 0)
  const view = new DataView(out.buffer)
  sums.forEach((s, k) => {
    for (const [j, v] of [s.equity, s.debt].entries()) {
      const off = 32 + k * 32 + j * 16
      view.setBigUint64(off, v >> 64n)
      view.setBigUint64(off + 8, v & 0xffffffffffffffffn)
    }
  })
  return out
}

function indexAt(position: number, level: number): number {
  return Math.floor(position / 2 ** level)
}

/**
 * Verifies `proof`. Returns every check performed; `ok` is true only if all passed.
 *
 * @example
 *   const r = verifyProof(parseProofFile(bytes), { expectedRoot: fromHex(publishedRoot) })
 *   if (!r.ok) console.log(r.failed?.detail)
 */
export function verifyProof(proof: PorProof, options: VerifyOptions = {}): VerifyResult {
  const sha256 = options.sha256 ?? nobleSha256
  const checks: Check[] = []
  const k = proof.assets.length
  const symbols = proof.assets.map((a) => a.symbol)
  const add = (c: Check) => {
    checks.push(c)
    return c.ok
  }
  const result = (
    computedRoot: string,
    totals: VerifyResult['totals'],
    pieces: VerifiedPiece[],
  ): VerifyResult => {
    const failed = checks.find((c) => !c.ok)
    return {
      ok: !failed,
      checks,
      ...(failed ? { failed } : {}),
      roundId: proof.roundId,
      userId: proof.userId,
      computedRoot,
      totals,
      pieces,
    }
  }

  // A proof built in memory (not parsed) gets the same version and mode rule as a parsed one.
  const known = proof.version === POR_VERSION && proof.mode === MODE_MERKLE_SUM
  if (
    !add({
      name: 'version',
      ok: known,
      detail: known
        ? `version ${proof.version}, mode ${proof.mode}`
        : `unsupported version ${proof.version} / mode ${proof.mode} (this verifier knows version ${POR_VERSION}, mode ${MODE_MERKLE_SUM})`,
    })
  )
    return result('', [], [])

  const dupSymbol = symbols.find((s, i) => symbols.indexOf(s) !== i)
  const shapeOk = add({
    name: 'shape',
    ok:
      dupSymbol === undefined &&
      proof.pieces.length > 0 &&
      proof.pieces.every((p) => p.balances.length === k && p.siblings.length === proof.depth) &&
      proof.pieces.every((p) => p.siblings.every((s) => s.sums.length === k && s.hash.length === 32)),
    detail:
      dupSymbol !== undefined
        ? `asset ${dupSymbol} is listed twice`
        : `${proof.pieces.length} leaf path(s) of ${proof.depth} levels over ${k} assets`,
  })
  if (!shapeOk) {
    checks[checks.length - 1]!.detail =
      `proof does not have ${proof.depth} siblings of ${k} assets per leaf path`
    return result('', [], [])
  }

  const distinct = new Set(proof.pieces.map((p) => p.position)).size === proof.pieces.length
  add({
    name: 'distinct-leaves',
    ok: distinct,
    detail: distinct
      ? 'every leaf of the user is at its own position'
      : 'two leaves of the user share a position',
  })

  const size = nodeSize(k)
  const pair = new Uint8Array(2 * size)
  const scratch = new Uint8Array(8 + 2 * size)
  const pieces: VerifiedPiece[] = []
  let firstRoot = ''
  let totals: VerifyResult['totals'] = []

  proof.pieces.forEach((piece, p) => {
    const inRange = piece.position >= 0 && piece.position < 2 ** proof.depth
    if (!add({ name: 'position', ok: inRange, piece: p, detail: `leaf position ${piece.position}` })) return
    let balances: Uint8Array
    try {
      balances = encodeLeafBalances(piece.balances, symbols)
    } catch (e) {
      add({ name: 'leaf-range', ok: false, piece: p, detail: (e as Error).message })
      return
    }
    add({ name: 'leaf-range', ok: true, piece: p, detail: 'every balance component is in [0, 2^64)' })
    const uid = userHash(sha256, piece.nonce, proof.userId)
    const leaf = leafHash(sha256, uid, balances)
    let node = leafAsNode(leaf, balances)
    const verified: VerifiedPiece = {
      position: piece.position,
      userHash: toHex(uid),
      leafHash: toHex(leaf),
      balances: piece.balances,
      path: [],
    }
    let consistent = true
    for (let l = 0; l < proof.depth && consistent; l++) {
      const sib = piece.siblings[l]!
      const sibling = encodeNode(sib.hash, sib.sums)
      const index = indexAt(piece.position, l)
      if (options.reference) consistent = compareWithRound(options.reference, l, index, node, sibling, p)
      const right = index % 2 === 1
      pair.set(right ? sibling : node, 0)
      pair.set(right ? node : sibling, size)
      const parent = new Uint8Array(size)
      const overflow = parentInto(sha256, pair, scratch, parent, 0)
      if (overflow >= 0) {
        const asset = symbols[overflow >> 1]!
        add({
          name: 'sum-overflow',
          ok: false,
          piece: p,
          level: l + 1,
          asset,
          detail: `level ${l + 1}: ${asset} ${overflow % 2 ? 'debt' : 'equity'} sum overflows 2^128`,
        })
        return
      }
      verified.path.push({
        level: l,
        side: right ? 'right' : 'left',
        siblingHash: toHex(sib.hash),
        siblingSums: sib.sums,
        parentHash: toHex(parent.subarray(0, 32)),
        parentSums: nodeSums(parent, k),
      })
      node = parent
    }
    if (!consistent) return
    if (options.reference) {
      consistent = compareWithRound(options.reference, proof.depth, 0, node, undefined, p)
      if (!consistent) return
    }
    const computed = toHex(rootCommitment(sha256, proof.roundId, proof.depth, proof.assets, node))
    add({
      name: 'root',
      ok: computed === toHex(proof.root),
      piece: p,
      hash: computed,
      detail:
        computed === toHex(proof.root)
          ? `path ${p} recomputes the root ${computed}`
          : `path ${p} recomputes root ${computed} but the proof claims ${toHex(proof.root)}: a balance, nonce, ` +
            'sibling hash or sibling sum on the path was changed, or the siblings are out of order',
    })
    if (p === 0) {
      firstRoot = computed
      totals = nodeSums(node, k).map((s, i) => ({ symbol: symbols[i]!, ...s }))
    }
    pieces.push(verified)
  })

  function compareWithRound(
    reference: NonNullable<VerifyOptions['reference']>,
    level: number,
    index: number,
    node: Uint8Array,
    sibling: Uint8Array | undefined,
    p: number,
  ): boolean {
    for (const [what, rec, idx] of [
      ['path node', node, index],
      ['sibling', sibling, index ^ 1],
    ] as const) {
      if (!rec) continue
      const stored = reference(level, idx)
      if (!stored || bytesEqual(stored, rec)) continue
      if (
        !bytesEqual(stored.subarray(0, 32), rec.subarray(0, 32)) &&
        bytesEqual(stored.subarray(32), rec.subarray(32))
      ) {
        return add({
          name: 'round-node',
          ok: false,
          piece: p,
          level,
          hash: toHex(rec.subarray(0, 32)),
          detail: `level ${level} ${what} #${idx}: hash ${toHex(rec.subarray(0, 32))} but the round has ${toHex(stored.subarray(0, 32))}`,
        })
      }
      const mine = nodeSums(rec, k)
      const theirs = nodeSums(stored, k)
      for (let a = 0; a < k; a++) {
        for (const part of ['equity', 'debt'] as const) {
          if (mine[a]![part] !== theirs[a]![part]) {
            return add({
              name: 'round-node',
              ok: false,
              piece: p,
              level,
              asset: symbols[a]!,
              detail: `level ${level} ${what} #${idx}: ${symbols[a]} ${part} sum is ${mine[a]![part]} but the round has ${theirs[a]![part]}`,
            })
          }
        }
      }
    }
    return true
  }

  const roots = new Set(checks.filter((c) => c.name === 'root').map((c) => c.hash))
  if (proof.pieces.length > 1 && roots.size > 1) {
    add({ name: 'same-root', ok: false, detail: 'the leaves of this user do not lead to the same root' })
  }
  if (options.expectedRoot) {
    const expected = toHex(options.expectedRoot)
    add({
      name: 'published-root',
      ok: firstRoot === expected,
      hash: firstRoot,
      detail:
        firstRoot === expected
          ? `matches the published root ${expected}`
          : `recomputed root ${firstRoot || '(none)'} is not the published root ${expected}`,
    })
  }
  if (options.publishedTotals && totals.length > 0) {
    for (const t of options.publishedTotals) {
      const mine = totals.find((x) => x.symbol === t.symbol)
      for (const part of ['equity', 'debt'] as const) {
        const ok = mine !== undefined && mine[part] === t[part]
        add({
          name: 'published-total',
          ok,
          asset: t.symbol,
          detail: ok
            ? `${t.symbol} ${part} total ${t[part]}`
            : `${t.symbol} ${part} total published as ${t[part]} but the tree sums to ${mine?.[part] ?? 'nothing'}`,
        })
      }
    }
  }
  return result(firstRoot, totals, pieces)
}
