/**
 * @module Byte layout of the Merkle sum tree (docs/por-spec.md, "Byte layout"): domain-separated SHA-256 over
 * fixed-width big-endian fields. Shared by the builder (Node) and the verifier (browser), so it imports nothing
 * from node:*; the SHA-256 function is passed in (noble in the browser, OpenSSL in the builder, same output).
 */

/** A SHA-256 implementation: 32-byte digest of `data`. */
export type Sha256 = (data: Uint8Array) => Uint8Array

/** Format version. Bumped on any change to the layout below. */
export const POR_VERSION = 1
/** Mode byte: 1 = Merkle sum tree (this spec); 2 is reserved for zero-knowledge solvency proofs. */
export const MODE_MERKLE_SUM = 1
export const MODE_ZK_RESERVED = 2

/** Node type bytes, the last byte of every hash prefix, so no two kinds of hash input can collide. */
export const TAG = { nonce: 1, uid: 2, leaf: 3, node: 4, pad: 5, padKey: 6, root: 7 } as const
export type Tag = keyof typeof TAG

/** Largest amount a leaf component may hold, exclusive: each equity or debt component is in [0, 2^64). */
export const LEAF_LIMIT = 1n << 64n
/** Node sums are u128: 2^64 per leaf times at most 2^63 leaves cannot overflow. */
export const SUM_LIMIT = 1n << 128n

const MAGIC = [0x42, 0x57, 0x50, 0x4f, 0x52] // "BWPOR"

/** The 8-byte domain prefix: "BWPOR" || version || mode || tag. */
export function prefix(tag: Tag, mode = MODE_MERKLE_SUM): Uint8Array {
  return Uint8Array.of(...MAGIC, POR_VERSION, mode, TAG[tag])
}

const PREFIX_LEN = 8
const utf8 = new TextEncoder()

/** Bytes per node record: hash (32) || for each asset equity u128 || debt u128. */
export function nodeSize(assetCount: number): number {
  return 32 + assetCount * 32
}

/** Bytes of a leaf's balance vector: for each asset equity u64 || debt u64. */
export function leafBalancesSize(assetCount: number): number {
  return assetCount * 16
}

/** Concatenates byte arrays (a few fixed parts; use {@link concatByteList} for a list of any size). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return concatByteList(parts)
}

/**
 * Concatenates a list of byte arrays of any length into one preallocated array. Spreading a list
 * whose size a user controls (the assets of a round) into a call overflows the stack above ~100k parts.
 */
export function concatByteList(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

/** Writes an unsigned big-endian integer of `width` bytes; throws if it does not fit. */
export function writeUintBE(
  out: Uint8Array,
  offset: number,
  width: number,
  value: bigint,
  what: string,
): void {
  if (value < 0n || value >= 1n << BigInt(width * 8)) {
    throw new RangeError(`${what} = ${value} is outside [0, 2^${width * 8})`)
  }
  let v = value
  for (let i = width - 1; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn)
    v >>= 8n
  }
}

/** Reads an unsigned big-endian integer of `width` bytes. */
export function readUintBE(buf: Uint8Array, offset: number, width: number): bigint {
  let v = 0n
  for (let i = 0; i < width; i += 4) {
    const w =
      ((buf[offset + i]! << 24) |
        (buf[offset + i + 1]! << 16) |
        (buf[offset + i + 2]! << 8) |
        buf[offset + i + 3]!) >>>
      0
    v = (v << 32n) | BigInt(w)
  }
  return v
}

/** The per-round, per-user, per-piece nonce: H(prefix(nonce) || roundSecret(32) || u32 piece || userId). */
export function userNonce(
  sha256: Sha256,
  roundSecret: Uint8Array,
  userId: string,
  piece: number,
): Uint8Array {
  if (roundSecret.length !== 32) throw new RangeError('round secret must be 32 bytes')
  return sha256(concatBytes(prefix('nonce'), roundSecret, u32be(piece), utf8.encode(userId)))
}

/** The user commitment: H(prefix(uid) || nonce(32) || userId). Reveals nothing about the id without the nonce. */
export function userHash(sha256: Sha256, nonce: Uint8Array, userId: string): Uint8Array {
  if (nonce.length !== 32) throw new RangeError('nonce must be 32 bytes')
  return sha256(concatBytes(prefix('uid'), nonce, utf8.encode(userId)))
}

/** Encodes a balance vector (equity/debt per asset) as 2K big-endian u64; throws naming a component out of range. */
export function encodeLeafBalances(balances: readonly Balance[], symbols?: readonly string[]): Uint8Array {
  const out = new Uint8Array(balances.length * 16)
  balances.forEach((b, k) => {
    const name = symbols?.[k] ?? `asset #${k}`
    writeUintBE(out, k * 16, 8, b.equity, `${name} equity`)
    writeUintBE(out, k * 16 + 8, 8, b.debt, `${name} debt`)
  })
  return out
}

/** Leaf hash: H(prefix(leaf) || userHash(32) || balances(2K × u64)). */
export function leafHash(sha256: Sha256, uidHash: Uint8Array, leafBalances: Uint8Array): Uint8Array {
  return sha256(concatBytes(prefix('leaf'), uidHash, leafBalances))
}

/** One asset's component pair. */
export interface Balance {
  equity: bigint
  debt: bigint
}

/** Widens a leaf's u64 balances into the node form (u128 sums) and prepends its hash. */
export function leafAsNode(hash: Uint8Array, leafBalances: Uint8Array): Uint8Array {
  const k2 = leafBalances.length / 8
  const out = new Uint8Array(32 + k2 * 16)
  out.set(hash, 0)
  for (let i = 0; i < k2; i++) out.set(leafBalances.subarray(i * 8, i * 8 + 8), 32 + i * 16 + 8)
  return out
}

/**
 * Adds two u128 big-endian sum vectors of node records `a` and `b` (offset past their hashes) into `out`.
 * Returns the index of the first component that overflowed 2^128, or -1.
 */
export function addSums(
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  out: Uint8Array,
  outOff: number,
  components: number,
): number {
  const da = new DataView(a.buffer, a.byteOffset)
  const db = new DataView(b.buffer, b.byteOffset)
  const dout = new DataView(out.buffer, out.byteOffset)
  let overflow = -1
  for (let c = 0; c < components; c++) {
    let carry = 0
    const base = c * 16
    for (let w = 12; w >= 0; w -= 4) {
      const s = da.getUint32(aOff + base + w) + db.getUint32(bOff + base + w) + carry
      dout.setUint32(outOff + base + w, s >>> 0)
      carry = s > 0xffffffff ? 1 : 0
    }
    if (carry && overflow < 0) overflow = c
  }
  return overflow
}

/**
 * Parent node: hash = H(prefix(node) || left.hash || left.sums || right.hash || right.sums), sums = left + right.
 * `pair` holds the two child records back to back (2 × nodeSize bytes); `scratch` is reused input space
 * (8 + 2 × nodeSize bytes). Writes the parent record at `out[outOff]`; returns the overflowing component or -1.
 */
export function parentInto(
  sha256: Sha256,
  pair: Uint8Array,
  scratch: Uint8Array,
  out: Uint8Array,
  outOff: number,
): number {
  const size = pair.length / 2
  scratch.set(NODE_PREFIX, 0)
  scratch.set(pair, PREFIX_LEN)
  const overflow = addSums(pair, 32, pair, size + 32, out, outOff + 32, (size - 32) / 16)
  out.set(sha256(scratch), outOff)
  return overflow
}
const NODE_PREFIX = prefix('node')

/** Key for padding nodes: H(prefix(padKey) || roundSecret). Given to auditors instead of the round secret. */
export function padKey(sha256: Sha256, roundSecret: Uint8Array): Uint8Array {
  return sha256(concatBytes(prefix('padKey'), roundSecret))
}

/** Padding node at (level, index): hash H(prefix(pad) || padKey || u8 level || u64 index), all sums zero. */
export function padNode(
  sha256: Sha256,
  key: Uint8Array,
  level: number,
  index: number,
  assetCount: number,
): Uint8Array {
  const input = new Uint8Array(PREFIX_LEN + 32 + 1 + 8)
  input.set(prefix('pad'), 0)
  input.set(key, PREFIX_LEN)
  input[PREFIX_LEN + 32] = level
  writeUintBE(input, PREFIX_LEN + 33, 8, BigInt(index), 'pad index')
  const out = new Uint8Array(nodeSize(assetCount))
  out.set(sha256(input), 0)
  return out
}

/** Asset identity bound into the root: symbol (ASCII, 1..32 bytes) and decimals (0..36). */
export interface AssetRef {
  symbol: string
  decimals: number
}

/**
 * Round root commitment: H(prefix(root) || u8 depth || u16 len || roundId || u16 K || per asset (u8 len ||
 * symbol || u8 decimals) || top node record). This single 32-byte value is what the exchange publishes.
 */
export function rootCommitment(
  sha256: Sha256,
  roundId: string,
  depth: number,
  assets: readonly AssetRef[],
  top: Uint8Array,
): Uint8Array {
  const id = utf8.encode(roundId)
  const parts: Uint8Array[] = [
    prefix('root'),
    Uint8Array.of(depth),
    Uint8Array.of(id.length >> 8, id.length & 255),
    id,
  ]
  parts.push(Uint8Array.of(assets.length >> 8, assets.length & 255))
  for (const a of assets) {
    const s = utf8.encode(a.symbol)
    parts.push(Uint8Array.of(s.length), s, Uint8Array.of(a.decimals))
  }
  parts.push(top)
  return sha256(concatByteList(parts))
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0')
  return s
}

/** Bytes of a hex string (even length, 0-9a-f); throws otherwise. */
export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new RangeError('not a hex string')
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Equality of two byte arrays (public data: not constant time). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
