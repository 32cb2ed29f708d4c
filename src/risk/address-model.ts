/**
 * @module Address-risk classifier: a random forest (ml-random-forest, regression on the 0/1 label
 * so the mean of the trees is a calibrated-ish probability) over per-address on-chain aggregate
 * features (transaction counts, timing, values, ERC-20 activity: the columns of the public
 * Ethereum fraud dataset). It never sees the address itself nor the dataset's row index (which
 * is sorted by label and would leak it). Missing ERC-20 aggregates are imputed as 0 ("no ERC-20
 * activity"): in the public data only flagged rows have them missing, a collection artifact a
 * model must not learn. Each score comes with reasons: the features whose value falls in a range
 * where flagged accounts are over-represented in training.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { RandomForestRegression } from 'ml-random-forest'
import { z } from 'zod'
import { AppError } from '../platform/errors.ts'
import type { Reason } from './schema.ts'

export const ADDRESS_MODEL_KIND = 'bulwark.risk.address'

/** Columns the model reads (names as in the dataset header, trimmed). */
export const ADDRESS_FEATURES = [
  'Avg min between sent tnx',
  'Avg min between received tnx',
  'Time Diff between first and last (Mins)',
  'Sent tnx',
  'Received Tnx',
  'Number of Created Contracts',
  'Unique Received From Addresses',
  'Unique Sent To Addresses',
  'min value received',
  'max value received',
  'avg val received',
  'min val sent',
  'max val sent',
  'avg val sent',
  'min value sent to contract',
  'max val sent to contract',
  'avg value sent to contract',
  'total transactions (including tnx to create contract',
  'total Ether sent',
  'total ether received',
  'total ether sent contracts',
  'total ether balance',
  'Total ERC20 tnxs',
  'ERC20 total Ether received',
  'ERC20 total ether sent',
  'ERC20 total Ether sent contract',
  'ERC20 uniq sent addr',
  'ERC20 uniq rec addr',
  'ERC20 uniq sent addr.1',
  'ERC20 uniq rec contract addr',
  'ERC20 avg time between sent tnx',
  'ERC20 avg time between rec tnx',
  'ERC20 avg time between rec 2 tnx',
  'ERC20 avg time between contract tnx',
  'ERC20 min val rec',
  'ERC20 max val rec',
  'ERC20 avg val rec',
  'ERC20 min val sent',
  'ERC20 max val sent',
  'ERC20 avg val sent',
  'ERC20 min val sent contract',
  'ERC20 max val sent contract',
  'ERC20 avg val sent contract',
  'ERC20 uniq sent token name',
  'ERC20 uniq rec token name',
] as const

export type CsvTable = { header: string[]; rows: string[][] }

/** Parses a simple CSV (no quoted fields, as in the dataset); header names are trimmed. */
export function parseCsv(text: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0)
  const header = (lines[0] ?? '').split(',').map((h) => h.trim())
  return { header, rows: lines.slice(1).map((l) => l.split(',')) }
}

/** Column index of every model feature in `header` (-1 when absent → treated as 0). */
export function featureColumns(header: readonly string[]): number[] {
  return ADDRESS_FEATURES.map((f) => header.indexOf(f))
}

export function rowToFeatures(row: readonly string[], columns: readonly number[]): number[] {
  return columns.map((c) => {
    if (c < 0) return 0
    const v = row[c]?.trim() ?? ''
    const n = v === '' ? 0 : Number(v)
    return Number.isFinite(n) ? n : 0
  })
}

/** Deterministic held-out split by address: sha256(lower-case address)[0] mod 100 < testPercent. */
export function isHeldOut(address: string, testPercent = 20): boolean {
  return sha256(utf8ToBytes(address.toLowerCase()))[0]! % 100 < testPercent
}

const binSchema = z.object({ edges: z.array(z.number()), fraudRate: z.array(z.number()) })
export const addressModelSchema = z.object({
  kind: z.literal(ADDRESS_MODEL_KIND),
  version: z.string(),
  trainedAt: z.string(),
  features: z.array(z.string()),
  threshold: z.number(),
  baseRate: z.number(),
  bins: z.array(binSchema),
  forest: z.record(z.string(), z.unknown()),
  report: z.record(z.string(), z.unknown()),
})
export type AddressModelFile = z.output<typeof addressModelSchema>

export type AddressScore = { score: number; label: 'fraud' | 'ok'; reasons: Reason[] }
export type AddressModel = {
  version: string
  file: AddressModelFile
  scoreRows(rows: readonly (readonly number[])[]): AddressScore[]
}

export type TrainAddressOptions = {
  version: string
  trees?: number
  maxDepth?: number
  maxFeatures?: number
  seed?: number
  now?: Date
}

function quantileEdges(values: number[], k: number): number[] {
  const s = [...values].sort((a, b) => a - b)
  const edges = new Set<number>()
  for (let q = 1; q < k; q++) edges.add(s[Math.floor((q / k) * (s.length - 1))]!)
  return [...edges].sort((a, b) => a - b)
}
function binOf(edges: readonly number[], v: number): number {
  let b = 0
  while (b < edges.length && v > edges[b]!) b++
  return b
}

/**
 * Trains the forest. 15% of the training rows are held back to choose the decision threshold
 * (best F1), so the threshold is not fitted on the rows the trees learned.
 * @example const file = trainAddressModel(X, y, { version: 'address-rf-1' })
 */
export function trainAddressModel(
  X: number[][],
  y: number[],
  options: TrainAddressOptions,
): AddressModelFile {
  const seed = options.seed ?? 42
  const idx = X.map((_, i) => i)
  // deterministic shuffle for the threshold split
  let s = seed
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
  }
  const cut = Math.floor(idx.length * 0.15)
  const cal = idx.slice(0, cut)
  const fit = idx.slice(cut)
  const params = {
    nEstimators: options.trees ?? 40,
    maxFeatures: options.maxFeatures ?? 0.4,
    replacement: true,
    useSampleBagging: true,
    noOOB: true,
    seed,
    treeOptions: { maxDepth: options.maxDepth ?? 12, minNumSamples: 3 },
  }
  const t0 = performance.now()
  const rf = new RandomForestRegression(params)
  rf.train(
    fit.map((i) => X[i]!),
    fit.map((i) => y[i]!),
  )
  const trainMs = performance.now() - t0
  const calScores = rf.predict(cal.map((i) => X[i]!))
  let best = { t: 0.5, f1: -1 }
  for (let t = 0.05; t < 0.96; t += 0.01) {
    const m = binaryMetrics(
      calScores,
      cal.map((i) => y[i]!),
      t,
    )
    if (m.f1 > best.f1) best = { t: Math.round(t * 100) / 100, f1: m.f1 }
  }
  const baseRate = y.reduce((a, b) => a + b, 0) / y.length
  const bins = ADDRESS_FEATURES.map((_, f) => {
    const col = X.map((r) => r[f]!)
    const edges = quantileEdges(col, 10)
    const pos = new Array<number>(edges.length + 1).fill(0)
    const all = new Array<number>(edges.length + 1).fill(0)
    col.forEach((v, i) => {
      const b = binOf(edges, v)
      all[b]!++
      pos[b]! += y[i]!
    })
    return { edges, fraudRate: all.map((a, b) => (a > 0 ? pos[b]! / a : baseRate)) }
  })
  return {
    kind: ADDRESS_MODEL_KIND,
    version: options.version,
    trainedAt: (options.now ?? new Date()).toISOString(),
    features: [...ADDRESS_FEATURES],
    threshold: best.t,
    baseRate,
    bins,
    forest: rf.toJSON() as unknown as Record<string, unknown>,
    report: {
      library: 'ml-random-forest 2.1.0 (RandomForestRegression on 0/1 labels)',
      params,
      rows: { fit: fit.length, calibration: cal.length, positives: y.reduce((a, b) => a + b, 0) },
      threshold: { value: best.t, chosenBy: 'best F1 on the calibration rows', f1: best.f1 },
      trainSeconds: Math.round(trainMs / 100) / 10,
    },
  }
}

/**
 * Loads an address model file.
 * @throws AppError RISK_MODEL_INVALID when the file is not an address model.
 */
export function loadAddressModel(raw: unknown): AddressModel {
  const parsed = addressModelSchema.safeParse(raw)
  if (!parsed.success) throw new AppError('RISK_MODEL_INVALID', 400, 'Not a Bulwark address-risk model file.')
  const file = parsed.data
  const rf = RandomForestRegression.load(file.forest as never)
  return {
    version: file.version,
    file,
    scoreRows(rows) {
      if (rows.length === 0) return []
      const scores = rf.predict(rows.map((r) => [...r]))
      return scores.map((score, k) => {
        const row = rows[k]!
        const reasons: Reason[] = []
        if (score >= file.threshold) {
          const lifts = file.bins
            .map((b, f) => ({ f, rate: b.fraudRate[binOf(b.edges, row[f]!)]! }))
            .filter((x) => x.rate > file.baseRate * 1.5)
            .sort((a, b) => b.rate - a.rate)
            .slice(0, 3)
          for (const { f, rate } of lifts) {
            reasons.push({
              code: 'address.feature',
              text: `${file.features[f]} = ${row[f]} (${Math.round(rate * 100)}% of training accounts in this range were flagged, vs ${Math.round(file.baseRate * 100)}% overall)`,
              score: rate,
            })
          }
        }
        const rounded = Math.round(score * 1e4) / 1e4
        return { score: rounded, label: score >= file.threshold ? 'fraud' : 'ok', reasons }
      })
    },
  }
}

export type BinaryMetrics = {
  tp: number
  fp: number
  fn: number
  tn: number
  precision: number
  recall: number
  f1: number
}

export function binaryMetrics(
  scores: readonly number[],
  labels: readonly number[],
  threshold: number,
): BinaryMetrics {
  let tp = 0
  let fp = 0
  let fn = 0
  let tn = 0
  scores.forEach((s, i) => {
    const p = s >= threshold
    if (p && labels[i] === 1) tp++
    else if (p) fp++
    else if (labels[i] === 1) fn++
    else tn++
  })
  const precision = tp + fp ? tp / (tp + fp) : 0
  const recall = tp + fn ? tp / (tp + fn) : 0
  return {
    tp,
    fp,
    fn,
    tn,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  }
}

/** ROC-AUC by the rank-sum (Mann–Whitney) formula, ties counted half. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let rankSumPos = 0
  let nPos = 0
  let i = 0
  while (i < idx.length) {
    let j = i
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        rankSumPos += avgRank
        nPos++
      }
    }
    i = j + 1
  }
  const nNeg = idx.length - nPos
  if (nPos === 0 || nNeg === 0) return Number.NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** Reads the fraud dataset CSV into features, labels and addresses, dropping exact duplicate rows. */
export function readLabelledCsv(text: string) {
  const { header, rows } = parseCsv(text)
  const cols = featureColumns(header)
  const flag = header.indexOf('FLAG')
  const addr = header.indexOf('Address')
  if (flag < 0) throw new AppError('RISK_DATA_INVALID', 400, 'The CSV has no FLAG column to train on.')
  const seen = new Set<string>()
  const X: number[][] = []
  const y: number[] = []
  const addresses: string[] = []
  for (const r of rows) {
    const a = addr >= 0 ? (r[addr] ?? '') : ''
    const f = rowToFeatures(r, cols)
    const key = `${a}|${f.join(',')}`
    if (seen.has(key)) continue
    seen.add(key)
    X.push(f)
    y.push(Number(r[flag]) === 1 ? 1 : 0)
    addresses.push(a)
  }
  return { X, y, addresses }
}
