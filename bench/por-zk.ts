/**
 * @module Benchmark of the zk proof of liabilities: `npm run bench:por-zk -- --users N --assets K [--batch B]
 * [--cores C] [--dir DIR] [--browser [--browser-pages P]]`. Makes N random leaves (not timed), compiles the batch
 * circuit and the INSECURE,
 * TEST ONLY known-tau setup it needs (cached, timed separately), then times proving every batch with C batches
 * at once, one batch's verification as `bulwark por verify-zk --batch` does it (setup hash, circuit, key,
 * chain, proof) and a warm single-proof check; prints users/s, proof size, peak RSS and a linear
 * extrapolation to 1M and 10M users. With `--browser`, also batch 0's verification in Chromium through the public
 * verifier page's code (bench/por-zk-browser.ts): wasm load, cold (first in a fresh page) and warm, medians.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { labelField } from '../src/por/zk/hash.ts'
import {
  checkSetupFits,
  compileBatchCircuit,
  initHash,
  insecureTestSetup,
  openBatchVerifier,
  proveRound,
  verificationKey,
  verifyZkRound,
  ZK_FILES,
  type ZkBatchFile,
} from '../src/por/zk/index.ts'
import { median, timeBrowserVerify } from './por-zk-browser.ts'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '512' },
    assets: { type: 'string', default: '22' },
    batch: { type: 'string', default: '256' },
    cores: { type: 'string', default: '2' },
    dir: { type: 'string', default: '/tmp/bulwark-bench-por-zk' },
    browser: { type: 'boolean', default: false },
    'browser-pages': { type: 'string', default: '5' },
  },
})
const users = Number(values.users)
const assets = Number(values.assets)
const batchSize = Number(values.batch)
const cores = Number(values.cores)
const outDir = join(values.dir, `zk-${users}x${assets}-b${batchSize}`)
rmSync(outDir, { recursive: true, force: true })

const s = (x: number) => `${(x / 1000).toFixed(2)} s`
const rows: [string, string][] = []
const row = (k: string, v: string) => {
  rows.push([k, v])
  console.log(`${k.padEnd(34)} ${v}`)
}

await initHash()
const leaves = Array.from({ length: users }, () => ({
  userHash: BigInt(`0x${randomBytes(31).toString('hex')}`),
  balances: Array.from({ length: assets }, () => BigInt(`0x${randomBytes(5).toString('hex')}`)),
}))
row('machine', `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`)
row(
  'load average at start',
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' '),
)
row('shape', `${users} users × ${assets} assets, batches of ${batchSize}, ${cores} at once`)

let t = performance.now()
const circuit = await compileBatchCircuit({ users: batchSize, assets })
row('compile circuit (cached after 1st)', s(performance.now() - t))
const { Barretenberg } = await import('@aztec/bb.js')
const { gunzipSync } = await import('node:zlib')
const api = await Barretenberg.new({ threads: 1, logger: () => {} })
const [gates, dyadic] = await api.acirGetCircuitSizes(
  gunzipSync(Buffer.from(circuit.bytecode, 'base64')),
  false,
  true,
)
await api.destroy()
row('circuit size', `${gates} gates (${Math.round(gates / batchSize)} per user), dyadic ${dyadic}`)
t = performance.now()
const setup = insecureTestSetup(dyadic + 1)
row('INSECURE test setup (cached)', `${dyadic + 1} points, ${s(performance.now() - t)}`)
await checkSetupFits(circuit, setup)

t = performance.now()
const proved = await proveRound({
  exchangeId: 'bench',
  roundId: 'bench-round',
  assets: Array.from({ length: assets }, (_, i) => `A${i}`),
  leaves,
  secret: new Uint8Array(32).fill(1),
  batchSize,
  setup,
  outDir,
  cores,
  onProgress: (done, total) => process.stderr.write(`\r${done}/${total} batches`),
})
const proveMs = performance.now() - t
process.stderr.write('\n')
const batches = proved.manifest.batches.length
row(
  'prove (all batches, incl. vk)',
  `${s(proveMs)} for ${batches} batches, ${s(proveMs / batches)} per batch wall`,
)
row('throughput', `${(users / (proveMs / 1000)).toFixed(1)} users/s on ${cores} concurrent batches`)
const file = JSON.parse(readFileSync(join(outDir, ZK_FILES.batch(0)), 'utf8')) as ZkBatchFile
row(
  'proof size',
  `${Buffer.from(file.proof, 'base64').length} B raw; batch file ${statSync(join(outDir, ZK_FILES.batch(0))).size} B (with ${batchSize} leaf commitments)`,
)

t = performance.now()
const verified = await verifyZkRound(
  outDir,
  {
    exchangeId: 'bench',
    roundId: 'bench-round',
    setupFile: join(os.tmpdir(), `bulwark-zk-setup-${dyadic + 1}`, 'bn254-crs-INSECURE-TEST-ONLY.bwcrs'),
  },
  0,
)
row(
  'CLI-style verify of one batch',
  `${s(performance.now() - t)} (ok=${verified.ok}: setup hash, circuit, vk recompute or cache, chain, proof)`,
)
const vk = await verificationKey(circuit, setup)
const verifier = await openBatchVerifier(setup)
const pub = {
  exchange: labelField('bench'),
  round: labelField('bench-round'),
  index: 0,
  root: BigInt(file.root),
  prevCum: BigInt(file.prevCum),
  newCum: BigInt(file.newCum),
}
const proofBytes = new Uint8Array(Buffer.from(file.proof, 'base64'))
await verifier.verify(vk, pub, proofBytes)
t = performance.now()
const reps = 10
for (let i = 0; i < reps; i++) await verifier.verify(vk, pub, proofBytes)
const warmMs = (performance.now() - t) / reps
row('warm verify of one proof (wasm)', `${warmMs.toFixed(1)} ms`)
await verifier.destroy()
if (values.browser) {
  const pages = Number(values['browser-pages'])
  const b = await timeBrowserVerify(values.dir, {
    exchangeId: 'bench',
    roundId: 'bench-round',
    index: 0,
    setupG2: readFileSync(join(setup.crsPath, 'bn254_g2.dat')).toString('hex'),
    vk,
    file,
    pages,
    warm: 10,
  })
  const ms = (xs: number[]) =>
    `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`
  row('browser', `Chromium ${b.chromium}, headless; every verification ok=${b.allVerified}`)
  row('browser: bb.js wasm load + setup', ms(b.loadMs))
  row('browser: verify one proof, cold', `${ms(b.coldMs)}, first in each fresh page`)
  row('browser: verify one proof, warm', `${ms(b.warmMs)}, ${pages} pages × 10`)
}
row('peak RSS (process + bb.js workers)', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
const perUser = proveMs / users
for (const n of [1_000_000, 10_000_000]) {
  row(
    `extrapolated ${n / 1e6}M users (linear)`,
    `${((n * perUser) / 3.6e6).toFixed(1)} h proving, ${Math.ceil(n / batchSize)} proofs, audit ≈ ${((Math.ceil(n / batchSize) * warmMs) / 60000).toFixed(0)} min (extrapolation, not measured)`,
  )
}
