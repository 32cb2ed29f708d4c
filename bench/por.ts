/**
 * @module Benchmark of the liabilities tree: `npm run bench:por -- --users N --assets K [--split S]
 * [--workers W] [--hash openssl|noble] [--dir DIR] [--keep]`. Generates a demo snapshot (not timed, cached in DIR),
 * then times import, leaf hashing and tree build (the three phases of buildRound), proof extraction for random
 * users, and browser-verifier (noble) verification; prints the phases, peak RSS, proof sizes and disk use.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildRound } from '../src/por/build.ts'
import { writeDemoAssets, writeDemoLiabilities } from '../src/por/demo.ts'
import { openRound } from '../src/por/store.ts'
import { encodeProof, fromHex, verifyProof } from '../src/por/verify/index.ts'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    assets: { type: 'string', default: '22' },
    split: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    hash: { type: 'string', default: 'openssl' },
    dir: { type: 'string', default: '/tmp/bulwark-bench-por' },
    samples: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    /** Only measure proof extraction and verification on a round kept by an earlier --keep run. */
    'proofs-only': { type: 'boolean', default: false },
  },
})
const users = Number(values.users)
const assets = Number(values.assets)
const split = Number(values.split)
const hash = values.hash === 'noble' ? 'noble' : 'openssl'
const dir = values.dir
const liabilities = join(dir, `liabilities-${users}x${assets}.csv`)
const assetsPath = join(dir, `assets-${assets}.csv`)
const outDir = join(dir, `round-${users}x${assets}`)

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const ms = (x: number) => `${x.toFixed(x < 10 ? 3 : 0)} ms`

if (!existsSync(liabilities)) {
  const t = performance.now()
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir, { recursive: true })
  writeDemoLiabilities(liabilities, users, assets)
  console.log(
    `generated ${liabilities} (${mb(statSync(liabilities).size)}) in ${ms(performance.now() - t)}, not timed`,
  )
}
writeDemoAssets(assetsPath, assets)

if (values['proofs-only']) {
  const round = openRound(outDir)
  const extract: number[] = []
  const verify: number[] = []
  const root = fromHex(round.summary.root)
  let failures = 0
  for (let i = 0; i < Number(values.samples); i++) {
    const id = `user-${Math.floor(Math.random() * users)}`
    const a = performance.now()
    const proof = round.proof(id)
    extract.push(performance.now() - a)
    const b = performance.now()
    if (!verifyProof(proof, { expectedRoot: root }).ok) failures++
    verify.push(performance.now() - b)
  }
  round.close()
  const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y)
  const stat = (xs: number[]) =>
    `avg ${ms(xs.reduce((s, x) => s + x, 0) / xs.length)} / p50 ${ms(sorted(xs)[xs.length >> 1]!)} / p99 ${ms(sorted(xs)[Math.floor(xs.length * 0.99)]!)}`
  console.log(`proof extraction ${stat(extract)}`)
  console.log(`verification     ${stat(verify)}`)
  console.log(
    `failures ${failures}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  )
  process.exit(0)
}

const t0 = performance.now()
const result = await buildRound({
  liabilitiesPath: liabilities,
  assetsPath,
  outDir,
  roundId: 'bench',
  roundSecret: crypto.getRandomValues(new Uint8Array(32)),
  split,
  workers: Number(values.workers),
  hash,
})
const total = performance.now() - t0

const round = openRound(outDir)
const samples = Number(values.samples)
const extract: number[] = []
const verify: number[] = []
const sizes: number[] = []
const root = fromHex(result.summary.root)
let failures = 0
for (let i = 0; i < samples; i++) {
  const id = `user-${Math.floor(Math.random() * users)}`
  const a = performance.now()
  const proof = round.proof(id)
  extract.push(performance.now() - a)
  sizes.push(encodeProof(proof).length)
  const b = performance.now()
  if (!verifyProof(proof, { expectedRoot: root }).ok) failures++
  verify.push(performance.now() - b)
}
round.close()
const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y)
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
const disk = readdirSync(outDir).reduce((s, f) => s + statSync(join(outDir, f)).size, 0)
const rss = process.resourceUsage().maxRSS * 1024

const rows: [string, string][] = [
  ['users × assets', `${users.toLocaleString('en')} × ${assets} (split ${split}, ${result.leaves} leaves)`],
  ['tree depth', String(result.summary.depth)],
  ['sha-256 backend (build)', hash],
  ['worker threads', values.workers],
  [
    'import (parse, validate, bucket) wall / cpu',
    `${ms(result.phasesMs.import)} / ${ms(result.phasesCpuMs.import)}`,
  ],
  ['leaf hashing wall / cpu', `${ms(result.phasesMs.leaves)} / ${ms(result.phasesCpuMs.leaves)}`],
  ['tree build wall / cpu', `${ms(result.phasesMs.tree)} / ${ms(result.phasesCpuMs.tree)}`],
  ['end to end (build) wall', ms(total)],
  [
    'machine load average at end',
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
  ],
  ['proof extraction avg / p99', `${ms(avg(extract))} / ${ms(pct(extract, 0.99))}`],
  ['proof size avg / max', `${Math.round(avg(sizes))} B / ${Math.max(...sizes)} B`],
  ['verification (noble) avg / p99', `${ms(avg(verify))} / ${ms(pct(verify, 0.99))}`],
  ['verification failures', `${failures} of ${samples}`],
  ['peak RSS (process, all threads)', mb(rss)],
  ['round directory on disk', mb(disk)],
]
const w = Math.max(...rows.map((r) => r[0].length))
console.log(`\n| ${'metric'.padEnd(w)} | value`)
console.log(`|${'-'.repeat(w + 2)}|------`)
for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v}`)
if (!values.keep) rmSync(outDir, { recursive: true, force: true })
