/**
 * @module Restore-drill benchmark: `npx node bench/backup.ts [--entries 1000000]`. Builds a PGlite
 * database in a temporary DATA_DIR with the demo seed plus N extra audit entries (a valid hash chain
 * and their Merkle leaves, bulk-inserted), then times `backup create`, `backup verify` and
 * `backup restore` into a fresh data folder (which re-hashes the whole audit log against the signed
 * head). Prints a table of seconds, backup size and peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { runCli } from '../src/cli/main.ts'
import { seedDemoIfEmpty } from '../src/demo/seed.ts'
import { auditEntryBytes, auditEntryHash } from '../src/platform/audit.ts'
import { leafHash } from '../src/platform/audit-log/merkle.ts'
import { systemClock } from '../src/platform/clock.ts'
import { loadConfig } from '../src/platform/config.ts'
import { openConfiguredDatabase } from '../src/platform/runtime.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '1000000' } } })
const N = Number(values.entries)
const dir = mkdtempSync(join(tmpdir(), 'bench-backup-'))
const source = join(dir, 'source')
const target = join(dir, 'restored')
const KEY = 'a1'.repeat(32)

async function fill() {
  const config = loadConfig({ DATA_DIR: source })
  const handle = await openConfiguredDatabase(config)
  await seedDemoIfEmpty({ db: handle.db, clock: systemClock, config, dataDir: source })
  const last = await handle.db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  let seq = BigInt(last.seq)
  let prev = last.hash
  const base = Date.now() - N * 1000
  const BATCH = 5000
  for (let done = 0; done < N; done += BATCH) {
    const entries = []
    const leaves = []
    for (let i = 0; i < Math.min(BATCH, N - done); i++) {
      seq += 1n
      const entry = {
        seq,
        at: new Date(base + (done + i) * 1000),
        actor: `user:${(done + i) % 997}`,
        action: 'session.signed_in',
        target: `session:${done + i}`,
        details: { ip: `10.0.${(done + i) % 250}.${(done + i) % 200}` },
      }
      const hash = auditEntryHash(prev, entry)
      entries.push({ ...entry, seq: String(seq), at: entry.at.toISOString(), prev_hash: prev, hash })
      leaves.push({ seq: String(seq), leaf_hash: bytesToHex(leafHash(auditEntryBytes(entry))) })
      prev = hash
    }
    await sql`insert into audit_log select * from json_populate_recordset(null::audit_log, ${JSON.stringify(entries)}::json)`.execute(
      handle.db,
    )
    await sql`insert into audit_leaves select * from json_populate_recordset(null::audit_leaves, ${JSON.stringify(leaves)}::json)`.execute(
      handle.db,
    )
  }
  await handle.close()
}

async function timed(label: string, argv: string[], env: Record<string, string>) {
  const started = performance.now()
  let out = ''
  let err = ''
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env })
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`${label} failed (${code}): ${err}`)
  return { label, seconds, out: out.trim() }
}

try {
  const t0 = performance.now()
  await fill()
  const fillSeconds = (performance.now() - t0) / 1000
  const file = join(dir, 'drill.bwbak')
  const rows = [
    await timed('backup create', ['backup', 'create', '--out', file, '--json'], {
      DATA_DIR: source,
      BACKUP_KEY: KEY,
    }),
    await timed('backup verify', ['backup', 'verify', file], { BACKUP_KEY: KEY }),
    await timed('backup restore (drill)', ['backup', 'restore', file, '--json'], {
      DATA_DIR: target,
      BACKUP_KEY: KEY,
    }),
  ]
  const created = JSON.parse(rows[0]!.out) as { bytes: number; rows: number; auditEntries: number }
  console.log(
    `\nRestore drill, PGlite, demo seed + ${N} audit entries (${created.auditEntries} in the log, ${created.rows} rows)`,
  )
  console.log(`  fill (bulk insert, not part of the drill): ${fillSeconds.toFixed(1)} s`)
  for (const r of rows) console.log(`  ${r.label.padEnd(24)} ${r.seconds.toFixed(1).padStart(7)} s`)
  console.log(
    `  backup size ${(created.bytes / 1_048_576).toFixed(1)} MiB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
