/**
 * @module `npm run bench:risk`: sustained events/s of the risk engine with a million accounts of
 * state, p50/p99/max decision latency, and memory per account. The engine runs with the default
 * rules and the committed behaviour model. With `--workers 2` the account space is partitioned
 * over two worker threads (the in-process equivalent of two stream consumers), each with its own
 * engine and its own share of accounts and events; throughput is the sum.
 * Options: --accounts N (default 1,000,000), --events N (default 1,000,000), --workers N (default 1, 2 = both cores).
 */
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import {
  createRiskEngine,
  defaultRulesPath,
  loadBehaviourModel,
  loadRuleFile,
  type RiskEvent,
} from '../src/risk/index.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

type Result = {
  accounts: number
  warmMs: number
  events: number
  runMs: number
  cpuMs: number
  p50: number
  p99: number
  p999: number
  max: number
  bytesPerAccount: number
  columnBytesPerAccount: number
}

function run(accounts: number, events: number, seed: number): Result {
  const behaviourPath = join(root, 'models/behaviour.json')
  const behaviour = existsSync(behaviourPath)
    ? loadBehaviourModel(JSON.parse(readFileSync(behaviourPath, 'utf8')))
    : undefined
  globalThis.gc?.()
  const before = process.memoryUsage()
  const engine = createRiskEngine({
    rules: loadRuleFile(defaultRulesPath),
    ...(behaviour ? { behaviour } : {}),
    capacity: accounts,
  })
  let s = seed >>> 0
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
  const ids = Array.from({ length: accounts }, (_, i) => `acct-${seed}-${i}`)
  const t0 = Date.UTC(2026, 0, 1)
  let n = 0
  const tw = performance.now()
  for (let i = 0; i < accounts; i++) {
    engine.ingest({
      v: 1,
      id: `w${n++}`,
      at: t0 + i,
      account: ids[i]!,
      type: 'signin',
      device: `d${i}`,
      ip: '10.0.0.1',
      country: 'DE',
    })
  }
  const warmMs = performance.now() - tw
  globalThis.gc?.()
  const after = process.memoryUsage()
  const bytesPerAccount =
    (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / accounts

  // a pre-built mixed stream over random accounts, time moving forward ~2 h per 1M events
  const stream: RiskEvent[] = new Array(events)
  const start = t0 + 3_600_000
  for (let k = 0; k < events; k++) {
    const account = ids[Math.floor(rand() * accounts)]!
    const at = start + k * 7
    const r = rand()
    const base = { v: 1 as const, id: `e${n++}`, at, account }
    stream[k] =
      r < 0.35
        ? { ...base, type: 'signin', device: rand() < 0.97 ? 'd0' : `x${k}`, ip: '10.0.0.1', country: 'DE' }
        : r < 0.5
          ? {
              ...base,
              type: 'withdrawal_requested',
              asset: 'USDT',
              amount: 1_000_000n,
              valueUsd: 50 + rand() * 500,
              to: rand() < 0.8 ? '0xhome' : `0x${k}`,
              device: 'd0',
            }
          : r < 0.7
            ? {
                ...base,
                type: 'deposit',
                asset: 'USDT',
                amount: 1_000_000n,
                valueUsd: 100 + rand() * 900,
                from: `0xsrc${k % 1000}`,
              }
            : r < 0.85
              ? { ...base, type: 'api_call', endpoint: '/api/orders' }
              : r < 0.9
                ? { ...base, type: 'signin_failed', ip: '10.0.0.2' }
                : r < 0.95
                  ? {
                      ...base,
                      type: 'p2p_order',
                      asset: 'USDT',
                      amount: 1_000_000n,
                      valueUsd: 200,
                      side: rand() < 0.5 ? 'buy' : 'sell',
                      counterparty: `p${k % 500}`,
                    }
                  : { ...base, type: 'password_changed' }
  }
  // throughput pass on the first half, latency pass (every call timed) on the second
  const half = Math.floor(events / 2)
  const tr = performance.now()
  // thread CPU time too: on a shared machine wall time includes waiting for a core
  const cpu0 = process.threadCpuUsage()
  for (let k = 0; k < half; k++) engine.assess(stream[k]!)
  const runMs = performance.now() - tr
  const cpu1 = process.threadCpuUsage()
  const cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000
  const lat = new Float64Array(events - half)
  for (let k = half; k < events; k++) {
    const a = performance.now()
    engine.assess(stream[k]!)
    lat[k - half] = performance.now() - a
  }
  lat.sort()
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! * 1000
  return {
    accounts,
    warmMs,
    events: half,
    runMs,
    cpuMs,
    p50: q(0.5),
    p99: q(0.99),
    p999: q(0.999),
    max: lat[lat.length - 1]! * 1000,
    bytesPerAccount,
    columnBytesPerAccount: engine.store.columnBytes / accounts,
  }
}

if (!isMainThread) {
  const { accounts, events, seed } = workerData as { accounts: number; events: number; seed: number }
  parentPort!.postMessage(run(accounts, events, seed))
} else {
  const { values } = parseArgs({
    options: { accounts: { type: 'string' }, events: { type: 'string' }, workers: { type: 'string' } },
  })
  const accounts = Number(values.accounts ?? 1_000_000)
  const events = Number(values.events ?? 1_000_000)
  const workers = Number(values.workers ?? 1)
  const fmt = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  const results: Result[] =
    workers <= 1
      ? [run(accounts, events, 1)]
      : await Promise.all(
          Array.from(
            { length: workers },
            (_, w) =>
              new Promise<Result>((res, rej) => {
                const worker = new Worker(new URL(import.meta.url), {
                  workerData: {
                    accounts: Math.ceil(accounts / workers),
                    events: Math.ceil(events / workers),
                    seed: w + 1,
                  },
                })
                worker.once('message', res)
                worker.once('error', rej)
              }),
          ),
        )
  console.log(
    `risk engine benchmark: ${fmt(accounts)} accounts of state, ${workers} worker(s), default rules + behaviour model\n`,
  )
  const rows = [
    [
      'worker',
      'accounts',
      'warm-up ev/s',
      'events',
      'events/s',
      'events/CPU-s',
      'p50 µs',
      'p99 µs',
      'p99.9 µs',
      'max µs',
      'bytes/account (heap+buffers)',
      'of which columns',
    ],
  ]
  results.forEach((r, w) => {
    rows.push([
      String(w + 1),
      fmt(r.accounts),
      fmt(r.accounts / (r.warmMs / 1000)),
      fmt(r.events),
      fmt(r.events / (r.runMs / 1000)),
      fmt(r.events / (r.cpuMs / 1000)),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.p999, 1),
      fmt(r.max, 0),
      fmt(r.bytesPerAccount),
      fmt(r.columnBytesPerAccount),
    ])
  })
  if (results.length > 1)
    rows.push([
      'total',
      fmt(accounts),
      '',
      fmt(results.reduce((a, r) => a + r.events, 0)),
      fmt(results.reduce((a, r) => a + r.events / (r.runMs / 1000), 0)),
      fmt(results.reduce((a, r) => a + r.events / (r.cpuMs / 1000), 0)),
      '',
      '',
      '',
      '',
      '',
      '',
    ])
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  for (const r of rows)
    console.log(r.map((v, c) => (c === 0 ? v.padEnd(w[c]!) : v.padStart(w[c]!))).join('  '))
  console.log(
    `\nevents/s is wall clock; events/CPU-s is per second of this thread's CPU time (what a dedicated core sustains).`,
  )
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores`,
  )
  console.log('goal: ≥200,000 events/s on 2 cores, p99 ≤ 2,000 µs')
}
