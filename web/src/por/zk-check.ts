/**
 * @module The in-browser check of a user's zk batch proof (docs/por-zk.md, "In-browser batch check"): downloads
 * the round's published zk hashes, its manifest, verification key and the user's batch file, and verifies the
 * UltraHonk proof here with bb.js (single-threaded wasm, served by our own server, no CDN), so the result does
 * not rest on the server's word. Every check is named like the CLI's (`bulwark por verify-zk`).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { type PorProof, userHash } from '../../../src/por/verify/index.ts'

/** What `GET /api/por/rounds/:id/zk` returns: the hashes the published round records. */
export interface ZkRecord {
  exchangeId: string
  circuitHash: string
  vkHash: string
  setupHash: string
  setupInsecure: boolean
  setupG2: string
  topRoot: string
  batchSize: number
  batchCount: number
  leafCount: number
  provedAt: string
}

interface Manifest {
  exchangeId: string
  roundId: string
  batchSize: number
  vkHash: string
  setupHash: string
  batches: { index: number; root: string; prevCum: string; newCum: string }[]
}

interface BatchFile {
  index: number
  root: string
  prevCum: string
  newCum: string
  leaves: string[]
  proof: string
}

export interface ZkBrowserCheck {
  name: string
  ok: boolean
  detail: string
}

export interface ZkBrowserResult {
  ok: boolean
  checks: ZkBrowserCheck[]
  failed: ZkBrowserCheck | undefined
  /** Wall time of the whole check, downloads included; `proofMs` is the bb.js verification alone. */
  ms: number
  proofMs: number | null
  insecure: boolean
}

/** Where the server serves bb.js's single-threaded wasm (src/por/zk/routes.ts). */
export const BB_WASM_PATH = '/api/por/zk/barretenberg.wasm.gz'
const P = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n
const TAG_LEAF = 1n
const TAG_NODE = 2n

/** bb.js as the page verifier uses it. */
export type Bb = {
  api: import('@aztec/bb.js').BarretenbergSync
  Fr: typeof import('@aztec/bb.js').Fr
  RawBuffer: typeof import('@aztec/bb.js').RawBuffer
  reconstructHonkProof: typeof import('@aztec/bb.js').reconstructHonkProof
}
let loading: Promise<Bb> | undefined
let srsFor: string | undefined

/** Loads bb.js and its wasm once per page (the wasm comes from our server, not Aztec's CDN). */
function loadBb(): Promise<Bb> {
  loading ??= import('@aztec/bb.js').then(async (m) => ({
    api: await m.BarretenbergSync.initSingleton(BB_WASM_PATH, () => {}),
    Fr: m.Fr,
    RawBuffer: m.RawBuffer,
    reconstructHonkProof: m.reconstructHonkProof,
  }))
  return loading
}

const hexToBytes = (hex: string): Uint8Array => {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16)
  return out
}
const field = (x: bigint) => x.toString(16).padStart(64, '0')
const toHex = (x: bigint) => `0x${field(x)}`
/** A label as a field: the first 31 bytes of its SHA-256 (src/por/zk/hash.ts labelField). */
const labelField = (label: string) =>
  BigInt(`0x${bytesToHex(sha256(new TextEncoder().encode(label)).subarray(0, 31))}`)

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return (await res.json()) as T
}

/**
 * bb.js in this page with the verifier's setup initialised: only the first G1 point (the generator, (1, 2)) and
 * the round's published τ·G2 (hex). The wasm is loaded once per page, the setup again only when it changes.
 */
export async function pageVerifier(setupG2: string): Promise<Bb> {
  const bb = await loadBb()
  if (srsFor !== setupG2) {
    const g1 = new Uint8Array(64)
    g1[31] = 1
    g1[63] = 2
    // Raw bytes, not length-prefixed vectors: as bb.js passes its own CRS and keys.
    bb.api.srsInitSrs(new bb.RawBuffer(g1), 1, new bb.RawBuffer(hexToBytes(setupG2)))
    srsFor = setupG2
  }
  return bb
}

/**
 * Verifies one batch's UltraHonk proof in this page, with its public inputs rebuilt from the exchange, the round,
 * the batch index and the batch file's root and totals commitments; `ms` is the bb.js verification alone (also
 * what `npm run bench:por-zk -- --browser` times).
 * @example verifyBatchProof(await pageVerifier(record.setupG2), vk, 'acme', '2026-12', 0, file).ok
 */
export function verifyBatchProof(
  bb: Bb,
  vk: Uint8Array,
  exchangeId: string,
  roundId: string,
  index: number,
  file: Pick<BatchFile, 'root' | 'prevCum' | 'newCum' | 'proof'>,
): { ok: boolean; ms: number } {
  const publicInputs = [
    labelField(exchangeId),
    labelField(roundId),
    BigInt(index),
    BigInt(file.root),
    BigInt(file.prevCum),
    BigInt(file.newCum),
  ]
  const inputs = hexToBytes(publicInputs.map(field).join(''))
  const raw = Uint8Array.from(atob(file.proof), (c) => c.charCodeAt(0))
  const t0 = performance.now()
  let ok = false
  try {
    ok = bb.api.acirVerifyUltraHonk(bb.reconstructHonkProof(inputs, raw), new bb.RawBuffer(vk))
  } catch {
    // A malformed proof aborts inside the wasm: it is simply not a valid proof.
    ok = false
  }
  return { ok, ms: performance.now() - t0 }
}

/**
 * Checks the user's zk batch (the batch of each piece of their Merkle-sum proof) in the browser.
 * @example const r = await checkZkBatch(proof); r.ok
 */
export async function checkZkBatch(proof: PorProof): Promise<ZkBrowserResult> {
  const started = performance.now()
  const checks: ZkBrowserCheck[] = []
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail })
    return ok
  }
  let proofMs: number | null = null
  const id = encodeURIComponent(proof.roundId)
  const finish = (insecure: boolean): ZkBrowserResult => {
    const failed = checks.find((c) => !c.ok)
    return { ok: failed === undefined, checks, failed, ms: performance.now() - started, proofMs, insecure }
  }
  const record = await getJson<ZkRecord>(`/api/por/rounds/${id}/zk`)
  const manifest = await getJson<Manifest>(`/api/por/rounds/${id}/zk/manifest.json`)
  if (
    !check(
      'setup-hash',
      manifest.setupHash === record.setupHash,
      `the proofs' setup ${manifest.setupHash} ${manifest.setupHash === record.setupHash ? 'is' : 'differs from'} the round's published setup ${record.setupHash}`,
    )
  )
    return finish(record.setupInsecure)
  const vkRes = await fetch(`/api/por/rounds/${id}/zk/vk.bin`)
  const vk = new Uint8Array(await vkRes.arrayBuffer())
  const vkHash = bytesToHex(sha256(vk))
  if (
    !check(
      'verification-key',
      vkRes.ok && vkHash === record.vkHash && manifest.vkHash === record.vkHash,
      `vk.bin ${vkHash}, manifest ${manifest.vkHash}, published ${record.vkHash}`,
    )
  )
    return finish(record.setupInsecure)
  if (
    !check(
      'binding',
      manifest.exchangeId === record.exchangeId && manifest.roundId === proof.roundId,
      `proofs for ${manifest.exchangeId}/${manifest.roundId}, expected ${record.exchangeId}/${proof.roundId}`,
    )
  )
    return finish(record.setupInsecure)

  const bb = await pageVerifier(record.setupG2)
  const hash = (xs: bigint[]) =>
    BigInt(bb.api.poseidon2Hash(xs.map((x) => new bb.Fr(((x % P) + P) % P))).toString())
  const batchSize = record.batchSize
  for (const piece of proof.pieces) {
    const index = Math.floor(piece.position / batchSize)
    const published = manifest.batches[index]
    const file = await getJson<BatchFile>(
      `/api/por/rounds/${id}/zk/batch-${String(index).padStart(6, '0')}.json`,
    )
    const same =
      published !== undefined &&
      file.index === index &&
      file.root === published.root &&
      file.prevCum === published.prevCum &&
      file.newCum === published.newCum
    if (!check('batch-file', same, `batch ${index}: file and manifest agree`)) continue
    // The user's leaf commitment H(LEAF·2^248 + userHash, balances packed three per field) at their position.
    const uh = BigInt(`0x${bytesToHex(userHash(sha256, piece.nonce, proof.userId).subarray(0, 31))}`)
    const packed: bigint[] = []
    piece.balances.forEach((b, j) => {
      const slot = Math.floor(j / 3)
      packed[slot] = (packed[slot] ?? 0n) + (b.equity << (64n * BigInt(j % 3)))
    })
    const leaf = toHex(hash([(TAG_LEAF << 248n) + uh, ...packed]))
    check(
      'user-leaf',
      file.leaves[piece.position % batchSize] === leaf,
      `your leaf ${piece.position} ${file.leaves[piece.position % batchSize] === leaf ? 'is' : 'is not'} in batch ${index}`,
    )
    let level = file.leaves.map((l) => BigInt(l))
    while (level.length > 1) {
      const next: bigint[] = []
      for (let i = 0; i < level.length; i += 2)
        next.push(hash([TAG_NODE, level[i] ?? 0n, level[i + 1] ?? 0n]))
      level = next
    }
    check('batch-root', toHex(level[0] ?? 0n) === file.root, `batch ${index}: leaves hash to the batch root`)
    const verified = verifyBatchProof(bb, vk, record.exchangeId, proof.roundId, index, file)
    const ok = verified.ok
    proofMs = (proofMs ?? 0) + verified.ms
    check(
      'proof',
      ok,
      `batch ${index}: UltraHonk proof ${ok ? 'verifies' : 'does not verify'} in this browser`,
    )
  }
  return finish(record.setupInsecure)
}
