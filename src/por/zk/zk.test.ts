import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRound } from '../build.ts'
import { openRound, readSummary } from '../store.ts'
import { userHash } from '../verify/layout.ts'
import { expectedPublic, openBatchVerifier, proveBatch, verificationKey } from './batch.ts'
import { compileBatchCircuit } from './circuit.ts'
import {
  FIELD_MODULUS,
  initHash,
  labelField,
  leafHash,
  merkleRoot,
  packBalances,
  poseidon2,
  TAG_LEAF,
  toHex,
  topRoot,
} from './hash.ts'
import {
  batchOf,
  checkUserInBatch,
  proveRound,
  readZkLeaves,
  userLeaf,
  verifyZkRound,
  ZK_FILES,
  type ZkBatchFile,
  type ZkManifest,
} from './round.ts'
import { insecureTestSetup, type Setup } from './setup.ts'

// A real round (10 users, 2 assets) cut into batches of 4: three batch proofs, the last padded.
const work = mkdtempSync(join(tmpdir(), 'por-zk-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const roundDir = join(work, 'round')
const zkDir = join(work, 'zk')
const secret = new Uint8Array(32).fill(7)
const shape = { users: 4, assets: 2 }
let setup: Setup
let setupFile: string

beforeAll(async () => {
  await initHash()
  setup = insecureTestSetup(4097)
  setupFile = join(tmpdir(), 'bulwark-zk-setup-4097', 'bn254-crs-INSECURE-TEST-ONLY.bwcrs')
  writeFileSync(join(work, 'a.csv'), 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n')
  const rows = Array.from({ length: 10 }, (_, i) => `u${i},${i}.25,${i * 100}\n`).join('')
  writeFileSync(join(work, 'l.csv'), `user_id,BTC,USDT\n${rows}`)
  await buildRound({
    liabilitiesPath: join(work, 'l.csv'),
    assetsPath: join(work, 'a.csv'),
    outDir: roundDir,
    roundId: '2026-11',
    roundSecret: secret,
    workers: 0,
  })
  const { leaves, assets, roundId } = readZkLeaves(roundDir)
  await proveRound({
    exchangeId: 'ex-a',
    roundId,
    assets,
    leaves,
    secret,
    batchSize: 4,
    setup,
    outDir: zkDir,
    cores: 2,
  })
}, 180_000)

const trusted = () => ({
  exchangeId: 'ex-a',
  roundId: '2026-11',
  setupFile,
  setupHash: setup.hash,
  totals: readSummary(roundDir).totals,
})

/** A copy of the zk directory to tamper with. */
function copy(): string {
  const dir = mkdtempSync(join(work, 'tamper-'))
  cpSync(zkDir, dir, { recursive: true })
  return dir
}
const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, ZK_FILES.manifest), 'utf8')) as ZkManifest
const writeManifest = (dir: string, m: ZkManifest) =>
  writeFileSync(join(dir, ZK_FILES.manifest), JSON.stringify(m))
const readBatch = (dir: string, i: number) =>
  JSON.parse(readFileSync(join(dir, ZK_FILES.batch(i)), 'utf8')) as ZkBatchFile
const failedNames = (r: { checks: { name: string; ok: boolean }[] }) =>
  r.checks.filter((c) => !c.ok).map((c) => c.name)

describe('zk proof of liabilities for a round', () => {
  it('proves every batch and verifies the whole chain up to the totals round.json publishes', async () => {
    const result = await verifyZkRound(zkDir, trusted())
    expect(failedNames(result)).toEqual([])
    expect(result.batches).toEqual([0, 1, 2])
    const m = readManifest(zkDir)
    expect(m.setupInsecure).toBe(true)
    expect(m.totals).toEqual(readSummary(roundDir).totals.map((t) => t.equity))
    expect(Buffer.from(readBatch(zkDir, 0).proof, 'base64').length).toBe(14_080)
  })

  it("computes a leaf commitment as docs/por-zk.md's test vector states it", () => {
    const vector = '0x0ab93d4ac48ff62aa4f6cfeaa998cc2edf6ad89e9c2d4aaffe8f862847a25042'
    expect(toHex(poseidon2([2n ** 248n + 11n, 1n + 2n * 2n ** 64n]))).toBe(vector)
    expect(toHex(leafHash(11n, [1n, 2n]))).toBe(vector)
  })

  it('lets a user find their leaf commitment in their batch from their own Merkle-sum proof', async () => {
    const round = openRound(roundDir)
    const proof = round.proof('u3')
    round.close()
    const piece = proof.pieces[0]
    if (!piece) throw new Error('no piece')
    const leaf = userLeaf(
      userHash(sha256, piece.nonce, proof.userId),
      piece.balances.map((b) => b.equity),
    )
    const file = readBatch(zkDir, batchOf(piece.position, 4))
    expect(checkUserInBatch(file, 4, piece.position, leaf).ok).toBe(true)
    // One unit more of the second asset, inside the same packed field element: another leaf.
    const changed = userLeaf(
      userHash(sha256, piece.nonce, proof.userId),
      piece.balances.map((b, j) => (j === 1 ? b.equity + 1n : b.equity)),
    )
    expect(checkUserInBatch(file, 4, piece.position, changed).ok).toBe(false)
    expect(
      checkUserInBatch(readBatch(zkDir, (batchOf(piece.position, 4) + 1) % 3), 4, piece.position, leaf).ok,
    ).toBe(false)
  })

  it('resumes after a crash: keeps the finished batch files and proves only the missing one', async () => {
    const dir = copy()
    unlinkSync(join(dir, ZK_FILES.batch(1)))
    const { leaves, assets, roundId } = readZkLeaves(roundDir)
    const again = await proveRound({
      exchangeId: 'ex-a',
      roundId,
      assets,
      leaves,
      secret,
      batchSize: 4,
      setup,
      outDir: dir,
    })
    expect({ proved: again.proved, reused: again.reused }).toEqual({ proved: 1, reused: 2 })
    expect((await verifyZkRound(dir, trusted(), 1)).ok).toBe(true)
  })
})

describe('soundness: a dishonest prover cannot prove or pass verification', () => {
  const exchange = labelField('ex-a')
  const round = labelField('2026-11')
  const honest = () => ({
    userHashes: [11n, 12n, 13n, 14n],
    balances: [
      [1n, 2n],
      [3n, 4n],
      [5n, 6n],
      [7n, 8n],
    ],
    prevTotals: [100n, 200n],
    prevSalt: 5n,
    newSalt: 6n,
  })
  const attempt = async (balances: bigint[][], lowerTotal = false) => {
    const circuit = await compileBatchCircuit(shape)
    const w = { ...honest(), balances }
    const pub = expectedPublic(exchange, round, 0, w)
    if (lowerTotal) {
      const low = {
        ...w,
        balances: w.balances.map((row, i) => (i === 0 ? [(row[0] ?? 0n) - 1n, row[1] ?? 0n] : row)),
      }
      pub.newCum = expectedPublic(exchange, round, 0, low).newCum
    }
    return proveBatch(circuit, setup, pub, w)
  }

  it('refuses to prove a negative balance (−1 is p − 1 in the field)', async () => {
    await expect(
      attempt([
        [FIELD_MODULUS - 1n, 2n],
        [3n, 4n],
        [5n, 6n],
        [7n, 8n],
      ]),
    ).rejects.toMatchObject({
      code: 'ZK_WITNESS_REJECTED',
    })
  })

  it('refuses to prove a balance of 2^64, the first value that would wrap a u64', async () => {
    await expect(
      attempt([
        [1n, 2n ** 64n],
        [3n, 4n],
        [5n, 6n],
        [7n, 8n],
      ]),
    ).rejects.toMatchObject({
      code: 'ZK_WITNESS_REJECTED',
    })
  })

  it('proves 2^64 − 1, the largest balance in range', async () => {
    const p = await attempt([
      [2n ** 64n - 1n, 2n],
      [3n, 4n],
      [5n, 6n],
      [7n, 8n],
    ])
    expect(p.proof.length).toBe(14_080)
  })

  it('refuses to prove balances that keep a packed limb but move 2^64 units from one asset to the other', async () => {
    // [1 + 2^64, 1] packs to the same field element as the honest [1, 2] (so to the same leaf): only the 64-bit
    // range check on each balance keeps the packing injective.
    const moved = [[1n + 2n ** 64n, 1n], ...honest().balances.slice(1)]
    expect(packBalances(moved[0] ?? [])).toEqual(packBalances(honest().balances[0] ?? []))
    expect(expectedPublic(exchange, round, 0, { ...honest(), balances: moved }).root).toBe(
      expectedPublic(exchange, round, 0, honest()).root,
    )
    await expect(attempt(moved)).rejects.toMatchObject({ code: 'ZK_WITNESS_REJECTED' })
  })

  it('refuses to prove a user hash of 2^248 or more, whose bits would reach the leaf tag sharing its field', async () => {
    const circuit = await compileBatchCircuit(shape)
    const w = honest()
    const big = { ...w, userHashes: [2n ** 248n + 11n, ...w.userHashes.slice(1)] }
    // The root such a leaf would have, hashed by hand (leafHash itself refuses the value).
    expect(() => leafHash(2n ** 248n + 11n, [1n, 2n])).toThrow(RangeError)
    const leaves = big.userHashes.map((u, i) =>
      poseidon2([TAG_LEAF * 2n ** 248n + u, ...packBalances(w.balances[i] ?? [])]),
    )
    const pub = { ...expectedPublic(exchange, round, 0, w), root: merkleRoot(leaves) }
    await expect(proveBatch(circuit, setup, pub, big)).rejects.toMatchObject({ code: 'ZK_WITNESS_REJECTED' })
  })

  it('refuses to prove a per-asset total one unit lower than the sum of the balances', async () => {
    await expect(attempt(honest().balances, true)).rejects.toMatchObject({ code: 'ZK_WITNESS_REJECTED' })
  })

  it('refuses a manifest of version 1, the leaf format before the tag shared the user hash', async () => {
    const dir = copy()
    writeManifest(dir, { ...readManifest(dir), version: 1 as unknown as 2 })
    const r = await verifyZkRound(dir, trusted(), 0)
    expect(r.failed?.name).toBe('format')
  })

  it('fails verification when a batch is left out of the chain', async () => {
    const dir = copy()
    const m = readManifest(dir)
    m.batches = [m.batches[0], m.batches[2]].map((b, i) => ({
      ...(b as ZkManifest['batches'][number]),
      index: i,
    }))
    writeManifest(dir, m)
    const r = await verifyZkRound(dir, trusted(), 0)
    expect(r.failed?.name).toBe('chain')
    expect(r.failed?.detail).toContain('left out or reordered')
  })

  it('fails verification when two batches are swapped', async () => {
    const dir = copy()
    const m = readManifest(dir)
    const [a, b, c] = m.batches as [
      ZkManifest['batches'][number],
      ZkManifest['batches'][number],
      ZkManifest['batches'][number],
    ]
    m.batches = [{ ...b, index: 0 }, { ...a, index: 1 }, c]
    writeManifest(dir, m)
    const r = await verifyZkRound(dir, trusted(), 0)
    expect(failedNames(r)).toContain('chain-start')
    expect(failedNames(r)).toContain('chain')
  })

  it('fails verification when a leaf is changed after proving, even with every root recomputed', async () => {
    const dir = copy()
    const file = readBatch(dir, 1)
    file.leaves[2] = toHex(BigInt(file.leaves[2] as string) + 1n)
    const plainEdit = join(dir, ZK_FILES.batch(1))
    writeFileSync(plainEdit, JSON.stringify(file))
    expect((await verifyZkRound(dir, trusted(), 1)).failed?.name).toBe('batch-root')

    file.root = toHex(merkleRoot(file.leaves.map((l) => BigInt(l))))
    writeFileSync(plainEdit, JSON.stringify(file))
    const m = readManifest(dir)
    const entry = m.batches[1] as ZkManifest['batches'][number]
    entry.root = file.root
    m.topRoot = toHex(topRoot(m.batches.map((b) => BigInt(b.root))))
    writeManifest(dir, m)
    const r = await verifyZkRound(dir, trusted(), 1)
    expect(r.failed?.name).toBe('proof')
  })

  it('fails verification of a proof from another exchange or another round', async () => {
    for (const other of [{ exchangeId: 'ex-b' }, { roundId: '2026-12' }]) {
      const dir = copy()
      expect((await verifyZkRound(dir, { ...trusted(), ...other }, 0)).failed?.name).toBe('binding')
      // Relabelling the manifest does not help: the proof's public inputs bind the original ids.
      writeManifest(dir, { ...readManifest(dir), ...other })
      const r = await verifyZkRound(dir, { ...trusted(), ...other }, 0)
      expect(failedNames(r)).toContain('proof')
      expect(failedNames(r)).toContain('chain-start')
    }
  })

  it('refuses a tampered verification key, in the pins and in the pairing check', async () => {
    const dir = copy()
    const vk = readFileSync(join(dir, ZK_FILES.vk))
    vk[vk.length - 40] = (vk[vk.length - 40] ?? 0) ^ 1
    writeFileSync(join(dir, ZK_FILES.vk), vk)
    expect((await verifyZkRound(dir, trusted(), 0)).failed?.name).toBe('verification-key')
    const verifier = await openBatchVerifier(setup)
    const file = readBatch(zkDir, 0)
    const pub = {
      exchange,
      round,
      index: 0,
      root: BigInt(file.root),
      prevCum: BigInt(file.prevCum),
      newCum: BigInt(file.newCum),
    }
    const proof = new Uint8Array(Buffer.from(file.proof, 'base64'))
    expect(await verifier.verify(readFileSync(join(zkDir, ZK_FILES.vk)), pub, proof)).toBe(true)
    expect(await verifier.verify(vk, pub, proof)).toBe(false)
    await verifier.destroy()
  })

  it('refuses a setup with fewer points than the circuit needs, before bb.js would try to download more', async () => {
    const bigger = await compileBatchCircuit({ users: 8, assets: 3 })
    await expect(verificationKey(bigger, setup)).rejects.toMatchObject({ code: 'ZK_SETUP_TOO_SMALL' })
  })

  it('refuses a setup other than the published one, and a test setup when asked for production', async () => {
    const other = join(work, 'other.bwcrs')
    writeFileSync(other, Buffer.concat([readFileSync(setupFile), Buffer.from([0])]))
    const r = await verifyZkRound(zkDir, { ...trusted(), setupFile: other }, 0)
    expect(r.failed?.name).toBe('setup-hash')
    expect(r.failed?.detail).toContain('differs from the published setup hash')
    const prod = await verifyZkRound(zkDir, { ...trusted(), refuseInsecure: true }, 0)
    expect(prod.failed?.name).toBe('setup-secure')
  })
})
