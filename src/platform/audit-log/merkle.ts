/**
 * @module The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2): leaf and node hashing, the
 * tree head (MTH) for any size, and inclusion (§2.1.3) and consistency (§2.1.4) proofs with their
 * verification algorithms. Proofs are described as leaf ranges first (`inclusionRanges`,
 * `consistencyRanges`), so the nodes can be computed in one streaming pass over a long log
 * (`RangeHasher`) instead of holding every leaf in memory.
 */
import { sha256 } from '@noble/hashes/sha2.js'

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0))

/** SHA-256(0x00 ‖ leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const message = new Uint8Array(leaf.length + 1)
  message.set(leaf, 1)
  return sha256(message)
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const message = new Uint8Array(65)
  message[0] = 1
  message.set(left, 1)
  message.set(right, 33)
  return sha256(message)
}

/** The largest power of two strictly smaller than n (n ≥ 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * MTH over leaf hashes held in memory, by the RFC's recursive definition. For tests and small
 * trees; long logs go through `RangeHasher`.
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length
  if (n === 0) return EMPTY_ROOT
  if (n === 1) return leafHashes[0]!
  const k = splitPoint(n)
  return nodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)))
}

/** A half-open range of leaf indices [start, end) whose MTH is one node of a proof. */
export type LeafRange = { start: number; end: number }

/**
 * The ranges whose MTH form PATH(m, D[n]) (RFC 9162 §2.1.3.1), in proof order (leaf upwards).
 * @example inclusionRanges(5, 8) // [{start:4,end:5}, {start:6,end:8}, {start:0,end:4}]
 */
export function inclusionRanges(m: number, n: number): LeafRange[] {
  assertIndex('leaf index', m, 0, n - 1)
  const out: LeafRange[] = []
  const path = (m: number, start: number, end: number) => {
    const size = end - start
    if (size <= 1) return
    const k = splitPoint(size)
    if (m < k) {
      path(m, start, start + k)
      out.push({ start: start + k, end })
    } else {
      path(m - k, start + k, end)
      out.push({ start, end: start + k })
    }
  }
  path(m, 0, n)
  return out
}

/**
 * The ranges whose MTH form PROOF(m, D[n]) (RFC 9162 §2.1.4.1), in proof order; empty when
 * m = 0 or m = n (nothing to prove beyond comparing the roots).
 */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  assertIndex('first tree size', m, 0, n)
  const out: LeafRange[] = []
  if (m === 0 || m === n) return out
  const subproof = (m: number, start: number, end: number, whole: boolean) => {
    const size = end - start
    if (m === size) {
      if (!whole) out.push({ start, end })
      return
    }
    const k = splitPoint(size)
    if (m <= k) {
      subproof(m, start, start + k, whole)
      out.push({ start: start + k, end })
    } else {
      subproof(m - k, start + k, end, false)
      out.push({ start, end: start + k })
    }
  }
  subproof(m, 0, n, true)
  return out
}

/**
 * Computes, in one pass over leaf hashes fed in order, the MTH of each requested range and the
 * tree heads at each requested size. Memory is O(log n) per range, whatever the number of leaves.
 * @example const h = new RangeHasher(inclusionRanges(3, 8), [8]); for (const l of leaves) h.push(l)
 *   h.rangeHashes() // the proof; h.rootAt(8) // the root
 */
export class RangeHasher {
  #ranges: LeafRange[]
  #stacks: Array<Array<{ hash: Uint8Array; size: number }>>
  #tree: Array<{ hash: Uint8Array; size: number }> = []
  #sizes: Set<number>
  #roots = new Map<number, Uint8Array>()
  #count = 0

  constructor(ranges: readonly LeafRange[], sizes: readonly number[] = []) {
    this.#ranges = [...ranges]
    this.#stacks = ranges.map(() => [])
    this.#sizes = new Set(sizes)
    if (this.#sizes.has(0)) this.#roots.set(0, EMPTY_ROOT)
  }

  /** Leaves seen so far. */
  get size(): number {
    return this.#count
  }

  push(leaf: Uint8Array): void {
    const index = this.#count++
    this.#ranges.forEach((range, i) => {
      if (index >= range.start && index < range.end) addToStack(this.#stacks[i]!, leaf)
    })
    addToStack(this.#tree, leaf)
    if (this.#sizes.has(this.#count)) this.#roots.set(this.#count, foldStack(this.#tree))
  }

  /** MTH of the tree over every leaf pushed so far. */
  root(): Uint8Array {
    return foldStack(this.#tree)
  }

  /** MTH of the first `size` leaves, for a size given to the constructor and already reached. */
  rootAt(size: number): Uint8Array {
    const root = this.#roots.get(size)
    if (!root) throw new RangeError(`tree size ${size} was not requested or not reached`)
    return root
  }

  /** MTH of each requested range, in the order given; every range must be complete. */
  rangeHashes(): Uint8Array[] {
    return this.#ranges.map((range, i) => {
      if (this.#count < range.end) throw new RangeError(`range ${range.start}-${range.end} is incomplete`)
      return foldStack(this.#stacks[i]!)
    })
  }
}

// Perfect subtrees of decreasing size, left to right: appending merges equal neighbours, and
// folding from the right gives exactly the RFC's MTH (its left subtree is always the largest
// power of two, i.e. the leftmost perfect subtree).
function addToStack(stack: Array<{ hash: Uint8Array; size: number }>, leaf: Uint8Array) {
  let item = { hash: leaf, size: 1 }
  while (stack.length > 0 && stack[stack.length - 1]!.size === item.size) {
    const left = stack.pop()!
    item = { hash: nodeHash(left.hash, item.hash), size: left.size * 2 }
  }
  stack.push(item)
}

function foldStack(stack: ReadonlyArray<{ hash: Uint8Array; size: number }>): Uint8Array {
  if (stack.length === 0) return EMPTY_ROOT
  let acc = stack[stack.length - 1]!.hash
  for (let i = stack.length - 2; i >= 0; i--) acc = nodeHash(stack[i]!.hash, acc)
  return acc
}

/** Inclusion proof of leaf m in the tree over all of `leafHashes` (in memory). */
export function inclusionProof(leafHashes: readonly Uint8Array[], m: number): Uint8Array[] {
  return inclusionRanges(m, leafHashes.length).map((r) => merkleRoot(leafHashes.slice(r.start, r.end)))
}

/** Consistency proof between the first m leaves and all of `leafHashes` (in memory). */
export function consistencyProof(leafHashes: readonly Uint8Array[], m: number): Uint8Array[] {
  return consistencyRanges(m, leafHashes.length).map((r) => merkleRoot(leafHashes.slice(r.start, r.end)))
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leaf` (a leaf hash) is at `index` in the tree of
 * `treeSize` leaves whose root is `root`? Never throws on malformed input; answers false.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isIndex(index) || !isIndex(treeSize) || index >= treeSize) return false
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false
  let fn = BigInt(index)
  let sn = BigInt(treeSize - 1)
  let r = leaf
  for (const p of proof) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r)
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n && equalBytes(r, root)
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `first` leaves with root `firstRoot` is a
 * prefix of the tree of `second` leaves with root `secondRoot`? Equal sizes need an empty proof
 * and equal roots; an empty first tree is a prefix of every tree.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isIndex(first) || !isIndex(second) || first > second) return false
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) return false
  if (first === second) return proof.length === 0 && equalBytes(firstRoot, secondRoot)
  if (first === 0) return proof.length === 0 && equalBytes(firstRoot, EMPTY_ROOT)
  if (proof.length === 0) return false
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof]
  let fn = BigInt(first - 1)
  let sn = BigInt(second - 1)
  while ((fn & 1n) === 1n) {
    fn >>= 1n
    sn >>= 1n
  }
  let fr = path[0]!
  let sr = path[0]!
  for (const c of path.slice(1)) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot) && sn === 0n
}

const isIndex = (n: number) => Number.isSafeInteger(n) && n >= 0
const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === 32
function isPowerOfTwo(n: number): boolean {
  const b = BigInt(n)
  return b > 0n && (b & (b - 1n)) === 0n
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function assertIndex(name: string, value: number, min: number, max: number) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`)
  }
}
