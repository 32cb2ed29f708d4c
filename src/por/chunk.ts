/**
 * @module The two kernels of a build, shared by the worker threads and the auditor: hashing the leaves of one
 * import bucket, and folding an aligned run of 2^C leaves into its subtree. Pure functions over byte buffers.
 */
import { Drbg } from './drbg.ts'
import { hash64 } from './keytable.ts'
import { nodeSize, padNode, parentInto, prefix, type Sha256 } from './verify/layout.ts'

/** Stored leaf record: leafHash(32) || userHash(32) || balances (2K × u64). */
export function leafRecordSize(assetCount: number): number {
  return 64 + assetCount * 16
}

/** Bucket record written by the import: u16 id length || id || u8 piece || balances (2K × u64). */
export function bucketRecordSize(idLength: number, assetCount: number): number {
  return 3 + idLength + assetCount * 16
}

export interface LeafBatch {
  /** count leaf records, in tree order. */
  leaves: Uint8Array
  /** Index keys (lo, hi) of each leaf's (user id, piece), in tree order. */
  keys: Uint32Array
  count: number
}

/**
 * Hashes the leaves of one bucket. When `shuffle` is set, the bucket's records are put in a random order drawn
 * from the round secret (the import already scattered users over buckets at random).
 */
export function hashBucket(
  sha256: Sha256,
  bucket: Uint8Array,
  count: number,
  assetCount: number,
  roundSecret: Uint8Array,
  shuffleSeed: Uint8Array | undefined,
): LeafBatch {
  const starts = new Float64Array(count)
  let off = 0
  for (let i = 0; i < count; i++) {
    starts[i] = off
    off += bucketRecordSize((bucket[off]! << 8) | bucket[off + 1]!, assetCount)
  }
  if (shuffleSeed) {
    const rng = new Drbg(sha256, shuffleSeed, 'bulwark-por shuffle')
    for (let i = count - 1; i > 0; i--) {
      const j = rng.below(i + 1)
      const t = starts[i]!
      starts[i] = starts[j]!
      starts[j] = t
    }
  }
  const size = leafRecordSize(assetCount)
  const leaves = new Uint8Array(count * size)
  const keys = new Uint32Array(count * 2)
  // Reused hash inputs laid out exactly as userNonce / userHash / leafHash build them (a test checks equality).
  const nonceIn = new Uint8Array(8 + 32 + 4 + 255)
  nonceIn.set(prefix('nonce'), 0)
  nonceIn.set(roundSecret, 8)
  const uidIn = new Uint8Array(8 + 32 + 255)
  uidIn.set(prefix('uid'), 0)
  const balancesSize = assetCount * 16
  const leafIn = new Uint8Array(8 + 32 + balancesSize)
  leafIn.set(prefix('leaf'), 0)
  for (let i = 0; i < count; i++) {
    const s = starts[i]!
    const len = (bucket[s]! << 8) | bucket[s + 1]!
    const idBytes = bucket.subarray(s + 2, s + 2 + len)
    const piece = bucket[s + 2 + len]!
    const balances = bucket.subarray(s + 3 + len, s + 3 + len + balancesSize)
    nonceIn[40] = piece >>> 24
    nonceIn[41] = (piece >>> 16) & 255
    nonceIn[42] = (piece >>> 8) & 255
    nonceIn[43] = piece & 255
    nonceIn.set(idBytes, 44)
    const nonce = sha256(nonceIn.subarray(0, 44 + len))
    uidIn.set(nonce, 8)
    uidIn.set(idBytes, 40)
    const uid = sha256(uidIn.subarray(0, 40 + len))
    leafIn.set(uid, 8)
    leafIn.set(balances, 40)
    const o = i * size
    leaves.set(sha256(leafIn), o)
    leaves.set(uid, o + 32)
    leaves.set(balances, o + 64)
    const [lo, hi] = hash64(idBytes, 0, len, piece)
    keys[i * 2] = lo
    keys[i * 2 + 1] = hi
  }
  return { leaves, keys, count }
}

/**
 * Folds `count` leaf records (the aligned chunk `chunkIndex` of 2^levels leaves) into its subtree. Calls
 * `emit(level, firstIndex, records, n)` for every level 1..levels with the n real nodes of that level; returns the
 * chunk's top node. Missing right siblings are padding nodes.
 */
export function foldChunk(
  sha256: Sha256,
  leaves: Uint8Array,
  count: number,
  assetCount: number,
  levels: number,
  chunkIndex: number,
  key: Uint8Array,
  emit: (level: number, firstIndex: number, records: Uint8Array, n: number) => void,
): Uint8Array {
  const size = nodeSize(assetCount)
  const leafSize = leafRecordSize(assetCount)
  let n = count
  let cur = new Uint8Array((n + 1) * size)
  for (let i = 0; i < n; i++) {
    const r = i * leafSize
    const o = i * size
    for (let b = 0; b < 32; b++) cur[o + b] = leaves[r + b]!
    for (let c = 0; c < assetCount * 2; c++) {
      const from = r + 64 + c * 8
      const to = o + 40 + c * 16
      for (let b = 0; b < 8; b++) cur[to + b] = leaves[from + b]!
    }
  }
  const scratch = new Uint8Array(8 + 2 * size)
  for (let l = 0; l < levels; l++) {
    if (n % 2 === 1)
      cur.set(padNode(sha256, key, l, chunkIndex * 2 ** (levels - l) + n, assetCount), n * size)
    const m = Math.ceil(n / 2)
    const next = new Uint8Array((m + 1) * size)
    for (let i = 0; i < m; i++) {
      const overflow = parentInto(
        sha256,
        cur.subarray(2 * i * size, (2 * i + 2) * size),
        scratch,
        next,
        i * size,
      )
      if (overflow >= 0) throw new RangeError(`sum overflow at level ${l + 1}`)
    }
    emit(l + 1, chunkIndex * 2 ** (levels - l - 1), next, m)
    cur = next
    n = m
  }
  return cur.slice(0, size)
}
