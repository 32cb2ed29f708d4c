/**
 * @module Benchmark of the audit log's Merkle tree: `npm run bench:audit [-- --entries N]`.
 * Fills an in-memory PGlite database with N entries (bulk inserts, chain and leaf hashes as
 * appendAudit writes them), then times, streamed in pages from the database: the tree root over
 * all entries, an inclusion proof, a consistency proof, and `verifySince` against a signed head of
 * half the log. Also prints the peak RSS, which stays flat as N grows (nothing holds every entry).
 */
import { parseArgs } from 'node:util'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { auditEntryBytes, auditEntryHash, GENESIS_HASH } from '../src/platform/audit.ts'
import { leafHash } from '../src/platform/audit-log/merkle.ts'
import {
  auditConsistencyProof,
  auditInclusionProof,
  hashAuditTree,
  verifySince,
} from '../src/platform/audit-log/tree.ts'
import { createTreeHeadSigner } from '../src/platform/audit-log/tree-head.ts'
import { systemClock } from '../src/platform/clock.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createPGlite, kyselyOverPGlite } from '../src/platform/db/index.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' } } })
const n = Number(values.entries)

const db = kyselyOverPGlite(await createPGlite('memory://'))
await migrateToLatest(db as never)

let fillStart = performance.now()
let prevHash = GENESIS_HASH
const start = new Date('2026-12-01T00:00:00Z').getTime()
for (let from = 1; from <= n; from += 2000) {
  const entries = []
  const leaves = []
  for (let seq = from; seq < Math.min(from + 2000, n + 1); seq++) {
    const entry = {
      seq: BigInt(seq),
      at: new Date(start + seq * 1000),
      actor: `staff:${seq % 17}`,
      action: 'custody.withdrawal_approved',
      target: `withdrawal:${seq}`,
      details: { amount: String(seq * 1000), asset: 'BTC', to: `bc1q${seq.toString(16).padStart(12, '0')}` },
    }
    const hash = auditEntryHash(prevHash, entry)
    entries.push({ ...entry, details: JSON.stringify(entry.details), prev_hash: prevHash, hash })
    leaves.push({ seq: entry.seq, leaf_hash: bytesToHex(leafHash(auditEntryBytes(entry))) })
    prevHash = hash
  }
  await db.insertInto('audit_log').values(entries).execute()
  await db.insertInto('audit_leaves').values(leaves).execute()
}
const fillMs = performance.now() - fillStart
fillStart = 0

const rows: Array<[string, string]> = []
async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  const result = await fn()
  rows.push([label, `${((performance.now() - t0) / 1000).toFixed(2)} s`])
  return result
}

const signer = createTreeHeadSigner({
  config: loadConfig({ AUDIT_SIGNING_KEY: '11'.repeat(32) }),
  clock: systemClock,
})
const half = Math.floor(n / 2)
const root = await time(`root over ${n.toLocaleString('en-US')} entries`, async () =>
  bytesToHex((await hashAuditTree(db, n)).root()),
)
await time(`inclusion proof of entry ${half}`, () => auditInclusionProof(db, BigInt(half)))
await time(`consistency proof ${half} → ${n}`, () => auditConsistencyProof(db, half))
const head = signer.sign({ size: half, root: bytesToHex((await hashAuditTree(db, half)).root()) })
const verdict = await time(`verify --since a head of ${half}`, () => verifySince(db, head))
if (!verdict.consistent) throw new Error(`bench log did not verify: ${verdict.message}`)
const count = await sql<{ n: string }>`select count(*)::text as n from audit_log`.execute(db)

console.log(`\naudit log Merkle tree, ${count.rows[0]!.n} entries (PGlite in memory, pages of 5000)\n`)
console.log(`${'fill (bulk insert, not part of the figures)'.padEnd(44)} ${(fillMs / 1000).toFixed(2)} s`)
for (const [label, value] of rows) console.log(`${label.padEnd(44)} ${value}`)
console.log(`${'peak RSS'.padEnd(44)} ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`)
console.log(`${'root'.padEnd(44)} ${root}`)
