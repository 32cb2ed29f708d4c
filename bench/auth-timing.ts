/**
 * @module Benchmark: do sign-up and password reset take the same time for an email that has an
 * account and one that does not? `npm run bench:auth-timing [-- --pairs N]`.
 * For each route, N pairs of requests through `app.inject()` (one known email, one unknown, in a
 * random order within the pair, 5 ms apart so work left running after one answer does not land in
 * the next measurement), after 10 warm-up pairs. Prints both medians, their difference and the
 * median of the per-pair differences.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase } from '../src/platform/db/index.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'
import { createUser } from '../src/platform/identity/users.ts'

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '200' } } })
const pairs = Number(values.pairs)
const WARM_UP = 10

const handle = await openDatabase({ dataDir: 'memory://bench-auth-timing' })
await migrateToLatest(handle.db as never)
const config = loadConfig({
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '1000000',
  AUTH_RATE_LIMIT_MAX: '1000000',
  SEED_DEMO: 'false',
})
const app = await buildApp({ config, db: handle.db, logger: false })
const password = 'amber quokka sails north 7'
const known = 'known.customer@example.org'
await createUser(handle.db, { email: known, displayName: 'Known Customer', kind: 'customer', password })

let counter = 0
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Times one request (ms) and checks the answer is the one both paths give. */
async function timed(url: string, payload: object, status: number): Promise<number> {
  const start = performance.now()
  const response = await app.inject({ method: 'POST', url, payload })
  const ms = performance.now() - start
  if (response.statusCode !== status)
    throw new Error(`${url} answered ${response.statusCode}: ${response.body}`)
  await sleep(5)
  return ms
}

type Route = { name: string; request(email: string): Promise<number> }
const routes: Route[] = [
  {
    name: 'POST /api/accounts/signup',
    request: (email) => timed('/api/accounts/signup', { email, displayName: 'Bench Person', password }, 202),
  },
  {
    name: 'POST /api/accounts/password-reset',
    request: (email) => timed('/api/accounts/password-reset', { email }, 202),
  },
]

const rows: string[][] = []
for (const route of routes) {
  const knownMs: number[] = []
  const unknownMs: number[] = []
  const diffs: number[] = []
  for (let i = 0; i < WARM_UP + pairs; i++) {
    const unknown = `nobody-${++counter}-${crypto.randomUUID().slice(0, 8)}@example.org`
    let k: number
    let u: number
    if (Math.random() < 0.5) {
      k = await route.request(known)
      u = await route.request(unknown)
    } else {
      u = await route.request(unknown)
      k = await route.request(known)
    }
    if (i < WARM_UP) continue
    knownMs.push(k)
    unknownMs.push(u)
    diffs.push(k - u)
  }
  const mk = median(knownMs)
  const mu = median(unknownMs)
  rows.push([
    route.name,
    mk.toFixed(2),
    mu.toFixed(2),
    (mk - mu).toFixed(2),
    `${(((mk - mu) / mu) * 100).toFixed(1)}%`,
    median(diffs).toFixed(2),
  ])
}
await app.close()
await handle.close()

const header = [
  'route',
  'known ms (median)',
  'unknown ms (median)',
  'difference ms',
  'difference',
  'paired diff ms (median)',
]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(
  `bench:auth-timing on ${availableParallelism()} cores, Node ${process.version}, ${pairs} pairs per route after ${WARM_UP} warm-up pairs (PGlite in memory, mail to the outbox table)`,
)
console.log(line(header))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
