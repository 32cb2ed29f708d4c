/**
 * @module Test vectors of the byte layout (docs/por-vectors.json), computed from fixed inputs with the reference
 * code. Run `node src/por/vectors.ts --write` to regenerate; vectors.test.ts checks the file still matches, so
 * the spec, the vectors and the code cannot drift apart.
 */
import { writeFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { buildMemTree, memTreeProof } from './memtree.ts'
import {
  type AssetRef,
  encodeLeafBalances,
  encodeProof,
  leafAsNode,
  leafHash,
  nodeSize,
  padKey,
  padNode,
  parentInto,
  prefix,
  rootCommitment,
  toHex,
  userHash,
  userNonce,
} from './verify/index.ts'

export const VECTORS_PATH = new URL('../../docs/por-vectors.json', import.meta.url)

/** Computes the vectors (all hex, amounts as decimal strings). */
export function generateVectors() {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i)
  const assets: AssetRef[] = [
    { symbol: 'BTC', decimals: 8 },
    { symbol: 'USDT', decimals: 6 },
  ]
  const alice = [
    { equity: 150_000_000n, debt: 0n },
    { equity: 0n, debt: 2_500_000_000n },
  ]
  const nonce = userNonce(sha256, secret, 'alice', 0)
  const uid = userHash(sha256, nonce, 'alice')
  const balances = encodeLeafBalances(alice)
  const leaf = leafHash(sha256, uid, balances)
  const key = padKey(sha256, secret)
  const pad = padNode(sha256, key, 0, 1, 2)
  const pair = new Uint8Array(2 * nodeSize(2))
  pair.set(leafAsNode(leaf, balances), 0)
  pair.set(pad, nodeSize(2))
  const parent = new Uint8Array(nodeSize(2))
  parentInto(sha256, pair, new Uint8Array(8 + pair.length), parent, 0)
  const tree = buildMemTree({
    sha256,
    roundId: 'vectors-1',
    roundSecret: secret,
    depth: 3,
    assets,
    leaves: [
      { userId: 'alice', piece: 0, balances: alice },
      {
        userId: 'bob',
        piece: 0,
        balances: [
          { equity: 1n, debt: 0n },
          { equity: 99_000_000n, debt: 0n },
        ],
      },
      {
        userId: 'carol',
        piece: 0,
        balances: [
          { equity: 0n, debt: 0n },
          { equity: 5n, debt: 0n },
        ],
      },
    ],
  })
  const top = tree.levels[3]![0]!
  return {
    description: 'Bulwark proof-of-reserves Merkle sum tree, version 1, mode 1. See docs/por-spec.md.',
    roundSecret: toHex(secret),
    prefixes: Object.fromEntries(
      (['nonce', 'uid', 'leaf', 'node', 'pad', 'padKey', 'root'] as const).map((t) => [t, toHex(prefix(t))]),
    ),
    leaf: {
      userId: 'alice',
      piece: 0,
      balances: alice.map((b) => ({ equity: b.equity.toString(), debt: b.debt.toString() })),
      nonce: toHex(nonce),
      userHash: toHex(uid),
      balancesBytes: toHex(balances),
      leafHash: toHex(leaf),
    },
    padding: { padKey: toHex(key), level: 0, index: 1, hash: toHex(pad.subarray(0, 32)) },
    node: { left: 'leaf above', right: 'padding above', record: toHex(parent) },
    tree: {
      roundId: 'vectors-1',
      depth: 3,
      assets,
      users: ['alice', 'bob', 'carol'],
      top: toHex(top),
      root: toHex(rootCommitment(sha256, 'vectors-1', 3, assets, top)),
      proofOfBob: toHex(encodeProof(memTreeProof(tree, 'bob'))),
    },
  }
}

if (import.meta.main && process.argv.includes('--write')) {
  writeFileSync(VECTORS_PATH, `${JSON.stringify(generateVectors(), null, 2)}\n`)
  console.log(`wrote ${VECTORS_PATH.pathname}`)
}
