/**
 * @module In-memory Merkle sum tree: the reference construction used by tests, test vectors and small rounds.
 * The on-disk builder (build.ts) must produce exactly the same root for the same leaves; a test checks that.
 */
import {
  type AssetRef,
  type Balance,
  encodeLeafBalances,
  leafAsNode,
  leafHash,
  nodeSize,
  padKey,
  padNode,
  parentInto,
  rootCommitment,
  type Sha256,
  userHash,
  userNonce,
} from './verify/layout.ts'
import type { PorProof } from './verify/proof.ts'
import { nodeSums } from './verify/verify.ts'

/** A leaf before hashing, in tree order. */
export interface LeafInput {
  userId: string
  piece: number
  balances: Balance[]
}

export interface MemTreeParameters {
  sha256: Sha256
  roundId: string
  roundSecret: Uint8Array
  depth: number
  assets: AssetRef[]
  /** Leaves in position order; positions [leaves.length, 2^depth) are padding. */
  leaves: LeafInput[]
}

export interface MemTree {
  params: MemTreeParameters
  /** levels[l][i] is the node record (hash || sums) at level l, index i; padding included where needed. */
  levels: Uint8Array[][]
  root: Uint8Array
  nonces: Uint8Array[]
}

/**
 * Builds the whole tree in memory. Only nodes whose subtree holds a real leaf, and their siblings, are
 * materialised; every other node is a padding node (never needed by a proof).
 */
export function buildMemTree(params: MemTreeParameters): MemTree {
  const { sha256, assets, depth, leaves } = params
  if (leaves.length > 2 ** depth) throw new RangeError(`${leaves.length} leaves do not fit depth ${depth}`)
  const symbols = assets.map((a) => a.symbol)
  const key = padKey(sha256, params.roundSecret)
  const size = nodeSize(assets.length)
  const nonces: Uint8Array[] = []
  let level: Uint8Array[] = leaves.map((leaf) => {
    const nonce = userNonce(sha256, params.roundSecret, leaf.userId, leaf.piece)
    nonces.push(nonce)
    const balances = encodeLeafBalances(leaf.balances, symbols)
    return leafAsNode(leafHash(sha256, userHash(sha256, nonce, leaf.userId), balances), balances)
  })
  const levels: Uint8Array[][] = []
  const pair = new Uint8Array(2 * size)
  const scratch = new Uint8Array(8 + 2 * size)
  for (let l = 0; l < depth; l++) {
    if (level.length % 2 === 1 || level.length === 0)
      level.push(padNode(sha256, key, l, level.length, assets.length))
    levels.push(level)
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i]!, 0)
      pair.set(level[i + 1]!, size)
      const parent = new Uint8Array(size)
      if (parentInto(sha256, pair, scratch, parent, 0) >= 0)
        throw new RangeError(`sum overflow at level ${l + 1}`)
      next.push(parent)
    }
    level = next
  }
  levels.push(level)
  const top = level[0]!
  return { params, levels, root: rootCommitment(sha256, params.roundId, depth, assets, top), nonces }
}

/** Extracts the proof for the leaves of `userId` from an in-memory tree. */
export function memTreeProof(tree: MemTree, userId: string): PorProof {
  const { params } = tree
  const k = params.assets.length
  const pieces = params.leaves.flatMap((leaf, position) =>
    leaf.userId === userId
      ? [
          {
            nonce: tree.nonces[position]!,
            position,
            balances: leaf.balances,
            siblings: tree.levels.slice(0, params.depth).map((nodes, l) => {
              const sib = nodes[Math.floor(position / 2 ** l) ^ 1]!
              return { hash: sib.slice(0, 32), sums: nodeSums(sib, k) }
            }),
          },
        ]
      : [],
  )
  if (pieces.length === 0) throw new RangeError(`user ${userId} is not in the tree`)
  return {
    version: 1,
    mode: 1,
    roundId: params.roundId,
    depth: params.depth,
    assets: params.assets,
    root: tree.root,
    userId,
    pieces,
  }
}
