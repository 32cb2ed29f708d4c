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
} from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AppError } from '../platform/errors.ts'
import { type AssetSpec, collateralWeights, type ImportIssue, parseAssetsCsv } from './assets.ts'
import { bucketPath, type ImportRangeResult, type ImportRangeTask } from './import-range.ts'
import { KeyTable } from './keytable.ts'
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

/** Default depth for a leaf count: a multiple of 4, at least 20, so the height reveals only the magnitude. */
export function defaultDepth(leaves: number): number {
  const need = Math.max(20, Math.ceil(Math.log2(Math.max(leaves, 2))))
  return Math.ceil(need / 4) * 4
}

class Pool {
  private readonly workers: Worker[] = []
  get size() {
    return Math.max(1, this.workers.length)
  }
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
  const pool = new Pool(params.workers ?? 2)
  let imported: Imported
  try {
    imported = await importLiabilities(params, pool, split, shuffle, tmp)
  } catch (e) {
    await pool.close()
    throw e
  }
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
        bucketPaths: b.paths,
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
  /** Per bucket: its files (one per import range) and total record count. */
  buckets: { paths: string[]; count: number }[]
  users: number
  exempted: string[]
}

/**
 * Imports the liabilities CSV: reads the header, cuts the rest into line-aligned ranges parsed in parallel by the
 * workers (one range when not shuffling, to keep input order), then merges: duplicate users across the whole file,
 * issues and undercollateralised users with their global line numbers.
 */
async function importLiabilities(
  params: BuildParameters,
  pool: Pool,
  split: number,
  shuffle: boolean,
  tmp: string,
): Promise<Imported> {
  const assetsFile = params.assetsPath.split('/').pop() ?? 'assets.csv'
  const liabFile = params.liabilitiesPath.split('/').pop() ?? 'liabilities.csv'
  const parsedAssets = parseAssetsCsv(readFileSync(params.assetsPath, 'utf8'), assetsFile)
  if (parsedAssets.issues.length > 0) throw importError(parsedAssets.issues, parsedAssets.issues.length)
  const bySymbol = new Map(parsedAssets.assets.map((a) => [a.symbol, a]))

  const fd = openSync(params.liabilitiesPath, 'r')
  try {
    const fileSize = fstatSync(fd).size
    const head = Buffer.allocUnsafe(Math.min(fileSize, 1 << 20))
    const headLen = readSync(fd, head, 0, head.length, 0)
    let nl = head.indexOf(10)
    if (nl < 0 || nl >= headLen) nl = headLen
    const header = head
      .subarray(0, nl)
      .toString('utf8')
      .replace(/\r$/, '')
      .split(',')
      .map((h) => h.trim())
    const headerIssues: ImportIssue[] = []
    const assets: AssetSpec[] = []
    if (header[0] !== 'user_id')
      headerIssues.push({ file: liabFile, line: 1, message: 'header must start with user_id' })
    const seenCols = new Set<string>()
    for (const sym of header.slice(1)) {
      const a = bySymbol.get(sym)
      if (!a)
        headerIssues.push({
          file: liabFile,
          line: 1,
          message: `column ${sym} is not an asset in ${assetsFile}`,
        })
      else if (seenCols.has(sym))
        headerIssues.push({ file: liabFile, line: 1, message: `column ${sym} appears twice` })
      else assets.push(a)
      seenCols.add(sym)
    }
    if (header.length < 2)
      headerIssues.push({ file: liabFile, line: 1, message: 'header has no asset columns' })
    if (headerIssues.length > 0) throw importError(headerIssues, headerIssues.length)

    // Line-aligned ranges after the header.
    const bodyStart = Math.min(nl + 1, fileSize)
    const rangeCount = shuffle
      ? Math.max(1, Math.min(pool.size, Math.floor((fileSize - bodyStart) / (1 << 20)) || 1))
      : 1
    const cuts = [bodyStart]
    const probe = Buffer.allocUnsafe(64 << 10)
    for (let r = 1; r < rangeCount; r++) {
      let at = Math.max(cuts[r - 1]!, bodyStart + Math.floor(((fileSize - bodyStart) * r) / rangeCount))
      for (;;) {
        const n = readSync(fd, probe, 0, probe.length, at)
        if (n === 0) {
          at = fileSize
          break
        }
        const i = probe.indexOf(10)
        if (i >= 0 && i < n) {
          at += i + 1
          break
        }
        at += n
      }
      cuts.push(at)
    }
    cuts.push(fileSize)
    const weights = collateralWeights(assets)
    const bucketCount = shuffle
      ? Math.min(4096, Math.max(1, Math.ceil((fileSize * split) / BUCKET_BYTES)))
      : 0
    const tasks: ImportRangeTask[] = []
    for (let r = 0; r < rangeCount; r++) {
      tasks.push({
        kind: 'import',
        hash: params.hash ?? 'openssl',
        path: params.liabilitiesPath,
        start: cuts[r]!,
        end: cuts[r + 1]!,
        rangeIndex: r,
        symbols: assets.map((a) => a.symbol),
        decimals: assets.map((a) => a.decimals),
        collateralWeights: weights.collateral.map(String),
        debtWeights: weights.debt.map(String),
        exemptions: [...(params.exemptions ?? [])],
        split,
        shuffle,
        bucketCount,
        roundSecret: params.roundSecret,
        tmpDir: tmp,
        maxIssues: MAX_ISSUES,
      })
    }
    const results: ImportRangeResult[] = []
    let doneBytes = 0
    await pool.run(tasks, (task, result) => {
      if (result.kind !== 'import') return
      results[task.rangeIndex] = result
      doneBytes += task.end - task.start
      params.onProgress?.('import', doneBytes, fileSize)
    })

    // Merge: global line numbers, duplicates across ranges, issue and collateral lists.
    const issues: ImportIssue[] = []
    let issueCount = 0
    const under: Undercollateralised[] = []
    let underCount = 0
    const exempted: string[] = []
    let users = 0
    let firstLine = 2
    const seen = new KeyTable(
      results.reduce((s, r) => s + r.rows, 0),
      true,
    )
    const idBuf = Buffer.allocUnsafe(256)
    const idAt = (offset: number) => {
      const n = readSync(fd, idBuf, 0, 256, offset)
      const comma = idBuf.subarray(0, n).indexOf(44)
      return idBuf.subarray(0, comma < 0 ? n : comma).toString('utf8')
    }
    for (const r of results) {
      for (const i of r.issues)
        issues.push({ file: liabFile, line: firstLine + i.localLine, message: i.message })
      issueCount += r.issueCount
      for (const u of r.under) under.push({ userId: u.userId, line: firstLine + u.localLine })
      underCount += r.underCount
      for (const e of r.exempted) exempted.push(e)
      for (let i = 0; i < r.rows; i++) {
        const lo = r.keys[2 * i]!
        const hi = r.keys[2 * i + 1]!
        const line = firstLine + r.localLines[i]!
        const matches = seen.find(lo, hi)
        if (matches.length > 0) {
          const id = idAt(r.offsets[i]!)
          const dup = matches.find((s) => idAt(seen.extra![s]!) === id)
          if (dup !== undefined) {
            issueCount++
            issues.push({
              file: liabFile,
              line,
              message: `user ${id} already appears on line ${seen.value(dup)}`,
            })
            continue
          }
        }
        seen.insert(lo, hi, line, r.offsets[i]!)
        users++
      }
      firstLine += r.lines
    }
    issues.sort((x, y) => x.line - y.line)
    under.sort((x, y) => x.line - y.line)
    if (issueCount > 0) throw importError(issues.slice(0, MAX_ISSUES), issueCount)
    if (underCount > 0) {
      throw new AppError(
        'POR_UNDERCOLLATERALISED',
        422,
        `${underCount} user(s) have debts not covered by their haircut collateral: ` +
          `${under
            .slice(0, 10)
            .map((u) => `${u.userId} (line ${u.line})`)
            .join(
              ', ',
            )}${underCount > 10 ? ', …' : ''}. Fix the snapshot or pass them as recorded exemptions.`,
        { details: { count: underCount, users: under.slice(0, MAX_ISSUES) } },
      )
    }
    if (users === 0) throw importError([{ file: liabFile, line: 2, message: 'no users in the snapshot' }], 1)
    const bucketTotal = Math.max(...results.map((r) => r.bucketCounts.length))
    const buckets: Imported['buckets'] = []
    for (let b = 0; b < bucketTotal; b++) {
      const paths: string[] = []
      let count = 0
      for (const r of results) {
        const n = r.bucketCounts[b] ?? 0
        if (n > 0) {
          paths.push(bucketPath(tmp, b, r.rangeIndex))
          count += n
        }
      }
      if (count > 0) buckets.push({ paths, count })
    }
    return { assets, buckets, users, exempted: exempted.sort() }
  } finally {
    closeSync(fd)
  }
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
