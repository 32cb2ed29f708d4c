/**
 * @module The JS mirror of the batch circuit's hashing (Poseidon2 over BN254, bb.js's implementation, the
 * same sponge as Noir's `std::hash::poseidon2::Poseidon2::hash`): leaf commitments, the batch tree, the
 * cumulative-totals commitment and the top tree over batch roots. A test proves that the circuit and this
 * code agree on every value.
 */
import { createHash } from 'node:crypto'
import { BarretenbergSync, Fr } from '@aztec/bb.js'

export const TAG_LEAF = 1n
export const TAG_NODE = 2n
export const TAG_CUM = 3n
/** BN254 scalar field modulus p. */
export const FIELD_MODULUS = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n

let bb: BarretenbergSync | undefined

/** Loads bb.js's synchronous wasm once (about 0.3 s). */
export async function initHash(): Promise<void> {
  bb ??= await BarretenbergSync.initSingleton()
}

function api(): BarretenbergSync {
  if (!bb) throw new Error('initHash() must be awaited before hashing')
  return bb
}

/** Poseidon2 sponge hash of field elements (IV = length · 2^64, rate 3), as the circuit computes it. */
export function poseidon2(inputs: readonly bigint[]): bigint {
  // Inputs are reduced mod p as the circuit's field arithmetic does (−1 is p − 1).
  const out = api().poseidon2Hash(
    inputs.map((x) => new Fr(((x % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS)),
  )
  return BigInt(out.toString())
}

/** A label (exchange id, round id) as a field: the first 31 bytes of its SHA-256, so always below p. */
export function labelField(label: string): bigint {
  const digest = createHash('sha256').update(label, 'utf8').digest()
  return BigInt(`0x${digest.subarray(0, 31).toString('hex')}`)
}

/** A 32-byte user commitment (the Merkle-sum tree's userHash) as a field: its first 31 bytes. */
export function userHashField(userHash: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(userHash.subarray(0, 31)).toString('hex')}`)
}

/** Three 64-bit balances per field, little end first: b0 + b1·2^64 + b2·2^128 (injective below 2^64). */
export function packBalances(balances: readonly bigint[]): bigint[] {
  const packed: bigint[] = []
  for (let j = 0; j < balances.length; j++) {
    const slot = Math.floor(j / 3)
    packed[slot] = (packed[slot] ?? 0n) + ((balances[j] ?? 0n) << (64n * BigInt(j % 3)))
  }
  return packed
}

/** The user hash's bound: below it, `LEAF·2^248 + userHash` is injective (userHashField gives 31 bytes). */
export const USER_HASH_BOUND = 2n ** 248n

/**
 * A user's leaf commitment: H(LEAF·2^248 + userHash, packed balances). The tag shares the user hash's field
 * element (one Poseidon2 permutation fewer at K = 22); the circuit range-checks userHash below 2^248.
 */
export function leafHash(userHash: bigint, balances: readonly bigint[]): bigint {
  if (userHash < 0n || userHash >= USER_HASH_BOUND)
    throw new RangeError(`userHash ${userHash} is outside [0, 2^248): use userHashField (31 bytes)`)
  return poseidon2([TAG_LEAF * USER_HASH_BOUND + userHash, ...packBalances(balances)])
}

/** An inner node of a batch tree or of the top tree: H(NODE, left, right). */
export function nodeHash(left: bigint, right: bigint): bigint {
  return poseidon2([TAG_NODE, left, right])
}

/** Commitment to running per-asset totals: H(CUM, exchange, round, totals…, salt). */
export function cumCommit(exchange: bigint, round: bigint, totals: readonly bigint[], salt: bigint): bigint {
  return poseidon2([TAG_CUM, exchange, round, ...totals, salt])
}

/** Root of a full binary tree over `leaves` (length a power of two). */
export function merkleRoot(leaves: readonly bigint[]): bigint {
  let level = [...leaves]
  while (level.length > 1) {
    const next: bigint[] = []
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i] ?? 0n, level[i + 1] ?? 0n))
    level = next
  }
  return level[0] ?? 0n
}

/** Sibling path of leaf `index` (level 0 first). */
export function merklePath(leaves: readonly bigint[], index: number): bigint[] {
  const path: bigint[] = []
  let level = [...leaves]
  let i = index
  while (level.length > 1) {
    path.push(level[i ^ 1] ?? 0n)
    const next: bigint[] = []
    for (let j = 0; j < level.length; j += 2) next.push(nodeHash(level[j] ?? 0n, level[j + 1] ?? 0n))
    level = next
    i >>= 1
  }
  return path
}

/** Recomputes a root from a leaf, its index and its sibling path. */
export function rootFromPath(leaf: bigint, index: number, path: readonly bigint[]): bigint {
  let h = leaf
  let i = index
  for (const sibling of path) {
    h = i & 1 ? nodeHash(sibling, h) : nodeHash(h, sibling)
    i >>= 1
  }
  return h
}

/** The top tree over batch roots, padded with zeros to a power of two. */
export function topRoot(batchRoots: readonly bigint[]): bigint {
  let size = 1
  while (size < batchRoots.length) size *= 2
  const padded = [...batchRoots]
  while (padded.length < size) padded.push(0n)
  return size === 1 ? nodeHash(padded[0] ?? 0n, 0n) : merkleRoot(padded)
}

export const toHex = (x: bigint): string => `0x${x.toString(16).padStart(64, '0')}`
export const fromFieldHex = (s: string): bigint => BigInt(s)
