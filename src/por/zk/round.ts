/**
 * @module A round's zk proof of liabilities: the leaves cut into batches of N, one UltraHonk proof per batch,
 * chained by commitments to the running per-asset totals, a Poseidon2 top tree over the batch roots, and a
 * manifest that publishes the circuit, verification-key and setup hashes. Proving is resumable (each batch
 * file is written atomically and reused when it matches) and runs up to `cores` batches at once.
 * The statement covers each leaf's equity per asset (the liabilities); debts stay in the Merkle-sum tree.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../platform/errors.ts'
import { ROUND_FILES, readAuditor, readSummary } from '../store.ts'
import { readUintBE } from '../verify/layout.ts'
import {
  type BatchProof,
  type BatchPublic,
  type BatchWitness,
  expectedPublic,
  openBatchProver,
  openBatchVerifier,
  proveBatch,
  verificationKey,
} from './batch.ts'
import { type BatchShape, type CompiledBatchCircuit, compileBatchCircuit } from './circuit.ts'
import {
  cumCommit,
  fromFieldHex,
  initHash,
  labelField,
  leafHash,
  merkleRoot,
  toHex,
  topRoot,
  userHashField,
} from './hash.ts'
import { openSetup, type Setup } from './setup.ts'

export const ZK_FILES = {
  manifest: 'manifest.json',
  vk: 'vk.bin',
  batch: (i: number) => `batch-${String(i).padStart(6, '0')}.json`,
} as const

/** One leaf as the zk layer sees it: the user commitment and the equity per asset. */
export interface ZkLeaf {
  userHash: bigint
  balances: bigint[]
}

/** The published description of a round's zk proof (manifest.json). */
export interface ZkManifest {
  format: 'bulwark-por-zk'
  version: 2
  exchangeId: string
  roundId: string
  assets: string[]
  batchSize: number
  leafCount: number
  circuitHash: string
  vkHash: string
  setupHash: string
  /** True when the setup is a known-τ test setup: such a proof proves nothing. */
  setupInsecure: boolean
  batches: { index: number; root: string; prevCum: string; newCum: string }[]
  topRoot: string
  /** The final cumulative totals (equity per asset, smallest units) and the salt that opens the last commitment. */
  totals: string[]
  finalSalt: string
}

/** A batch file: its public values, its leaf commitments (so a user can find theirs) and the proof. */
export interface ZkBatchFile {
  format: 'bulwark-por-zk-batch'
  index: number
  root: string
  prevCum: string
  newCum: string
  leaves: string[]
  proof: string
}

/** The salt that hides the running totals after batch `i` (derived from the round secret; −1 → 0). */
export function batchSalt(secret: Uint8Array, index: number): bigint {
  if (index < 0) return 0n
  const h = createHash('sha256').update('bulwark-por-zk-salt').update(secret).update(String(index)).digest()
  return BigInt(`0x${h.subarray(0, 31).toString('hex')}`)
}

/** The leaves of a round directory in tree order, with each leaf's equity per asset. */
export function readZkLeaves(roundDir: string): { leaves: ZkLeaf[]; assets: string[]; roundId: string } {
  const summary = readSummary(roundDir)
  const auditor = readAuditor(roundDir)
  const k = summary.assets.length
  const size = 64 + 16 * k
  const bytes = readFileSync(join(roundDir, ROUND_FILES.leaves))
  if (bytes.length !== auditor.leafCount * size) {
    throw new AppError(
      'POR_ROUND_CORRUPT',
      500,
      `${ROUND_FILES.leaves} does not hold ${auditor.leafCount} leaf records`,
    )
  }
  const leaves: ZkLeaf[] = []
  for (let i = 0; i < auditor.leafCount; i++) {
    const rec = bytes.subarray(i * size, (i + 1) * size)
    const balances: bigint[] = []
    for (let j = 0; j < k; j++) balances.push(readUintBE(rec, 64 + 16 * j, 8))
    leaves.push({ userHash: userHashField(rec.subarray(32, 64)), balances })
  }
  return { leaves, assets: summary.assets.map((a) => a.symbol), roundId: summary.roundId }
}

export interface PlannedBatch {
  public: BatchPublic
  witness: BatchWitness
  leafHashes: bigint[]
}

/** Cuts leaves into batches (the last padded with zero leaves) and derives every public value and witness. */
export function planBatches(p: {
  exchangeId: string
  roundId: string
  leaves: readonly ZkLeaf[]
  assets: number
  batchSize: number
  secret: Uint8Array
}): PlannedBatch[] {
  const exchange = labelField(p.exchangeId)
  const round = labelField(p.roundId)
  const count = Math.max(1, Math.ceil(p.leaves.length / p.batchSize))
  let totals = new Array<bigint>(p.assets).fill(0n)
  const out: PlannedBatch[] = []
  for (let b = 0; b < count; b++) {
    const slice = p.leaves.slice(b * p.batchSize, (b + 1) * p.batchSize)
    while (slice.length < p.batchSize) slice.push({ userHash: 0n, balances: new Array(p.assets).fill(0n) })
    const witness: BatchWitness = {
      userHashes: slice.map((l) => l.userHash),
      balances: slice.map((l) => l.balances),
      prevTotals: totals,
      prevSalt: batchSalt(p.secret, b - 1),
      newSalt: batchSalt(p.secret, b),
    }
    out.push({
      public: expectedPublic(exchange, round, b, witness),
      witness,
      leafHashes: slice.map((l) => leafHash(l.userHash, l.balances)),
    })
    totals = totals.map((t, j) => slice.reduce((s, l) => s + (l.balances[j] ?? 0n), t))
  }
  return out
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  writeFileSync(`${file}.${process.pid}.tmp`, data)
  renameSync(`${file}.${process.pid}.tmp`, file)
}

function batchFileOf(b: PlannedBatch, proof: Uint8Array): ZkBatchFile {
  return {
    format: 'bulwark-por-zk-batch',
    index: b.public.index,
    root: toHex(b.public.root),
    prevCum: toHex(b.public.prevCum),
    newCum: toHex(b.public.newCum),
    leaves: b.leafHashes.map(toHex),
    proof: Buffer.from(proof).toString('base64'),
  }
}

/** Whether an existing batch file is the proof of this planned batch (so a resumed run can keep it). */
function matches(file: string, b: PlannedBatch): boolean {
  if (!existsSync(file)) return false
  try {
    const f = JSON.parse(readFileSync(file, 'utf8')) as ZkBatchFile
    return (
      f.index === b.public.index &&
      f.root === toHex(b.public.root) &&
      f.prevCum === toHex(b.public.prevCum) &&
      f.newCum === toHex(b.public.newCum)
    )
  } catch {
    return false
  }
}

export interface ProveRoundParameters {
  exchangeId: string
  roundId: string
  assets: string[]
  leaves: readonly ZkLeaf[]
  secret: Uint8Array
  batchSize: number
  setup: Setup
  outDir: string
  /** Batches proved at once (each in its own bb.js worker). */
  cores?: number
  onProgress?: (done: number, total: number, reused: number) => void
}

export interface ProveRoundResult {
  manifest: ZkManifest
  proved: number
  reused: number
  ms: number
}

/**
 * Proves every batch of a round into `outDir` and writes the manifest last. Re-running after a crash keeps
 * every batch file that matches the plan and proves only the rest.
 */
export async function proveRound(p: ProveRoundParameters): Promise<ProveRoundResult> {
  const started = performance.now()
  await initHash()
  const shape: BatchShape = { users: p.batchSize, assets: p.assets.length }
  const circuit = await compileBatchCircuit(shape)
  const plan = planBatches({ ...p, assets: p.assets.length })
  mkdirSync(p.outDir, { recursive: true })
  const todo = plan.filter((b) => !matches(join(p.outDir, ZK_FILES.batch(b.public.index)), b))
  const reused = plan.length - todo.length
  let done = reused
  p.onProgress?.(done, plan.length, reused)
  let next = 0
  const worker = async () => {
    if (next >= todo.length) return
    const prover = await openBatchProver(circuit, p.setup)
    try {
      while (next < todo.length) {
        const b = todo[next++] as PlannedBatch
        const proved: BatchProof = await proveBatch(circuit, p.setup, b.public, b.witness, { prover })
        writeAtomic(
          join(p.outDir, ZK_FILES.batch(b.public.index)),
          JSON.stringify(batchFileOf(b, proved.proof)),
        )
        done++
        p.onProgress?.(done, plan.length, reused)
      }
    } finally {
      await prover.destroy()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(p.cores ?? 1, todo.length)) }, worker))
  // The key as a fresh backend writes it: deterministic, so any verifier recomputes the same bytes (the key
  // bb.js writes after proving carries 64 different, unused bytes).
  const vk = await verificationKey(circuit, p.setup)
  writeAtomic(join(p.outDir, ZK_FILES.vk), vk)
  const last = plan[plan.length - 1] as PlannedBatch
  const finalTotals = last.witness.prevTotals.map((t, j) =>
    last.witness.balances.reduce((s, row) => s + (row[j] ?? 0n), t),
  )
  const manifest: ZkManifest = {
    format: 'bulwark-por-zk',
    version: 2,
    exchangeId: p.exchangeId,
    roundId: p.roundId,
    assets: p.assets,
    batchSize: p.batchSize,
    leafCount: p.leaves.length,
    circuitHash: circuit.circuitHash,
    vkHash: createHash('sha256').update(vk).digest('hex'),
    setupHash: p.setup.hash,
    setupInsecure: p.setup.insecure,
    batches: plan.map((b) => ({
      index: b.public.index,
      root: toHex(b.public.root),
      prevCum: toHex(b.public.prevCum),
      newCum: toHex(b.public.newCum),
    })),
    topRoot: toHex(topRoot(plan.map((b) => b.public.root))),
    totals: finalTotals.map(String),
    finalSalt: toHex(last.witness.newSalt),
  }
  writeAtomic(join(p.outDir, ZK_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`)
  return { manifest, proved: todo.length, reused, ms: performance.now() - started }
}

/**
 * The key of a circuit under a setup, recomputed once per machine and kept under the OS temp directory by
 * (circuit hash, setup hash): recomputing builds the proving key's commitments, tens of seconds at 2^17 gates.
 */
async function cachedVerificationKey(circuit: CompiledBatchCircuit, setup: Setup): Promise<Uint8Array> {
  // Per user and private: a key planted here would short-circuit the check.
  const dir = join(tmpdir(), `bulwark-zk-vk-${process.getuid?.() ?? 'user'}`)
  const file = join(dir, `${circuit.circuitHash}-${setup.hash}.bin`)
  if (existsSync(file)) return new Uint8Array(readFileSync(file))
  const vk = await verificationKey(circuit, setup)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeAtomic(file, vk)
  return vk
}

/** One named check of a zk verification. */
export interface ZkCheck {
  name: string
  ok: boolean
  detail: string
}

export interface ZkVerifyResult {
  ok: boolean
  checks: ZkCheck[]
  failed: ZkCheck | undefined
  /** Batches whose proofs were checked. */
  batches: number[]
  ms: number
}

/** What the verifier trusts: values the exchange published independently of the zk directory. */
export interface ZkTrusted {
  exchangeId: string
  roundId: string
  /** The setup file (its hash must equal `setupHash`). */
  setupFile: string
  /** The published setup hash; defaults to the manifest's, which then proves only self-consistency. */
  setupHash?: string
  /** The published verification-key hash (the round's zk record); a manifest naming another key is refused. */
  vkHash?: string
  /** The round's published equity totals per asset (round.json). */
  totals?: { symbol: string; equity: string }[]
  /** Refuse a known-τ test setup (production verifiers do). */
  refuseInsecure?: boolean
}

/**
 * Verifies a zk directory: setup and verification-key pins, circuit, round binding, the chain of totals
 * commitments from zero to the published totals, the batch and top roots, and the proofs of `only` (a batch
 * index) or of every batch. Every check is named; the first failure is `failed`.
 */
export async function verifyZkRound(
  dir: string,
  trusted: ZkTrusted,
  only?: number | readonly number[],
): Promise<ZkVerifyResult> {
  const started = performance.now()
  const checks: ZkCheck[] = []
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail })
    return ok
  }
  const finish = (batches: number[]): ZkVerifyResult => {
    const failed = checks.find((c) => !c.ok)
    return { ok: failed === undefined, checks, failed, batches, ms: performance.now() - started }
  }
  await initHash()
  if (!existsSync(join(dir, ZK_FILES.manifest))) {
    throw new AppError(
      'ZK_NOT_FOUND',
      404,
      `${dir} has no ${ZK_FILES.manifest}: prove the round first (bulwark por prove)`,
    )
  }
  const manifest = JSON.parse(readFileSync(join(dir, ZK_FILES.manifest), 'utf8')) as ZkManifest
  if (
    !check(
      'format',
      manifest.format === 'bulwark-por-zk' && manifest.version === 2,
      'manifest format 2 (leaf format of docs/por-zk.md)',
    )
  )
    return finish([])
  const pinnedSetup = trusted.setupHash ?? manifest.setupHash
  if (
    !check(
      'setup-hash',
      manifest.setupHash === pinnedSetup,
      `manifest setup ${manifest.setupHash}, published ${pinnedSetup}`,
    )
  )
    return finish([])
  let setup: Setup
  try {
    setup = openSetup(trusted.setupFile, pinnedSetup)
  } catch (e) {
    check('setup-hash', false, (e as Error).message)
    return finish([])
  }
  check('setup-hash', true, `setup file ${setup.hash}`)
  if (
    trusted.refuseInsecure &&
    !check('setup-secure', !setup.insecure, 'the setup is a known-tau INSECURE test setup')
  )
    return finish([])
  const binding = manifest.exchangeId === trusted.exchangeId && manifest.roundId === trusted.roundId
  if (
    !check(
      'binding',
      binding,
      `proofs for ${manifest.exchangeId}/${manifest.roundId}, expected ${trusted.exchangeId}/${trusted.roundId}`,
    )
  )
    return finish([])
  const circuit: CompiledBatchCircuit = await compileBatchCircuit({
    users: manifest.batchSize,
    assets: manifest.assets.length,
  })
  if (!check('circuit', circuit.circuitHash === manifest.circuitHash, `circuit ${circuit.circuitHash}`))
    return finish([])
  const vk = new Uint8Array(readFileSync(join(dir, ZK_FILES.vk)))
  const vkHash = createHash('sha256').update(vk).digest('hex')
  const expectedVk = await cachedVerificationKey(circuit, setup)
  const pinnedVk = trusted.vkHash ?? manifest.vkHash
  const vkOk =
    vkHash === manifest.vkHash &&
    vkHash === pinnedVk.toLowerCase() &&
    Buffer.compare(Buffer.from(vk), Buffer.from(expectedVk)) === 0
  if (
    !check(
      'verification-key',
      vkOk,
      `vk.bin ${vkHash}, manifest ${manifest.vkHash}, published ${pinnedVk}; must equal the key of the circuit under the setup`,
    )
  )
    return finish([])

  const exchange = labelField(trusted.exchangeId)
  const round = labelField(trusted.roundId)
  const k = manifest.assets.length
  const bs = manifest.batches
  check(
    'chain-start',
    bs[0]?.prevCum === toHex(cumCommit(exchange, round, new Array(k).fill(0n), 0n)),
    'the first batch starts from zero totals',
  )
  for (let i = 0; i < bs.length; i++) {
    const b = bs[i] as ZkManifest['batches'][number]
    if (b.index !== i) check('chain', false, `batch at position ${i} says index ${b.index}`)
    else if (i > 0 && b.prevCum !== bs[i - 1]?.newCum)
      check(
        'chain',
        false,
        `batch ${i} does not continue from batch ${i - 1} (a batch left out or reordered)`,
      )
  }
  if (!checks.some((c) => c.name === 'chain')) check('chain', true, `${bs.length} batches linked`)
  const totals = manifest.totals.map((t) => BigInt(t))
  check(
    'chain-end',
    bs[bs.length - 1]?.newCum === toHex(cumCommit(exchange, round, totals, fromFieldHex(manifest.finalSalt))),
    'the last commitment opens to the published totals',
  )
  if (trusted.totals) {
    const want = trusted.totals.map((t) => t.equity)
    const same = want.length === totals.length && want.every((t, j) => BigInt(t) === totals[j])
    check(
      'published-totals',
      same,
      same
        ? 'equity totals match round.json'
        : `zk totals ${manifest.totals.join(',')} differ from round.json ${want.join(',')}`,
    )
  }
  check(
    'top-root',
    toHex(topRoot(bs.map((b) => fromFieldHex(b.root)))) === manifest.topRoot,
    'top tree over batch roots',
  )
  const indices = only === undefined ? bs.map((b) => b.index) : [...new Set([only].flat())]
  const missing = indices.find((i) => !(Number.isInteger(i) && i >= 0 && i < bs.length))
  if (
    only !== undefined &&
    !check('batch', missing === undefined, `batch ${missing ?? indices.join(',')} of ${bs.length}`)
  )
    return finish([])
  const verifier = await openBatchVerifier(setup)
  try {
    for (const i of indices) {
      const published = bs[i] as ZkManifest['batches'][number]
      const file = JSON.parse(readFileSync(join(dir, ZK_FILES.batch(i)), 'utf8')) as ZkBatchFile
      const same =
        file.root === published.root && file.prevCum === published.prevCum && file.newCum === published.newCum
      if (!check('batch-file', same && file.index === i, `batch ${i}: file and manifest agree`)) continue
      const leavesRoot = toHex(merkleRoot(file.leaves.map(fromFieldHex)))
      if (!check('batch-root', leavesRoot === file.root, `batch ${i}: leaves hash to the batch root`))
        continue
      const pub: BatchPublic = {
        exchange,
        round,
        index: i,
        root: fromFieldHex(file.root),
        prevCum: fromFieldHex(file.prevCum),
        newCum: fromFieldHex(file.newCum),
      }
      const ok = await verifier.verify(vk, pub, new Uint8Array(Buffer.from(file.proof, 'base64')))
      check('proof', ok, `batch ${i}: UltraHonk proof ${ok ? 'verifies' : 'does not verify'}`)
    }
  } finally {
    await verifier.destroy()
  }
  return finish(indices)
}

/** A user's zk inclusion: their leaf commitment (from their Merkle-sum proof) in their batch. */
export function userLeaf(userHash: Uint8Array, equities: readonly bigint[]): string {
  return toHex(leafHash(userHashField(userHash), equities))
}

/** The batch holding leaf `position`. */
export const batchOf = (position: number, batchSize: number) => Math.floor(position / batchSize)

/** Checks the batch file contains the user's leaf commitment at its position. */
export function checkUserInBatch(
  file: ZkBatchFile,
  batchSize: number,
  position: number,
  leaf: string,
): ZkCheck {
  const ok = file.leaves[position % batchSize] === leaf
  return { name: 'user-leaf', ok, detail: `leaf ${position} ${ok ? 'is' : 'is not'} in batch ${file.index}` }
}
