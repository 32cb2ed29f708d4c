/**
 * @module The inclusion proof a customer downloads, and its canonical binary encoding (docs/por-spec.md,
 * "Proof file"). Amounts are LEB128 varints so a 22-asset proof at depth 24 stays well under 8 KB; decoding is
 * strict (minimal varints, exact lengths, no trailing bytes) so a truncated or padded file is named as such.
 */
import {
  type AssetRef,
  type Balance,
  fromHex,
  LEAF_LIMIT,
  MODE_MERKLE_SUM,
  POR_VERSION,
  SUM_LIMIT,
  toHex,
} from './layout.ts'

/** One sibling on the path from a leaf to the top: its hash and its (u128) sum vector. */
export interface ProofSibling {
  hash: Uint8Array
  sums: Balance[]
}

/** One leaf of the user (a user split into N pieces has N leaves, each with its own path). */
export interface ProofPiece {
  nonce: Uint8Array
  /** Leaf index in [0, 2^depth); bit `l` says whether the path node at level `l` is a right child. */
  position: number
  balances: Balance[]
  /** siblings[l] is the sibling at level l (0 = leaves), depth entries. */
  siblings: ProofSibling[]
}

/** A user's proof of inclusion in a round. */
export interface PorProof {
  version: number
  mode: number
  roundId: string
  depth: number
  assets: AssetRef[]
  /** The round's published root commitment. */
  root: Uint8Array
  userId: string
  pieces: ProofPiece[]
}

const MAGIC = [0x42, 0x57, 0x50, 0x50] // "BWPP"
const utf8 = new TextEncoder()
const utf8d = new TextDecoder('utf-8', { fatal: true })

/** Error raised while decoding: names the field and the byte offset. */
export class ProofFormatError extends Error {
  readonly field: string
  readonly offset: number
  constructor(field: string, offset: number, message: string) {
    super(`${field} at byte ${offset}: ${message}`)
    this.field = field
    this.offset = offset
  }
}

class Writer {
  private buf = new Uint8Array(4096)
  private n = 0
  private ensure(k: number) {
    if (this.n + k <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k))
    next.set(this.buf.subarray(0, this.n))
    this.buf = next
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length)
    this.buf.set(b, this.n)
    this.n += b.length
  }
  u8(v: number) {
    this.bytes(Uint8Array.of(v))
  }
  u16(v: number) {
    this.bytes(Uint8Array.of(v >> 8, v & 255))
  }
  varint(v: bigint) {
    const out: number[] = []
    let x = v
    do {
      let byte = Number(x & 0x7fn)
      x >>= 7n
      if (x > 0n) byte |= 0x80
      out.push(byte)
    } while (x > 0n)
    this.bytes(Uint8Array.from(out))
  }
  str16(s: string) {
    const b = utf8.encode(s)
    this.u16(b.length)
    this.bytes(b)
  }
  done() {
    return this.buf.slice(0, this.n)
  }
}

class Reader {
  off = 0
  private readonly buf: Uint8Array
  constructor(buf: Uint8Array) {
    this.buf = buf
  }
  need(k: number, field: string) {
    if (this.off + k > this.buf.length) {
      throw new ProofFormatError(field, this.off, `proof is truncated (needs ${k} more bytes)`)
    }
  }
  bytes(k: number, field: string) {
    this.need(k, field)
    const b = this.buf.slice(this.off, this.off + k)
    this.off += k
    return b
  }
  u8(field: string) {
    this.need(1, field)
    return this.buf[this.off++]!
  }
  u16(field: string) {
    const b = this.bytes(2, field)
    return (b[0]! << 8) | b[1]!
  }
  varint(field: string, limit: bigint) {
    const start = this.off
    let v = 0n
    let shift = 0n
    for (;;) {
      const byte = this.u8(field)
      v |= BigInt(byte & 0x7f) << shift
      shift += 7n
      if ((byte & 0x80) === 0) {
        if (byte === 0 && this.off - start > 1) throw new ProofFormatError(field, start, 'non-minimal varint')
        break
      }
      if (shift > 140n) throw new ProofFormatError(field, start, 'varint too long')
    }
    if (v >= limit)
      throw new ProofFormatError(field, start, `${v} is not below 2^${limit.toString(2).length - 1}`)
    return v
  }
  str16(field: string) {
    const n = this.u16(field)
    const b = this.bytes(n, field)
    try {
      return utf8d.decode(b)
    } catch {
      throw new ProofFormatError(field, this.off - n, 'not valid UTF-8')
    }
  }
  end() {
    if (this.off !== this.buf.length) {
      throw new ProofFormatError('end', this.off, `${this.buf.length - this.off} unexpected trailing bytes`)
    }
  }
}

/** Encodes a proof into its canonical binary form. */
export function encodeProof(p: PorProof): Uint8Array {
  const w = new Writer()
  w.bytes(Uint8Array.from(MAGIC))
  w.u8(p.version)
  w.u8(p.mode)
  w.u8(p.depth)
  w.str16(p.roundId)
  w.u16(p.assets.length)
  for (const a of p.assets) {
    const s = utf8.encode(a.symbol)
    w.u8(s.length)
    w.bytes(s)
    w.u8(a.decimals)
  }
  w.bytes(p.root)
  w.str16(p.userId)
  w.u8(p.pieces.length)
  for (const piece of p.pieces) {
    w.bytes(piece.nonce)
    w.varint(BigInt(piece.position))
    for (const b of piece.balances) {
      w.varint(b.equity)
      w.varint(b.debt)
    }
    for (const s of piece.siblings) {
      w.bytes(s.hash)
      for (const b of s.sums) {
        w.varint(b.equity)
        w.varint(b.debt)
      }
    }
  }
  return w.done()
}

/** Decodes a binary proof; throws ProofFormatError naming the field and offset on any malformation. */
export function decodeProof(bytes: Uint8Array): PorProof {
  const r = new Reader(bytes)
  const magic = r.bytes(4, 'magic')
  if (!MAGIC.every((m, i) => magic[i] === m))
    throw new ProofFormatError('magic', 0, 'not a Bulwark proof file')
  const version = r.u8('version')
  if (version !== POR_VERSION) throw new ProofFormatError('version', 4, `unsupported version ${version}`)
  const mode = r.u8('mode')
  if (mode !== MODE_MERKLE_SUM) throw new ProofFormatError('mode', 5, `unsupported mode ${mode}`)
  const depth = r.u8('depth')
  if (depth < 1 || depth > 48) throw new ProofFormatError('depth', 6, `depth ${depth} outside 1..48`)
  const roundId = r.str16('roundId')
  const k = r.u16('assetCount')
  if (k < 1) throw new ProofFormatError('assetCount', r.off - 2, 'no assets')
  const assets: AssetRef[] = []
  for (let i = 0; i < k; i++) {
    const len = r.u8(`assets[${i}].symbol`)
    const symbol = utf8d.decode(r.bytes(len, `assets[${i}].symbol`))
    assets.push({ symbol, decimals: r.u8(`assets[${i}].decimals`) })
  }
  const root = r.bytes(32, 'root')
  const userId = r.str16('userId')
  const pieceCount = r.u8('pieceCount')
  if (pieceCount < 1) throw new ProofFormatError('pieceCount', r.off - 1, 'no leaves')
  const pieces: ProofPiece[] = []
  for (let p = 0; p < pieceCount; p++) {
    const nonce = r.bytes(32, `pieces[${p}].nonce`)
    const position = r.varint(`pieces[${p}].position`, 1n << BigInt(depth))
    const balances: Balance[] = []
    for (let i = 0; i < k; i++) {
      const sym = assets[i]!.symbol
      const equity = r.varint(`pieces[${p}].balance ${sym} equity`, LEAF_LIMIT)
      const debt = r.varint(`pieces[${p}].balance ${sym} debt`, LEAF_LIMIT)
      balances.push({ equity, debt })
    }
    const siblings: ProofSibling[] = []
    for (let l = 0; l < depth; l++) {
      const hash = r.bytes(32, `pieces[${p}].level ${l} sibling hash`)
      const sums: Balance[] = []
      for (let i = 0; i < k; i++) {
        const sym = assets[i]!.symbol
        const equity = r.varint(`pieces[${p}].level ${l} sibling ${sym} equity sum`, SUM_LIMIT)
        const debt = r.varint(`pieces[${p}].level ${l} sibling ${sym} debt sum`, SUM_LIMIT)
        sums.push({ equity, debt })
      }
      siblings.push({ hash, sums })
    }
    pieces.push({ nonce, position: Number(position), balances, siblings })
  }
  r.end()
  return { version, mode, roundId, depth, assets, root, userId, pieces }
}

/** JSON view of a proof (hex hashes, decimal-string amounts): for display and `--json`, not for size. */
export function proofToJson(p: PorProof) {
  const bal = (b: Balance[]) => b.map((x) => ({ equity: x.equity.toString(), debt: x.debt.toString() }))
  return {
    format: 'bulwark-por-proof',
    version: p.version,
    mode: p.mode,
    roundId: p.roundId,
    depth: p.depth,
    assets: p.assets,
    root: toHex(p.root),
    userId: p.userId,
    pieces: p.pieces.map((x) => ({
      nonce: toHex(x.nonce),
      position: x.position,
      balances: bal(x.balances),
      siblings: x.siblings.map((s) => ({ hash: toHex(s.hash), sums: bal(s.sums) })),
    })),
  }
}

/** Parses the JSON view back into a proof; throws ProofFormatError on a missing or ill-typed field. */
export function proofFromJson(value: unknown): PorProof {
  const fail = (field: string, msg: string): never => {
    throw new ProofFormatError(field, 0, msg)
  }
  const obj = (v: unknown, f: string) =>
    typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : fail(f, 'expected an object')
  const arr = (v: unknown, f: string) => (Array.isArray(v) ? (v as unknown[]) : fail(f, 'expected an array'))
  const str = (v: unknown, f: string) => (typeof v === 'string' ? v : fail(f, 'expected a string'))
  const int = (v: unknown, f: string) =>
    Number.isSafeInteger(v) ? (v as number) : fail(f, 'expected an integer')
  const hex = (v: unknown, f: string, len: number) => {
    const s = str(v, f)
    let b: Uint8Array
    try {
      b = fromHex(s)
    } catch {
      return fail(f, 'expected hex')
    }
    return b.length === len ? b : fail(f, `expected ${len} bytes`)
  }
  const amount = (v: unknown, f: string, limit: bigint) => {
    const s = str(v, f)
    if (!/^(0|[1-9][0-9]*)$/.test(s)) fail(f, 'expected a non-negative integer string')
    const n = BigInt(s)
    return n < limit ? n : fail(f, `${s} is not below the limit`)
  }
  const bal = (v: unknown, f: string, limit: bigint) =>
    arr(v, f).map((x, i) => {
      const o = obj(x, `${f}[${i}]`)
      return {
        equity: amount(o.equity, `${f}[${i}].equity`, limit),
        debt: amount(o.debt, `${f}[${i}].debt`, limit),
      }
    })
  const o = obj(value, 'proof')
  if (o.format !== 'bulwark-por-proof') fail('format', 'not a Bulwark proof')
  const depth = int(o.depth, 'depth')
  // Same rule as the binary decoder: a proof of a version or mode this verifier does not know is
  // refused, never verified by the rules of another one.
  const version = int(o.version, 'version')
  if (version !== POR_VERSION)
    fail('version', `unsupported version ${version} (this verifier knows ${POR_VERSION})`)
  const mode = int(o.mode, 'mode')
  if (mode !== MODE_MERKLE_SUM)
    fail('mode', `unsupported mode ${mode} (this verifier knows ${MODE_MERKLE_SUM})`)
  return {
    version,
    mode,
    roundId: str(o.roundId, 'roundId'),
    depth,
    assets: arr(o.assets, 'assets').map((a, i) => {
      const x = obj(a, `assets[${i}]`)
      return {
        symbol: str(x.symbol, `assets[${i}].symbol`),
        decimals: int(x.decimals, `assets[${i}].decimals`),
      }
    }),
    root: hex(o.root, 'root', 32),
    userId: str(o.userId, 'userId'),
    pieces: arr(o.pieces, 'pieces').map((x, p) => {
      const q = obj(x, `pieces[${p}]`)
      return {
        nonce: hex(q.nonce, `pieces[${p}].nonce`, 32),
        position: int(q.position, `pieces[${p}].position`),
        balances: bal(q.balances, `pieces[${p}].balances`, LEAF_LIMIT),
        siblings: arr(q.siblings, `pieces[${p}].siblings`).map((s, l) => {
          const so = obj(s, `pieces[${p}].siblings[${l}]`)
          return {
            hash: hex(so.hash, `pieces[${p}].siblings[${l}].hash`, 32),
            sums: bal(so.sums, `pieces[${p}].siblings[${l}].sums`, SUM_LIMIT),
          }
        }),
      }
    }),
  }
}

/** Reads a proof file in either encoding: JSON if it starts with '{', binary otherwise. */
export function parseProofFile(bytes: Uint8Array): PorProof {
  let i = 0
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++
  if (bytes[i] === 0x7b) {
    let json: unknown
    try {
      json = JSON.parse(utf8d.decode(bytes))
    } catch (e) {
      throw new ProofFormatError('json', 0, `not valid JSON (${(e as Error).message})`)
    }
    return proofFromJson(json)
  }
  return decodeProof(bytes)
}
