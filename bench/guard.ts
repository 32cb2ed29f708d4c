/**
 * @module `npm run bench:guard [-- --seconds S --entries N]`: throughput of the wallet guard.
 * Loads ≥350k domain list entries (every ScamSniffer and CryptoScamDB domain, the MetaMask config,
 * padded with generated `bench-*.invalid` entries when the real lists fall short), then times domain
 * checks on a mix of popular, legitimate-crypto and phishing domains, eth-phishing-detect on the same
 * lists and a sample of the same queries (it scans its list linearly, so it gets fewer queries),
 * lookalike address checks against a 50-address book, and sanctions/drainer lookups. Data is read
 * from `../shared/datasets` (or `$BULWARK_DATASETS`).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createAddressScreener, parseAddressList } from '../src/guard/address/lists.ts'
import { checkDestination } from '../src/guard/address/lookalike.ts'
import { createDomainGuard } from '../src/guard/domain/guard.ts'
import { parseDomainList } from '../src/guard/domain/lists.ts'
import { normalizeHost } from '../src/guard/domain/normalize.ts'
import { loadAddressLists, loadDomainLists, sanctionsListFiles } from '../src/guard/node/load.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    entries: { type: 'string', default: '350000' },
    'load-child': { type: 'string' },
  },
})

// Child mode: load one list file the way the CLI and server do, in a fresh process so its RSS is
// the list's own, and report wall time, CPU time and peak RSS as JSON.
if (values['load-child']) {
  const t = performance.now()
  const cpu = process.cpuUsage()
  const g = createDomainGuard(await loadDomainLists({ blocklists: [values['load-child']] }))
  const ok = g.check('qz0x.top').verdict === 'block'
  const c = process.cpuUsage(cpu)
  console.log(
    JSON.stringify({
      ok,
      ms: performance.now() - t,
      cpuMs: (c.user + c.system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  )
  process.exit(0)
}
const SECONDS = Number(values.seconds)
const MIN_ENTRIES = Number(values.entries)
const DATA = process.env.BULWARK_DATASETS ?? resolve(import.meta.dirname, '../../shared/datasets')
const read = (p: string): string => readFileSync(join(DATA, p), 'utf8')
const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`

/**
 * Calls `f` over `inputs` round-robin for about `seconds`; returns operations per wall-clock second
 * and per CPU second of this process (the second is what to compare on a shared, loaded machine).
 */
function rate<T>(
  inputs: readonly T[],
  f: (x: T) => unknown,
  seconds = SECONDS,
  chunk = 1000,
): { perSec: number; perCpuSec: number; ops: number } {
  let ops = 0
  let sink = 0
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    for (let i = 0; i < chunk; i++) {
      if (f(inputs[(ops + i) % inputs.length] as T)) sink++
    }
    ops += chunk
  }
  const cpu = process.cpuUsage(cpu0)
  const perSec = (ops / (performance.now() - start)) * 1000
  const perCpuSec = ops / ((cpu.user + cpu.system) / 1e6)
  if (sink < 0) console.log(sink)
  return { perSec, perCpuSec, ops }
}

const fmt = (r: { perSec: number; perCpuSec: number }): string =>
  `${Math.round(r.perSec).toLocaleString('en')} (${Math.round(r.perCpuSec).toLocaleString('en')} per CPU-s)`

const rows: [string, string, string][] = []

// ---------------------------------------------------------------- domains
const scam = parseDomainList(read('domains/scamsniffer_phishing_domains_before_2025.csv'), 'block').block
const csdb = parseDomainList(read('domains/cryptoscamdb_urls.csv'), 'block').block
const mm = parseDomainList(read('domains/metamask_eth_phishing_detect_1.2.0_config.json'), 'block')
const entries = [...new Set([...scam, ...csdb, ...mm.block])]
const real = entries.length
for (let i = 0; entries.length < MIN_ENTRIES; i++)
  entries.push(`bench-${i.toString(36)}-${(i * 2654435761) % 1e9}.invalid`)
const tranco = read('domains/tranco_top10k_2025-06.csv')
  .split('\n')
  .slice(1)
  .map((l) => l.split(',')[1] ?? '')
  .filter(Boolean)
const legit = read('domains/crypto_legit_domains_public.csv')
  .split('\n')
  .slice(1)
  .map((l) => l.split(',')[0] ?? '')
  .filter(Boolean)
const queries = [...tranco, ...legit, ...scam.filter((_, i) => i % 29 === 0)].map((d, i) =>
  i % 3 === 0 ? `https://${d}/connect?x=1` : d,
)

global.gc?.()
const heap0 = process.memoryUsage().heapUsed
const t0 = performance.now()
const guard = createDomainGuard({
  blocklist: entries,
  allowlist: mm.allow,
  fuzzylist: mm.fuzzy,
  fuzzyTolerance: 2,
})
const buildMs = performance.now() - t0
global.gc?.()
const heapGuard = process.memoryUsage().heapUsed - heap0
const ours = rate(queries, (d) => guard.check(d).verdict === 'block')
rows.push([
  'domain checks/s',
  fmt(ours),
  `${entries.length.toLocaleString('en')} list entries (${real.toLocaleString('en')} real), ${queries.length.toLocaleString('en')} distinct queries, build ${(buildMs / 1000).toFixed(1)} s, heap +${mb(heapGuard)}`,
])

const require = createRequire(import.meta.url)
const PhishingDetector = require('eth-phishing-detect/src/detector') as new (
  cfg: unknown,
) => { check(d: string): { result: boolean } }
const cfg = JSON.parse(read('domains/metamask_eth_phishing_detect_1.2.0_config.json')) as {
  blacklist: string[]
}
const t1 = performance.now()
const baseline = new PhishingDetector({ ...cfg, blacklist: entries })
const baseBuild = performance.now() - t1
const hosts = queries.filter((_, i) => i % 10 === 0).map((d) => normalizeHost(d)?.host ?? d)
const theirs = rate(hosts, (d) => baseline.check(d).result, Math.min(SECONDS, 2), 20)
rows.push([
  'eth-phishing-detect 1.2.0 checks/s',
  fmt(theirs),
  `same ${entries.length.toLocaleString('en')} entries, build ${(baseBuild / 1000).toFixed(1)} s`,
])
rows.push([
  'ratio Bulwark / eth-phishing-detect',
  `${(ours.perCpuSec / theirs.perCpuSec).toFixed(0)}×`,
  'domain checks per CPU second, same run',
])

// ---------------------------------------------------------------- 1M-entry list load
{
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-guard-'))
  const million = Array.from({ length: 1_000_000 }, (_, i) => `qz${i.toString(36)}x.top`)
  const files: [string, string, string][] = [
    ['plain', 'block.txt', million.join('\n')],
    ['CSV', 'block.csv', `domain,first_seen\n${million.map((d) => `${d},2024-01-01`).join('\n')}`],
    ['eth-phishing-detect JSON', 'config.json', JSON.stringify({ version: 2, blacklist: million })],
  ]
  for (const [label, name, text] of files) {
    const file = join(dir, name)
    writeFileSync(file, text)
    const r = JSON.parse(
      execFileSync(process.execPath, [import.meta.filename, '--load-child', file], { encoding: 'utf8' }),
    ) as { ok: boolean; ms: number; cpuMs: number; maxRssMb: number }
    if (!r.ok) throw new Error(`the ${label} list did not block its own entry`)
    rows.push([
      `load 1,000,000-entry ${label} list`,
      `${(r.ms / 1000).toFixed(1)} s, ${r.maxRssMb.toFixed(0)} MB`,
      `fresh process: read, parse, build the guard; CPU ${(r.cpuMs / 1000).toFixed(1)} s; peak RSS (goal ≤5 s, ≤600 MB)`,
    ])
  }
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- addresses
const benign = read('poisoning/poison-hunter/benign_addresses_on_etherscan.txt')
  .split(/\s+/)
  .filter((a) => a.startsWith('0x'))
const attackers = read('poisoning/poison-hunter/phishing_address_groundtruth.txt')
  .split(/\s+/)
  .filter((a) => a.startsWith('0x'))
const book = benign.slice(0, 50)
const dests = [...attackers, ...benign.slice(50)]
const addr = rate(dests, (to) => checkDestination({ to, known: book }).verdict !== 'allow')
rows.push(['address lookalike checks/s', fmt(addr), `against a ${book.length}-address book`])

// ---------------------------------------------------------------- sanctions
const ofacDir = join(DATA, 'addresses/ofac')
const sources = await loadAddressLists(sanctionsListFiles(ofacDir, 'txt'))
sources.push({
  name: 'scamsniffer drainers',
  kind: 'drainer',
  addresses: parseAddressList(read('addresses/scamsniffer_drainer_addresses.json')),
})
sources.push({ name: 'poison-hunter attackers', kind: 'phishing', addresses: attackers })
const screener = createAddressScreener(sources)
const probes = [
  ...dests,
  ...sources.flatMap((s) => [...s.addresses]).slice(0, 5000),
  ...benign.map((a) => a.toUpperCase().replace('0X', '0x')),
]
const sanc = rate(probes, (a) => (screener.lookup(a)?.length ?? 0) > 0)
rows.push([
  'sanctions/address-list lookups/s',
  fmt(sanc),
  `${screener.size().toLocaleString('en')} listed addresses, mixed hits/misses and case variants`,
])
global.gc?.()
rows.push([
  'memory',
  mb(process.memoryUsage().rss),
  `RSS at end (heap ${mb(process.memoryUsage().heapUsed)}, both domain guards and lists loaded)`,
])

rows.push([
  'machine',
  `${os.cpus().length} CPUs`,
  `load average ${os.loadavg()[0]?.toFixed(1)} during the run (shared machine: compare per-CPU-second rates)`,
])
const w0 = Math.max(...rows.map((r) => r[0].length))
const w1 = Math.max(...rows.map((r) => r[1].length))
console.log(`| ${'measure'.padEnd(w0)} | ${'result'.padEnd(w1)} | notes |`)
console.log(`| ${'-'.repeat(w0)} | ${'-'.repeat(w1)} | ----- |`)
for (const [a, b, c] of rows) console.log(`| ${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c} |`)
