import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildMemTree, memTreeProof } from '../memtree.ts'
import {
  type AssetRef,
  type Balance,
  encodeLeafBalances,
  leafAsNode,
  leafHash,
  nodeSize,
  padKey,
  padNode,
  rootCommitment,
  userHash,
  userNonce,
  writeUintBE,
} from './layout.ts'
import {
  decodeProof,
  encodeProof,
  type PorProof,
  parseProofFile,
  proofFromJson,
  proofToJson,
} from './proof.ts'
import { nodeSums, verifyProof } from './verify.ts'

const assets: AssetRef[] = [
  { symbol: 'BTC', decimals: 8 },
  { symbol: 'ETH', decimals: 10 },
  { symbol: 'USDT', decimals: 6 },
]
const secret = new Uint8Array(32).fill(9)
const bal = (...xs: [number, number][]): Balance[] =>
  xs.map(([e, d]) => ({ equity: BigInt(e), debt: BigInt(d) }))
const leaves = Array.from({ length: 11 }, (_, i) => ({
  userId: `user-${i}`,
  piece: 0,
  balances: bal([i * 1000 + 1, 0], [i * 7, i % 3 === 0 ? 5 : 0], [100_000 + i, 0]),
}))
const tree = buildMemTree({ sha256, roundId: '2026-11', roundSecret: secret, depth: 5, assets, leaves })
const bigMax = (a: bigint, b: bigint) => (a > b ? a : b)
const clone = (p: PorProof): PorProof => decodeProof(encodeProof(p))

describe('verifyProof', () => {
  it('accepts an untouched proof for every user and reports the round totals', () => {
    for (const leaf of leaves) {
      const result = verifyProof(clone(memTreeProof(tree, leaf.userId)), { expectedRoot: tree.root })
      expect(result.failed).toBeUndefined()
      expect(result.ok).toBe(true)
      expect(result.pieces[0]!.path).toHaveLength(5)
    }
    const btc = leaves.reduce((s, l) => s + l.balances[0]!.equity, 0n)
    const result = verifyProof(memTreeProof(tree, 'user-4'))
    expect(result.totals[0]).toEqual({ symbol: 'BTC', equity: btc, debt: 0n })
  })

  it('rejects a changed balance in the leaf, naming the root check', () => {
    const proof = clone(memTreeProof(tree, 'user-3'))
    proof.pieces[0]!.balances[2]!.equity += 1n
    const result = verifyProof(proof, { expectedRoot: tree.root })
    expect(result.ok).toBe(false)
    expect(result.failed?.name).toBe('root')
  })

  it('rejects a lowered sibling sum at every level of the path', () => {
    for (let level = 0; level < 5; level++) {
      const proof = clone(memTreeProof(tree, 'user-2'))
      const sums = proof.pieces[0]!.siblings[level]!.sums[0]!
      if (sums.equity === 0n) continue
      sums.equity -= 1n
      const result = verifyProof(proof, { expectedRoot: tree.root })
      expect(result.ok, `level ${level}`).toBe(false)
      expect(result.failed?.name).toBe('root')
    }
  })

  it('names the level and asset of a lowered sibling sum when given the round to compare against', () => {
    const proof = clone(memTreeProof(tree, 'user-2'))
    proof.pieces[0]!.siblings[2]!.sums[1]!.equity -= 3n
    const reference = (level: number, index: number) => tree.levels[level]?.[index]
    const result = verifyProof(proof, { expectedRoot: tree.root, reference })
    expect(result.failed).toMatchObject({ name: 'round-node', level: 2, asset: 'ETH' })
    expect(result.failed?.detail).toMatch(/level 2 sibling #\d+: ETH equity sum is \d+ but the round has \d+/)
  })

  it('names the level and hash of a changed sibling hash when given the round', () => {
    const proof = clone(memTreeProof(tree, 'user-7'))
    proof.pieces[0]!.siblings[3]!.hash[0]! ^= 1
    const reference = (level: number, index: number) => tree.levels[level]?.[index]
    const result = verifyProof(proof, { reference })
    expect(result.failed).toMatchObject({ name: 'round-node', level: 3 })
    expect(result.failed?.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rejects siblings given in the wrong order', () => {
    const proof = clone(memTreeProof(tree, 'user-5'))
    const s = proof.pieces[0]!.siblings
    ;[s[1], s[2]] = [s[2]!, s[1]!]
    expect(verifyProof(proof, { expectedRoot: tree.root }).failed?.name).toBe('root')
  })

  it('rejects a proof whose leaf position was changed (left/right swapped)', () => {
    const proof = clone(memTreeProof(tree, 'user-5'))
    proof.pieces[0]!.position ^= 1
    expect(verifyProof(proof, { expectedRoot: tree.root }).ok).toBe(false)
  })

  it('rejects a proof checked against another published root', () => {
    const other = buildMemTree({ sha256, roundId: '2026-12', roundSecret: secret, depth: 5, assets, leaves })
    const result = verifyProof(memTreeProof(tree, 'user-1'), { expectedRoot: other.root })
    expect(result.failed?.name).toBe('published-root')
  })

  it('catches the sum-max attack: a parent carrying max(children) instead of their sum', () => {
    // A malicious prover builds the tree with max() at every parent, which shrinks the published totals. Because
    // parents commit to each child's sums and the verifier adds them itself, the user's recomputed root differs.
    const k = assets.length
    const size = nodeSize(k)
    const key = padKey(sha256, secret)
    let level = leaves.map((l) => {
      const b = encodeLeafBalances(l.balances)
      return leafAsNode(
        leafHash(sha256, userHash(sha256, userNonce(sha256, secret, l.userId, 0), l.userId), b),
        b,
      )
    })
    const levels = [level]
    for (let l = 0; l < 5; l++) {
      if (level.length % 2) level.push(padNode(sha256, key, l, level.length, k))
      const next: Uint8Array[] = []
      for (let i = 0; i < level.length; i += 2) {
        const a = level[i]!
        const b = level[i + 1]!
        const parent = new Uint8Array(size)
        parent.set(sha256(new Uint8Array([...[0x42, 0x57, 0x50, 0x4f, 0x52, 1, 1, 4], ...a, ...b])), 0)
        nodeSums(a, k).forEach((s, j) => {
          const t = nodeSums(b, k)[j]!
          writeUintBE(parent, 32 + j * 32, 16, bigMax(s.equity, t.equity), 'max')
          writeUintBE(parent, 48 + j * 32, 16, bigMax(s.debt, t.debt), 'max')
        })
        next.push(parent)
      }
      level = next
      levels.push(level)
    }
    const forgedRoot = rootCommitment(sha256, '2026-11', 5, assets, level[0]!)
    const proof: PorProof = { ...memTreeProof(tree, 'user-6'), root: forgedRoot }
    proof.pieces[0]!.siblings = proof.pieces[0]!.siblings.map((_, l) => {
      const sib = levels[l]![Math.floor(6 / 2 ** l) ^ 1]!
      return { hash: sib.slice(0, 32), sums: nodeSums(sib, k) }
    })
    const result = verifyProof(proof, { expectedRoot: forgedRoot })
    expect(result.ok).toBe(false)
    expect(result.failed?.name).toBe('root')
  })

  it('rejects two leaves of one user at the same position (a duplicated leaf)', () => {
    const proof = clone(memTreeProof(tree, 'user-8'))
    proof.pieces.push(clone(memTreeProof(tree, 'user-8')).pieces[0]!)
    expect(verifyProof(proof, { expectedRoot: tree.root }).failed?.name).toBe('distinct-leaves')
  })

  it('rejects another user presenting this proof as theirs', () => {
    const proof = { ...clone(memTreeProof(tree, 'user-8')), userId: 'user-9' }
    expect(verifyProof(proof, { expectedRoot: tree.root }).failed?.name).toBe('root')
  })

  it('compares the recomputed totals with the published totals per asset', () => {
    const proof = memTreeProof(tree, 'user-0')
    const totals = verifyProof(proof).totals.map((t) => ({ ...t }))
    totals[2]!.equity -= 1n
    const result = verifyProof(proof, { publishedTotals: totals })
    expect(result.failed).toMatchObject({ name: 'published-total', asset: 'USDT' })
  })
})

describe('proof encoding', () => {
  const proof = memTreeProof(tree, 'user-10')
  const bytes = encodeProof(proof)

  it('round-trips through the binary and JSON forms', () => {
    expect(encodeProof(decodeProof(bytes))).toEqual(bytes)
    const json = new TextEncoder().encode(JSON.stringify(proofToJson(proof)))
    expect(encodeProof(parseProofFile(json))).toEqual(bytes)
  })

  it('names the field where a truncated proof ends', () => {
    expect(() => decodeProof(bytes.slice(0, bytes.length - 5))).toThrow(/truncated/)
    expect(() => decodeProof(bytes.slice(0, 60))).toThrow(/at byte \d+: proof is truncated/)
  })

  it('refuses trailing bytes', () => {
    expect(() => decodeProof(new Uint8Array([...bytes, 0]))).toThrow(/trailing/)
  })

  it('refuses a leaf amount of 2^64 or more and a negative amount', () => {
    const json = proofToJson(proof)
    json.pieces[0]!.balances[0]!.equity = (1n << 64n).toString()
    expect(() => proofFromJson(json)).toThrow(/balances\[0\]\.equity/)
    json.pieces[0]!.balances[0]!.equity = '-5'
    expect(() => proofFromJson(json)).toThrow(/non-negative/)
    const big = { ...proof, pieces: [{ ...proof.pieces[0]!, balances: bal([0, 0], [0, 0], [0, 0]) }] }
    big.pieces[0]!.balances[1]!.debt = 1n << 64n
    expect(() => encodeLeafBalances(big.pieces[0]!.balances, ['BTC', 'ETH', 'USDT'])).toThrow(/ETH debt/)
    expect(verifyProof(big).failed).toMatchObject({ name: 'leaf-range' })
  })

  it('never accepts a proof with any single byte changed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, x) => {
          const tampered = bytes.slice()
          tampered[at]! ^= x
          let ok: boolean
          try {
            ok = verifyProof(decodeProof(tampered), { expectedRoot: tree.root }).ok
          } catch {
            ok = false
          }
          return !ok
        },
      ),
      { numRuns: 300 },
    )
  })
})
