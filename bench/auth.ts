/**
 * @module Benchmark of authentication: `npm run bench:auth [-- --signins N --seconds S]`.
 * Prints, with the parameters used: full sign-ins through the HTTP app (argon2id verify, audit
 * entry, session row) per second and their p50/p99 latency; argon2id verifications alone; TOTP
 * verifications per second; API request signature verifications (HMAC-SHA256) per second on one core.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { signRequest, verifySignature } from '../src/accounts/api-signature.ts'
import { newTotpSecret, totpCodeAt, verifyTotp } from '../src/accounts/totp.ts'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase } from '../src/platform/db/index.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'
import { argon2Parameters, hashPassword, verifyPassword } from '../src/platform/identity/passwords.ts'
import { createUser } from '../src/platform/identity/users.ts'

const { values } = parseArgs({
  options: { signins: { type: 'string', default: '40' }, seconds: { type: 'string', default: '2' } },
})
const signins = Number(values.signins)
const seconds = Number(values.seconds)

const rows: Array<[string, string, string]> = []
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 })

/** Runs `fn` repeatedly for `seconds` and returns operations per second. */
function throughput(fn: () => void): number {
  const end = performance.now() + seconds * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn()
    n += 100
  }
  return n / ((performance.now() - start) / 1000)
}

// 1. Full sign-ins through the app (PGlite in memory).
const handle = await openDatabase({ dataDir: 'memory://bench-auth' })
await migrateToLatest(handle.db as never)
const config = loadConfig({
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '1000000',
  AUTH_RATE_LIMIT_MAX: '1000000',
  SEED_DEMO: 'false',
})
const app = await buildApp({ config, db: handle.db, logger: false })
const password = 'bench password that is long enough'
await createUser(handle.db, { email: 'bench@example.org', displayName: 'Bench', kind: 'customer', password })
const latencies: number[] = []
const t0 = performance.now()
for (let i = 0; i < signins; i++) {
  const s = performance.now()
  const r = await app.inject({
    method: 'POST',
    url: '/api/auth/signin',
    payload: { email: 'bench@example.org', password },
  })
  if (r.statusCode !== 200) throw new Error(`sign-in failed: ${r.body}`)
  latencies.push(performance.now() - s)
}
const total = (performance.now() - t0) / 1000
latencies.sort((a, b) => a - b)
const params = `argon2id m=${argon2Parameters.memoryCost} KiB, t=${argon2Parameters.timeCost}, p=${argon2Parameters.parallelism}`
rows.push([
  'HTTP sign-ins (sequential)',
  `${fmt(signins / total)} /s`,
  `${params}; n=${signins}; p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
])
await app.close()
await handle.close()

// 2. argon2id verification alone, sequential and 2 in flight (the libuv pool runs them in parallel).
const hash = await hashPassword(password)
for (const inflight of [1, 2]) {
  const n = signins
  const s = performance.now()
  for (let i = 0; i < n; i += inflight)
    await Promise.all(Array.from({ length: inflight }, () => verifyPassword(hash, password)))
  rows.push([
    `argon2id verify, ${inflight} in flight`,
    `${fmt(n / ((performance.now() - s) / 1000))} /s`,
    `${params}; n=${n}`,
  ])
}

// 3. TOTP verification (the code of the current step, ±1 step window, replay check).
const secret = newTotpSecret()
const now = new Date()
const code = totpCodeAt(secret, now)
rows.push([
  'TOTP verifications',
  `${fmt(throughput(() => verifyTotp(secret, code, now, null)))} /s`,
  'RFC 6238 SHA-1, 6 digits, 30 s, window ±1 step (otplib, 1 core)',
])

// 4. API signature verification.
const apiSecret = 'Yq3vX9mK2pL8nR4tW6zB1cD5fG7hJ0sA-_example'
const body = JSON.stringify({ network: 'ethereum', address: '0x52908400098527886E0F7030069857D2E4169EE7' })
const request = { timestamp: now.toISOString(), method: 'POST', path: '/api/v1/withdrawal-check', body }
const signature = signRequest(apiSecret, request)
rows.push([
  'API signature verifications',
  `${fmt(throughput(() => verifySignature(apiSecret, request, signature, now)))} /s`,
  `HMAC-SHA256 (node:crypto/OpenSSL) + base64 decode + timestamp check, ${body.length}-byte body, 1 core; goal >= 50,000 /s`,
])

const widths = [0, 1, 2].map((i) =>
  Math.max(...rows.map((r) => r[i]!.length), ['measure', 'rate', 'parameters'][i]!.length),
)
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(`bench:auth on ${availableParallelism()} cores, Node ${process.version}`)
console.log(line(['measure', 'rate', 'parameters']))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
