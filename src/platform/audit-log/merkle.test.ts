import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  consistencyProof,
  consistencyRanges,
  EMPTY_ROOT,
  inclusionProof,
  inclusionRanges,
  leafHash,
  merkleRoot,
  RangeHasher,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'

// The RFC 6962 reference leaves and tree heads (as published with Certificate Transparency's
// reference implementations), used as data.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => leafHash(hexToBytes(h)))
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
const CT_INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
]
const CT_CONSISTENCY = [
  {
    first: 2,
    second: 8,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    first: 6,
    second: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    first: 2,
    second: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
]

const hex = (hashes: Uint8Array[]) => hashes.map(bytesToHex)
const root = (n: number) => hexToBytes(CT_ROOTS[n]!)

describe('Merkle tree (RFC 9162 §2.1)', () => {
  it('gives the reference tree head for every size from 0 to 8', () => {
    expect(bytesToHex(EMPTY_ROOT)).toBe(CT_ROOTS[0])
    for (let n = 0; n <= 8; n++) expect(bytesToHex(merkleRoot(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n])
  })

  it('streams to the same heads as the recursive definition', () => {
    const hasher = new RangeHasher([], [0, 1, 2, 3, 4, 5, 6, 7, 8])
    for (const leaf of CT_LEAVES) hasher.push(leaf)
    for (let n = 0; n <= 8; n++) expect(bytesToHex(hasher.rootAt(n))).toBe(CT_ROOTS[n])
  })

  it('produces and accepts the reference inclusion proofs', () => {
    for (const v of CT_INCLUSION) {
      expect(hex(inclusionProof(CT_LEAVES.slice(0, v.size), v.index))).toEqual(v.proof)
      const proof = v.proof.map((h) => hexToBytes(h))
      expect(verifyInclusion(CT_LEAVES[v.index]!, v.index, v.size, proof, root(v.size))).toBe(true)
    }
  })

  it('produces and accepts the reference consistency proofs', () => {
    for (const v of CT_CONSISTENCY) {
      expect(hex(consistencyProof(CT_LEAVES.slice(0, v.second), v.first))).toEqual(v.proof)
      const proof = v.proof.map((h) => hexToBytes(h))
      expect(verifyConsistency(v.first, v.second, root(v.first), root(v.second), proof)).toBe(true)
    }
  })

  it('treats equal sizes and the empty tree as the RFC describes', () => {
    expect(verifyConsistency(4, 4, root(4), root(4), [])).toBe(true)
    expect(verifyConsistency(4, 4, root(4), root(5), [])).toBe(false)
    expect(verifyConsistency(0, 8, EMPTY_ROOT, root(8), [])).toBe(true)
    expect(verifyConsistency(0, 8, root(1), root(8), [])).toBe(false)
    expect(verifyConsistency(6, 8, root(6), root(8), [])).toBe(false)
    expect(verifyConsistency(8, 6, root(8), root(6), [])).toBe(false)
    expect(verifyInclusion(CT_LEAVES[5]!, 8, 8, [], root(8))).toBe(false)
  })
})

// A proof alone does not pin the tree size (a path for leaf 0 of 5 also fits 6): the signed tree
// head binds size and root together, so the properties below alter everything but the size.
// Leaves 0..n-1 with distinct contents, and arbitrary tree sizes up to 70 (every shape of the
// recursion: powers of two, one more, one less).
const leaves = Array.from({ length: 70 }, (_, i) => leafHash(new Uint8Array([i, i >> 8, 0xa5])))
const flip = (h: Uint8Array, bit: number) => {
  const copy = new Uint8Array(h)
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

describe('Merkle proofs, properties', () => {
  const sizeAndIndex = fc
    .integer({ min: 1, max: 70 })
    .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })))
  const sizes = fc
    .integer({ min: 1, max: 70 })
    .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)))

  it('verifies every inclusion proof, computed in memory or streamed', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, m]) => {
        const tree = leaves.slice(0, n)
        const proof = inclusionProof(tree, m)
        const hasher = new RangeHasher(inclusionRanges(m, n), [n])
        for (const leaf of tree) hasher.push(leaf)
        expect(hex(hasher.rangeHashes())).toEqual(hex(proof))
        expect(verifyInclusion(tree[m]!, m, n, proof, hasher.rootAt(n))).toBe(true)
      }),
    )
  })

  it('rejects an inclusion proof with an altered leaf, root, index or node', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.integer({ min: 0, max: 255 }), ([n, m], bit) => {
        const tree = leaves.slice(0, n)
        const proof = inclusionProof(tree, m)
        const r = merkleRoot(tree)
        expect(verifyInclusion(flip(tree[m]!, bit), m, n, proof, r)).toBe(false)
        expect(verifyInclusion(tree[m]!, m, n, proof, flip(r, bit))).toBe(false)
        if (n > 1) expect(verifyInclusion(tree[m]!, (m + 1) % n, n, proof, r)).toBe(false)
        if (proof.length > 0) {
          const i = bit % proof.length
          const altered = proof.map((p, j) => (j === i ? flip(p, bit) : p))
          expect(verifyInclusion(tree[m]!, m, n, altered, r)).toBe(false)
          expect(verifyInclusion(tree[m]!, m, n, proof.slice(1), r)).toBe(false)
        }
      }),
    )
  })

  it('verifies every consistency proof, computed in memory or streamed', () => {
    fc.assert(
      fc.property(sizes, ([m, n]) => {
        const tree = leaves.slice(0, n)
        const proof = consistencyProof(tree, m)
        const hasher = new RangeHasher(consistencyRanges(m, n), [m, n])
        for (const leaf of tree) hasher.push(leaf)
        expect(hex(hasher.rangeHashes())).toEqual(hex(proof))
        expect(verifyConsistency(m, n, hasher.rootAt(m), hasher.rootAt(n), proof)).toBe(true)
      }),
    )
  })

  it('rejects a consistency proof with an altered root, node or old leaf', () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 255 }), ([m, n], bit) => {
        const tree = leaves.slice(0, n)
        const proof = consistencyProof(tree, m)
        const r1 = merkleRoot(tree.slice(0, m))
        const r2 = merkleRoot(tree)
        expect(verifyConsistency(m, n, flip(r1, bit), r2, proof)).toBe(false)
        expect(verifyConsistency(m, n, r1, flip(r2, bit), proof)).toBe(false)
        // A rewritten old entry: the old head no longer matches the new tree.
        const rewritten = tree.map((l, i) => (i === bit % m ? flip(l, bit) : l))
        expect(verifyConsistency(m, n, r1, merkleRoot(rewritten), consistencyProof(rewritten, m))).toBe(false)
        if (m < n) {
          const i = bit % proof.length
          const altered = proof.map((p, j) => (j === i ? flip(p, bit) : p))
          expect(verifyConsistency(m, n, r1, r2, altered)).toBe(false)
        }
      }),
    )
  })
})
