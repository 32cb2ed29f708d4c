/**
 * @module Parses one line-aligned byte range of the liabilities CSV (run in a worker thread, one range per
 * thread): validates each row, checks collateral, and scatters the rows' leaf records over the shuffle buckets.
 * Returns what the main thread needs to merge ranges: per-row duplicate keys and issues with local line numbers.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type ParsedCell, parseAmountBytes } from './amount.ts'
import { bucketRecordSize } from './chunk.ts'
import { Drbg } from './drbg.ts'
import { hash64 } from './keytable.ts'
import { type HashBackend, sha256For } from './sha.ts'

export interface ImportRangeTask {
  kind: 'import'
  hash: HashBackend
  path: string
  /** Byte range [start, end) of whole lines. */
  start: number
  end: number
  rangeIndex: number
  symbols: string[]
  decimals: number[]
  /** Collateral weights as decimal strings (see collateralWeights). */
  collateralWeights: string[]
  debtWeights: string[]
  exemptions: string[]
  split: number
  shuffle: boolean
  bucketCount: number
  roundSecret: Uint8Array
  tmpDir: string
  maxIssues: number
}

export interface ImportRangeResult {
  kind: 'import'
  rangeIndex: number
  /** Lines in the range (including blank ones). */
  lines: number
  rows: number
  /** Per valid row: duplicate key (lo, hi), file offset of the row, local 0-based line index. */
  keys: Uint32Array
  offsets: Float64Array
  localLines: Uint32Array
  issues: { localLine: number; message: string }[]
  issueCount: number
  under: { localLine: number; userId: string }[]
  underCount: number
  exempted: string[]
  /** Records written per bucket (bucket file `bucket-<b>-<rangeIndex>.bin`). */
  bucketCounts: number[]
}

/** File of bucket `b` written by range `r`. */
export function bucketPath(tmpDir: string, b: number, r: number): string {
  return join(tmpDir, `bucket-${b}-${r}.bin`)
}

class BucketWriter {
  count = 0
  private readonly fd: number
  private buf = Buffer.allocUnsafe(1 << 20)
  offset = 0
  constructor(path: string) {
    this.fd = openSync(path, 'w')
  }
  reserve(k: number): Buffer {
    if (this.offset + k > this.buf.length) this.flush()
    if (k > this.buf.length) this.buf = Buffer.allocUnsafe(k)
    return this.buf
  }
  advance(k: number) {
    this.offset += k
    this.count++
  }
  flush() {
    let done = 0
    while (done < this.offset) done += writeSync(this.fd, this.buf, done, this.offset - done)
    this.offset = 0
  }
  close() {
    this.flush()
    closeSync(this.fd)
  }
}

class Growable<T extends Uint32Array | Float64Array> {
  data: T
  n = 0
  private readonly make: (n: number) => T
  constructor(make: (n: number) => T) {
    this.make = make
    this.data = make(1 << 16)
  }
  push(v: number) {
    if (this.n === this.data.length) {
      const next = this.make(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.n++] = v
  }
  done(): T {
    return this.data.slice(0, this.n) as T
  }
}

const READ_BYTES = 8 << 20
const SEQ_CAP = 1 << 17

/** Imports the rows of one range. */
export function importRange(task: ImportRangeTask): ImportRangeResult {
  const sha256 = sha256For(task.hash)
  const k = task.symbols.length
  const decimals = task.decimals
  const cw = task.collateralWeights.map(BigInt)
  const dw = task.debtWeights.map(BigInt)
  const exempt = new Set(task.exemptions)
  const issues: ImportRangeResult['issues'] = []
  let issueCount = 0
  const under: ImportRangeResult['under'] = []
  let underCount = 0
  const exempted: string[] = []
  const issue = (localLine: number, message: string) => {
    issueCount++
    if (issues.length < task.maxIssues) issues.push({ localLine, message })
  }
  const keys = new Growable((n) => new Uint32Array(n))
  const offsets = new Growable((n) => new Float64Array(n))
  const localLines = new Growable((n) => new Uint32Array(n))

  const buckets: BucketWriter[] = []
  const bucketAt = (i: number) => {
    while (buckets.length <= i)
      buckets.push(new BucketWriter(bucketPath(task.tmpDir, buckets.length, task.rangeIndex)))
    return buckets[i]!
  }
  const seed = sha256(Uint8Array.from([...task.roundSecret, task.rangeIndex >> 8, task.rangeIndex & 255]))
  const rng = new Drbg(sha256, seed, 'bulwark-por buckets')
  const pieceRng = new Drbg(sha256, seed, 'bulwark-por split')
  let seqCount = 0

  const fd = openSync(task.path, 'r')
  let buf = Buffer.allocUnsafe(READ_BYTES)
  let filled = 0
  let fileOffset = task.start
  let eof = false
  const fill = () => {
    while (!eof && filled < buf.length) {
      const want = Math.min(buf.length - filled, task.end - (fileOffset + filled))
      if (want <= 0) {
        eof = true
        break
      }
      const n = readSync(fd, buf, filled, want, fileOffset + filled)
      if (n === 0) eof = true
      filled += n
    }
  }
  fill()

  const hi = new Float64Array(2 * k)
  const lo = new Float64Array(2 * k)
  const cell: ParsedCell = { hi: 0, lo: 0, negative: false, error: undefined }
  let rows = 0
  let lines = 0
  let pos = 0

  const writeRecord = (
    idStart: number,
    idLen: number,
    piece: number,
    his: Float64Array,
    los: Float64Array,
  ) => {
    const b = task.shuffle
      ? bucketAt(task.bucketCount === 1 ? 0 : rng.below(task.bucketCount))
      : bucketAt(Math.floor(seqCount++ / SEQ_CAP))
    const size = bucketRecordSize(idLen, k)
    const out = b.reserve(size)
    let o = b.offset
    out[o] = idLen >> 8
    out[o + 1] = idLen & 255
    buf.copy(out, o + 2, idStart, idStart + idLen)
    out[o + 2 + idLen] = piece
    o += 3 + idLen
    for (let c = 0; c < 2 * k; c++, o += 8) {
      const h = his[c]!
      const l = los[c]!
      out[o] = h >>> 24
      out[o + 1] = (h >>> 16) & 255
      out[o + 2] = (h >>> 8) & 255
      out[o + 3] = h & 255
      out[o + 4] = l >>> 24
      out[o + 5] = (l >>> 16) & 255
      out[o + 6] = (l >>> 8) & 255
      out[o + 7] = l & 255
    }
    b.advance(size)
  }

  for (;;) {
    let end = buf.indexOf(10, pos)
    if (end < 0 || end >= filled) {
      if (eof) {
        if (pos >= filled) break
        end = filled
      } else {
        buf.copy(buf, 0, pos, filled)
        fileOffset += pos
        filled -= pos
        pos = 0
        if (filled === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2)
          buf.copy(bigger, 0, 0, filled)
          buf = bigger
        }
        fill()
        continue
      }
    }
    const line = lines++
    let stop = end
    if (stop > pos && buf[stop - 1] === 13) stop--
    const lineStart = pos
    pos = end + 1
    if (stop === lineStart) continue
    let c = buf.indexOf(44, lineStart)
    if (c < 0 || c > stop) c = stop
    const idLen = c - lineStart
    if (idLen === 0 || idLen > 255) {
      issue(line, idLen === 0 ? 'user_id is empty' : 'user_id is longer than 255 bytes')
      continue
    }
    let quoted = false
    for (let i = lineStart; i < c; i++) if (buf[i] === 34) quoted = true
    if (quoted) {
      issue(line, 'user_id must not contain quotes (fields are never quoted)')
      continue
    }
    let col = 0
    let bad = false
    let hasDebt = false
    let start = c + 1
    while (col < k && start <= stop) {
      let e = buf.indexOf(44, start)
      if (e < 0 || e > stop) e = stop
      parseAmountBytes(buf, start, e, decimals[col]!, cell)
      if (cell.error) {
        issue(line, `${task.symbols[col]} amount "${buf.toString('utf8', start, e)}" ${cell.error}`)
        bad = true
        break
      }
      const eqi = 2 * col
      if (cell.negative) {
        hasDebt = true
        hi[eqi] = 0
        lo[eqi] = 0
        hi[eqi + 1] = cell.hi
        lo[eqi + 1] = cell.lo
      } else {
        hi[eqi] = cell.hi
        lo[eqi] = cell.lo
        hi[eqi + 1] = 0
        lo[eqi + 1] = 0
      }
      col++
      start = e + 1
      if (e === stop) break
    }
    if (bad) continue
    if (col !== k || start <= stop) {
      const found = buf.subarray(lineStart, stop).toString('utf8').split(',').length
      issue(line, `expected ${k + 1} columns, found ${found}`)
      continue
    }
    const [klo, khi] = hash64(buf, lineStart, c, 0)
    keys.push(klo)
    keys.push(khi)
    offsets.push(fileOffset + lineStart)
    localLines.push(line)
    rows++
    if (hasDebt) {
      let collateral = 0n
      let debt = 0n
      for (let a = 0; a < k; a++) {
        const eq = BigInt(hi[2 * a]!) * 4294967296n + BigInt(lo[2 * a]!)
        const d = BigInt(hi[2 * a + 1]!) * 4294967296n + BigInt(lo[2 * a + 1]!)
        collateral += eq * cw[a]!
        debt += d * dw[a]!
      }
      if (collateral < debt) {
        const id = buf.toString('utf8', lineStart, c)
        if (exempt.has(id)) exempted.push(id)
        else {
          underCount++
          if (under.length < task.maxIssues) under.push({ localLine: line, userId: id })
        }
      }
    }
    if (issueCount > 0 || underCount > 0) continue // keep validating, stop writing
    if (task.split === 1) {
      writeRecord(lineStart, idLen, 0, hi, lo)
    } else {
      const shares = splitShares(pieceRng, hi, lo, task.split)
      for (let p = 0; p < task.split; p++) writeRecord(lineStart, idLen, p, shares[p]!.hi, shares[p]!.lo)
    }
  }
  closeSync(fd)
  for (const b of buckets) b.close()
  const bucketCounts = Array.from(
    { length: Math.max(task.bucketCount, buckets.length) },
    (_, i) => buckets[i]?.count ?? 0,
  )
  return {
    kind: 'import',
    rangeIndex: task.rangeIndex,
    lines,
    rows,
    keys: keys.done(),
    offsets: offsets.done(),
    localLines: localLines.done(),
    issues,
    issueCount,
    under,
    underCount,
    exempted,
    bucketCounts,
  }
}

/** Splits each component into `split` random shares summing exactly to it. */
function splitShares(rng: Drbg, hi: Float64Array, lo: Float64Array, split: number) {
  const out = Array.from({ length: split }, () => ({
    hi: new Float64Array(hi.length),
    lo: new Float64Array(hi.length),
  }))
  for (let x = 0; x < hi.length; x++) {
    const v = BigInt(hi[x]!) * 4294967296n + BigInt(lo[x]!)
    const w = Array.from({ length: split }, () => BigInt(rng.nextU32()) + 1n)
    const total = w.reduce((a, b) => a + b, 0n)
    let rest = v
    for (let p = 0; p < split; p++) {
      const share = p === split - 1 ? rest : (v * w[p]!) / total
      rest -= share
      out[p]!.hi[x] = Number(share >> 32n)
      out[p]!.lo[x] = Number(share & 0xffffffffn)
    }
  }
  return out
}
