/**
 * @module Builds a round's liabilities tree on disk from the two input CSV files, in three timed phases:
 * import (stream the snapshot once, validate, scatter users over shuffle buckets), leaves (hash buckets in worker
 * threads) and tree (fold aligned chunks of 2^16 leaves in worker threads, then the few top levels). Memory stays
 * bounded by the bucket size and the user index; the tree lives in files (round directory, see store.ts).
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AppError } from '../platform/errors.ts'
import { type ParsedCell, parseAmountBytes } from './amount.ts'
import { type AssetSpec, collateralWeights, type ImportIssue, parseAssetsCsv } from './assets.ts'
import { bucketRecordSize } from './chunk.ts'
import { Drbg } from './drbg.ts'
import { hash64, KeyTable } from './keytable.ts'
import { type HashBackend, sha256For } from './sha.ts'
import { ROUND_FILES, type RoundAuditor, type RoundPrivate, type RoundSummary } from './store.ts'
import {
  concatBytes,
  padKey as derivePadKey,
  nodeSize,
  padNode,
  parentInto,
  rootCommitment,
  toHex,
} from './verify/layout.ts'
import { nodeSums } from './verify/verify.ts'
import { runTask, type WorkerResult, type WorkerTask } from './worker.ts'

export interface BuildParameters {
  liabilitiesPath: string
  assetsPath: string
  outDir: string
  roundId: string
  /** 32 random bytes; every nonce, shuffle and padding value derives from it. Keep it private. */
  roundSecret: Uint8Array
  /** Tree depth; default: the smallest multiple of 4 ≥ max(20, log2(leaves)), so only the magnitude leaks. */
  depth?: number
  /** Split every user into this many leaves with random shares of each balance (default 1). */
  split?: number
  /** Shuffle leaf order (default true). */
  shuffle?: boolean
  /** User ids exempted from the collateral check, recorded in the round. */
  exemptions?: readonly string[]
  /** Worker threads (default 2; 0 runs in the calling thread). */
  workers?: number
  hash?: HashBackend
  now?: () => Date
  onProgress?: (phase: 'import' | 'leaves' | 'tree', done: number, total: number) => void
}

export interface BuildResult {
  summary: RoundSummary
  users: number
  leaves: number
  exemptedUndercollateralised: string[]
  phasesMs: { import: number; leaves: number; tree: number }
  /** CPU time of the whole process (all threads) per phase: independent of other load on the machine. */
  phasesCpuMs: { import: number; leaves: number; tree: number }
}

/** An undercollateralised user found at import. */
export interface Undercollateralised {
  userId: string
  line: number
}

const MAX_ISSUES = 100
const CHUNK_LEVELS = 16
const STORE_FROM = 4
const BUCKET_BYTES = 16 << 20
const READ_BYTES = 8 << 20

/** Default depth for a leaf count: a multiple of 4, at least 20, so the height reveals only the magnitude. */
export function defaultDepth(leaves: number): number {
  const need = Math.max(20, Math.ceil(Math.log2(Math.max(leaves, 2))))
  return Math.ceil(need / 4) * 4
}

class BucketWriter {
  readonly path: string
  count = 0
  private readonly fd: number
  private buf = Buffer.allocUnsafe(1 << 20)
  private n = 0
  constructor(path: string) {
    this.path = path
    this.fd = openSync(path, 'w')
  }
  reserve(k: number): Buffer {
    if (this.n + k > this.buf.length) this.flush()
    if (k > this.buf.length) this.buf = Buffer.allocUnsafe(k)
    return this.buf
  }
  get offset() {
    return this.n
  }
  advance(k: number) {
    this.n += k
    this.count++
  }
  flush() {
    let done = 0
    while (done < this.n) done += writeSync(this.fd, this.buf, done, this.n - done)
    this.n = 0
  }
  close() {
    this.flush()
    closeSync(this.fd)
  }
}

class Pool {
  private readonly workers: Worker[] = []
  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(new Worker(new URL('./worker.ts', import.meta.url)))
  }
  /** Runs tasks on the pool (or inline when the pool is empty), calling `done` per result in completion order. */
  async run<T extends WorkerTask>(tasks: T[], done: (task: T, result: WorkerResult) => void): Promise<void> {
    if (this.workers.length === 0) {
      for (const t of tasks) done(t, runTask(t))
      return
    }
    let next = 0
    await Promise.all(
      this.workers.map(async (w) => {
        while (next < tasks.length) {
          const task = tasks[next++]!
          const msg = await new Promise<{ ok: boolean; result?: WorkerResult; error?: string }>(
            (resolve, reject) => {
              w.once('message', resolve)
              w.once('error', reject)
              w.postMessage(task)
            },
          )
          w.removeAllListeners('error')
          if (!msg.ok) throw new Error(`worker failed: ${msg.error}`)
          done(task, msg.result!)
        }
      }),
    )
  }
  async close() {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}

/**
 * Builds a round directory. Throws AppError POR_IMPORT_INVALID (line-numbered issues) or POR_UNDERCOLLATERALISED
 * (offending users) before anything is hashed.
 *
 * @example await buildRound({ liabilitiesPath, assetsPath, outDir, roundId: '2026-11', roundSecret: randomBytes(32) })
 */
export async function buildRound(params: BuildParameters): Promise<BuildResult> {
  const sha256 = sha256For(params.hash ?? 'openssl')
  const split = params.split ?? 1
  if (!Number.isInteger(split) || split < 1 || split > 16) {
    throw new AppError('POR_BAD_PARAMETER', 400, `split must be an integer 1..16, got ${split}`)
  }
  if (params.roundSecret.length !== 32)
    throw new AppError('POR_BAD_PARAMETER', 400, 'round secret must be 32 bytes')
  if (!/^[\w.:-]{1,64}$/.test(params.roundId)) {
    throw new AppError('POR_BAD_PARAMETER', 400, 'round id must be 1-64 of letters, digits, . _ : -')
  }
  const shuffle = params.shuffle ?? true
  mkdirSync(params.outDir, { recursive: true })
  const tmp = join(params.outDir, 'tmp')
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)

  // Phase 1: import.
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const c0 = cpu()
  const t0 = performance.now()
  const imported = importLiabilities(params, sha256, split, shuffle, tmp)
  const { assets, buckets, users } = imported
  const leafCount = users * split
  const depth = params.depth ?? defaultDepth(leafCount)
  if (!Number.isInteger(depth) || depth < 1 || depth > 40 || 2 ** depth < leafCount) {
    throw new AppError('POR_BAD_PARAMETER', 400, `depth ${depth} cannot hold ${leafCount} leaves (max 40)`)
  }
  const k = assets.length
  const t1 = performance.now()
  const c1 = cpu()

  // Phase 2: leaves.
  const pool = new Pool(params.workers ?? 2)
  const files = ROUND_FILES
  const leavesPath = join(params.outDir, files.leaves)
  closeSync(openSync(leavesPath, 'w'))
  const index = new KeyTable(leafCount)
  try {
    let first = 0
    const tasks = buckets.map((b, i) => {
      const task: WorkerTask & { kind: 'leaves' } = {
        kind: 'leaves',
        hash: params.hash ?? 'openssl',
        bucketPath: b.path,
        count: b.count,
        assetCount: k,
        roundSecret: params.roundSecret,
        shuffleSeed: shuffle
          ? sha256(concatBytes(params.roundSecret, Uint8Array.of(i >> 8, i & 255)))
          : undefined,
        leavesPath,
        firstPosition: first,
      }
      first += b.count
      return task
    })
    let hashed = 0
    await pool.run(tasks, (task, result) => {
      if (result.kind !== 'leaves') return
      for (let i = 0; i < task.count; i++) {
        index.insert(result.keys[i * 2]!, result.keys[i * 2 + 1]!, task.firstPosition + i)
      }
      hashed += task.count
      params.onProgress?.('leaves', hashed, leafCount)
    })
    rmSync(tmp, { recursive: true, force: true })
    writeFileSync(join(params.outDir, files.index), index.slots)
    const t2 = performance.now()
    const c2 = cpu()

    // Phase 3: tree.
    const key = derivePadKey(sha256, params.roundSecret)
    const chunkLevels = Math.min(CHUNK_LEVELS, depth)
    const storeFrom = Math.min(STORE_FROM, depth)
    const levelPaths: Record<number, string> = {}
    for (let l = storeFrom; l <= depth; l++) {
      levelPaths[l] = join(params.outDir, files.level(l))
      closeSync(openSync(levelPaths[l]!, 'w'))
    }
    const chunkSize = 2 ** chunkLevels
    const chunkCount = Math.max(1, Math.ceil(leafCount / chunkSize))
    const chunkTasks: (WorkerTask & { kind: 'chunk' })[] = []
    for (let c = 0; c < chunkCount; c++) {
      chunkTasks.push({
        kind: 'chunk',
        hash: params.hash ?? 'openssl',
        leavesPath,
        levelPaths,
        first: c * chunkSize,
        count: Math.min(chunkSize, leafCount - c * chunkSize),
        assetCount: k,
        levels: chunkLevels,
        chunkIndex: c,
        padKey: key,
      })
    }
    const size = nodeSize(k)
    const tops = new Uint8Array(chunkCount * size)
    let folded = 0
    await pool.run(chunkTasks, (task, result) => {
      if (result.kind !== 'chunk') return
      tops.set(result.top, task.chunkIndex * size)
      folded += task.count
      params.onProgress?.('tree', folded, leafCount)
    })
    let level = tops
    let n = chunkCount
    const scratch = new Uint8Array(8 + 2 * size)
    for (let l = chunkLevels; l < depth; l++) {
      const padded = new Uint8Array((n + 1) * size)
      padded.set(level.subarray(0, n * size))
      if (n % 2 === 1) padded.set(padNode(sha256, key, l, n, k), n * size)
      const m = Math.ceil(n / 2)
      const next = new Uint8Array(m * size)
      for (let i = 0; i < m; i++) {
        if (
          parentInto(sha256, padded.subarray(2 * i * size, (2 * i + 2) * size), scratch, next, i * size) >= 0
        ) {
          throw new AppError('POR_SUM_OVERFLOW', 422, `sum overflow at level ${l + 1}`)
        }
      }
      if (l + 1 >= storeFrom) writeFileSync(levelPaths[l + 1]!, next)
      level = next
      n = m
    }
    const top = level.slice(0, size)
    const root = rootCommitment(sha256, params.roundId, depth, assets, top)
    const t3 = performance.now()
    const c3 = cpu()

    const exemptions = [...new Set(params.exemptions ?? [])].sort()
    const summary: RoundSummary = {
      format: 'bulwark-por-round',
      version: 1,
      mode: 1,
      roundId: params.roundId,
      createdAt: (params.now?.() ?? new Date()).toISOString(),
      depth,
      assets: assets.map((a) => ({ symbol: a.symbol, decimals: a.decimals })),
      root: toHex(root),
      topHash: toHex(top.subarray(0, 32)),
      totals: nodeSums(top, k).map((s, i) => ({
        symbol: assets[i]!.symbol,
        equity: s.equity.toString(),
        debt: s.debt.toString(),
      })),
      split,
      exemptions: {
        count: exemptions.length,
        listHash: toHex(sha256(new TextEncoder().encode(exemptions.join('\n')))),
      },
    }
    const priv: RoundPrivate = { roundSecret: toHex(params.roundSecret), users, indexSlots: index.mask + 1 }
    const auditor: RoundAuditor = {
      padKey: toHex(key),
      leafCount,
      storeFrom,
      assets: assets.map((a) => ({
        symbol: a.symbol,
        decimals: a.decimals,
        priceUsd: formatDecimal(a.priceUsd),
        haircut: formatDecimal(a.haircut),
      })),
      exemptions,
      exemptedUndercollateralised: imported.exempted,
    }
    writeFileSync(join(params.outDir, files.summary), `${JSON.stringify(summary, null, 2)}\n`)
    writeFileSync(join(params.outDir, files.private), `${JSON.stringify(priv, null, 2)}\n`)
    writeFileSync(join(params.outDir, files.auditor), `${JSON.stringify(auditor, null, 2)}\n`)
    return {
      summary,
      users,
      leaves: leafCount,
      exemptedUndercollateralised: imported.exempted,
      phasesMs: { import: t1 - t0, leaves: t2 - t1, tree: t3 - t2 },
      phasesCpuMs: { import: c1 - c0, leaves: c2 - c1, tree: c3 - c2 },
    }
  } finally {
    await pool.close()
  }
}

function formatDecimal(d: { units: bigint; scale: number }): string {
  const s = d.units.toString().padStart(d.scale + 1, '0')
  return d.scale === 0 ? s : `${s.slice(0, -d.scale)}.${s.slice(-d.scale)}`
}

interface Imported {
  assets: AssetSpec[]
  buckets: BucketWriter[]
  users: number
  exempted: string[]
}

/** Streams the liabilities CSV once: validates every row, checks collateral, writes bucket records. */
function importLiabilities(
  params: BuildParameters,
  sha256: ReturnType<typeof sha256For>,
  split: number,
  shuffle: boolean,
  tmp: string,
): Imported {
  const assetsFile = params.assetsPath.split('/').pop() ?? 'assets.csv'
  const liabFile = params.liabilitiesPath.split('/').pop() ?? 'liabilities.csv'
  const parsedAssets = parseAssetsCsv(readFileSync(params.assetsPath, 'utf8'), assetsFile)
  if (parsedAssets.issues.length > 0) throw importError(parsedAssets.issues, parsedAssets.issues.length)
  const bySymbol = new Map(parsedAssets.assets.map((a) => [a.symbol, a]))

  const fd = openSync(params.liabilitiesPath, 'r')
  const fileSize = fstatSync(fd).size
  const issues: ImportIssue[] = []
  let issueCount = 0
  const issue = (line: number, message: string) => {
    issueCount++
    if (issues.length < MAX_ISSUES) issues.push({ file: liabFile, line, message })
  }
  let buf = Buffer.allocUnsafe(READ_BYTES)
  let filled = 0
  let fileOffset = 0 // file offset of buf[0]
  let eof = false
  const fill = () => {
    while (!eof && filled < buf.length) {
      const n = readSync(fd, buf, filled, buf.length - filled, fileOffset + filled)
      if (n === 0) eof = true
      filled += n
    }
  }
  fill()

  // Header.
  let nl = buf.indexOf(10)
  if (nl < 0 || nl > filled) nl = filled
  const header = buf
    .subarray(0, nl)
    .toString('utf8')
    .replace(/\r$/, '')
    .split(',')
    .map((h) => h.trim())
  const assets: AssetSpec[] = []
  if (header[0] !== 'user_id') issue(1, 'header must start with user_id')
  const seenCols = new Set<string>()
  for (const sym of header.slice(1)) {
    const a = bySymbol.get(sym)
    if (!a) issue(1, `column ${sym} is not an asset in ${assetsFile}`)
    else if (seenCols.has(sym)) issue(1, `column ${sym} appears twice`)
    else assets.push(a)
    seenCols.add(sym)
  }
  if (header.length < 2) issue(1, 'header has no asset columns')
  if (issueCount > 0) {
    closeSync(fd)
    throw importError(issues, issueCount)
  }
  const k = assets.length
  const decimals = assets.map((a) => a.decimals)
  const weights = collateralWeights(assets)
  const exempt = new Set(params.exemptions ?? [])
  const exempted: string[] = []
  const under: Undercollateralised[] = []
  let underCount = 0

  const bucketCount = shuffle ? Math.min(4096, Math.max(1, Math.ceil((fileSize * split) / BUCKET_BYTES))) : 0
  const buckets: BucketWriter[] = []
  const bucketAt = (i: number) => {
    while (buckets.length <= i) buckets.push(new BucketWriter(join(tmp, `bucket-${buckets.length}.bin`)))
    return buckets[i]!
  }
  const rng = new Drbg(sha256, params.roundSecret, 'bulwark-por buckets')
  const seqCap = 1 << 17
  let seqCount = 0

  // Size the duplicate table from the average row length of the first chunk, not from a worst case.
  let sampleLines = 0
  for (let i = buf.indexOf(10); i >= 0 && i < filled; i = buf.indexOf(10, i + 1)) sampleLines++
  const expectedRows = Math.ceil((fileSize / Math.max(1, filled)) * Math.max(1, sampleLines) * 1.05)
  const seen = new KeyTable(Math.max(1024, expectedRows), true)
  const hi = new Float64Array(2 * k)
  const lo = new Float64Array(2 * k)
  const cell: ParsedCell = { hi: 0, lo: 0, negative: false, error: undefined }
  const dec = new TextDecoder()
  let users = 0
  let line = 1
  let pos = nl + 1
  const idBuf = Buffer.allocUnsafe(256)

  const idAtOffset = (offset: number): string => {
    const n = readSync(fd, idBuf, 0, 256, offset)
    const b = idBuf.subarray(0, n)
    const comma = b.indexOf(44)
    return b.subarray(0, comma < 0 ? n : comma).toString('utf8')
  }

  const writeRecord = (
    idStart: number,
    idLen: number,
    piece: number,
    his: Float64Array,
    los: Float64Array,
  ) => {
    const b = shuffle
      ? bucketAt(bucketCount === 1 ? 0 : rng.below(bucketCount))
      : bucketAt(Math.floor(seqCount++ / seqCap))
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
  const pieceRng = new Drbg(sha256, params.roundSecret, 'bulwark-por split')

  for (;;) {
    let end = buf.indexOf(10, pos)
    if (end < 0 || end >= filled) {
      if (eof) {
        if (pos >= filled) break
        end = filled
      } else {
        // Move the partial line to the front and read more.
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
    line++
    let stop = end
    if (stop > pos && buf[stop - 1] === 13) stop--
    const lineStart = pos
    pos = end + 1
    if (stop === lineStart) continue // blank line
    // user id
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
        issue(line, `${assets[col]!.symbol} amount "${buf.toString('utf8', start, e)}" ${cell.error}`)
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
    // duplicates
    const [klo, khi] = hash64(buf, lineStart, c, 0)
    const rowOffset = fileOffset + lineStart
    let dup = -1
    const matches = seen.find(klo, khi)
    if (matches.length > 0) {
      const id = buf.toString('utf8', lineStart, c)
      for (const s of matches) {
        if (idAtOffset(seen.extra![s]!) === id) dup = seen.value(s)
      }
    }
    if (dup >= 0) {
      issue(line, `user ${buf.toString('utf8', lineStart, c)} already appears on line ${dup}`)
      continue
    }
    seen.insert(klo, khi, line, rowOffset)
    users++
    if (hasDebt) {
      let collateral = 0n
      let debt = 0n
      for (let a = 0; a < k; a++) {
        const eq = BigInt(hi[2 * a]!) * 4294967296n + BigInt(lo[2 * a]!)
        const d = BigInt(hi[2 * a + 1]!) * 4294967296n + BigInt(lo[2 * a + 1]!)
        collateral += eq * weights.collateral[a]!
        debt += d * weights.debt[a]!
      }
      if (collateral < debt) {
        const id = dec.decode(buf.subarray(lineStart, c))
        if (exempt.has(id)) exempted.push(id)
        else {
          underCount++
          if (under.length < MAX_ISSUES) under.push({ userId: id, line })
        }
      }
    }
    if (issueCount > 0 || underCount > 0) continue // keep validating, stop writing
    if (split === 1) {
      writeRecord(lineStart, idLen, 0, hi, lo)
    } else {
      const shares = splitShares(pieceRng, hi, lo, split)
      for (let p = 0; p < split; p++) writeRecord(lineStart, idLen, p, shares[p]!.hi, shares[p]!.lo)
    }
    if ((users & 0xffff) === 0) params.onProgress?.('import', fileOffset + pos, fileSize)
  }
  closeSync(fd)
  for (const b of buckets) b.close()
  params.onProgress?.('import', fileSize, fileSize)
  if (issueCount > 0) throw importError(issues, issueCount)
  if (underCount > 0) {
    throw new AppError(
      'POR_UNDERCOLLATERALISED',
      422,
      `${underCount} user(s) have debts not covered by their haircut collateral: ` +
        `${under
          .slice(0, 10)
          .map((u) => `${u.userId} (line ${u.line})`)
          .join(', ')}${underCount > 10 ? ', …' : ''}. Fix the snapshot or pass them as recorded exemptions.`,
      { details: { count: underCount, users: under } },
    )
  }
  if (users === 0) throw importError([{ file: liabFile, line: 2, message: 'no users in the snapshot' }], 1)
  return { assets, buckets: buckets.filter((b) => b.count > 0), users, exempted }
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

function importError(issues: ImportIssue[], count: number): AppError {
  const head = issues
    .slice(0, 5)
    .map((i) => `${i.file} line ${i.line}: ${i.message}`)
    .join('; ')
  return new AppError(
    'POR_IMPORT_INVALID',
    400,
    `${count} problem(s) in the input files: ${head}${count > 5 ? '; …' : ''}`,
    { details: { count, issues } },
  )
}
