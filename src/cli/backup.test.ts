import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScratchDatabase, dropScratchDatabase, usePostgres } from '../../test/support/postgres.ts'
import { seedDemoIfEmpty } from '../demo/seed.ts'
import { appendAudit } from '../platform/audit.ts'
import { createAuditTreeHeads } from '../platform/audit-log/tree.ts'
import { configuredPublicKey, createTreeHeadSigner } from '../platform/audit-log/tree-head.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { runCli } from './main.ts'

const dir = mkdtempSync(join(tmpdir(), 'backup-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const KEY = 'a1'.repeat(32)
const source = join(dir, 'source')
const restored = join(dir, 'restored')
const file = join(dir, 'out', 'drill.bwbak')

async function cli(env: Record<string, string>, ...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env })
  return { code, stdout, stderr }
}

async function withDatabase<T>(
  dataDir: string,
  fn: (db: Db) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const config = loadConfig({ DATA_DIR: dataDir, ...env })
  const handle = await openConfiguredDatabase(config)
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function snapshot(db: Db) {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
    order by table_name`.execute(db)
  const counts: Record<string, number> = {}
  for (const { table_name } of tables.rows) {
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(table_name)}`.execute(
      db,
    )
    counts[table_name] = Number(rows[0]?.n)
  }
  const rounds = await db
    .selectFrom('por_rounds')
    .select(['id', 'status', 'root', 'published_at'])
    .orderBy('id')
    .execute()
  return { counts, rounds }
}

describe('bulwark backup: the restore drill', () => {
  let before: Awaited<ReturnType<typeof snapshot>>
  let sourceKey: string

  beforeAll(async () => {
    before = await withDatabase(source, async (db) => {
      const config = loadConfig({ DATA_DIR: source })
      await seedDemoIfEmpty({ db, clock: systemClock, config, dataDir: source })
      await appendAudit(db, { actor: 'test', action: 'test.before_backup', target: 'test:drill' })
      // A signed head read once, so the key file exists in DATA_DIR as on a running server.
      await createAuditTreeHeads({
        db,
        signer: createTreeHeadSigner({ config, clock: systemClock }),
      }).signedHead()
      return snapshot(db)
    })
    sourceKey = configuredPublicKey(loadConfig({ DATA_DIR: source })) ?? ''
  }, 120_000)

  it('writes an encrypted backup with its checksum file and audit-logs it', async () => {
    const made = await cli({ DATA_DIR: source, BACKUP_KEY: KEY }, 'backup', 'create', '--out', file, '--json')
    expect(made.stderr).toBe('')
    expect(made.code).toBe(0)
    const summary = JSON.parse(made.stdout) as { sha256: string; rows: number; files: number }
    expect(readFileSync(`${file}.sha256`, 'utf8')).toBe(`${summary.sha256}  drill.bwbak\n`)
    expect(summary.files).toBeGreaterThanOrEqual(1)
    // Nothing readable in the file: the demo staff email does not appear in clear.
    expect(readFileSync(file).includes('bulwark.local')).toBe(false)
    const logged = await withDatabase(source, (db) =>
      db
        .selectFrom('audit_log')
        .select(['action', 'target'])
        .where('action', '=', 'backup.created')
        .execute(),
    )
    expect(logged).toEqual([{ action: 'backup.created', target: 'backup:drill.bwbak' }])
  }, 120_000)

  it('verifies the backup: checksum, key, counts and the signed audit head', async () => {
    const checked = await cli({ BACKUP_KEY: KEY }, 'backup', 'verify', file)
    expect(checked.code).toBe(0)
    expect(checked.stdout).toMatch(/^OK .* audit head \d+ entries signed/)
  })

  /**
   * Restores the drill's backup into `dataDir` (and the database `env` names, if any) and checks it: the same
   * row counts (the restore itself appends `backup.restored` to the log), the same PoR rounds, and `bulwark
   * audit verify` passing. Returns the restore's seconds.
   */
  async function restoreAndCheck(dataDir: string, env: Record<string, string> = {}): Promise<number> {
    const started = performance.now()
    const result = await cli(
      { DATA_DIR: dataDir, ...env, BACKUP_KEY: KEY },
      'backup',
      'restore',
      file,
      '--trusted-audit-key',
      sourceKey,
      '--json',
    )
    const seconds = (performance.now() - started) / 1000
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, auditHeadVerified: true })
    const after = await withDatabase(dataDir, snapshot, env)
    const sourceAudit = before.counts.audit_log ?? 0
    expect(after.counts).toEqual({
      ...before.counts,
      audit_log: sourceAudit + 1,
      audit_leaves: sourceAudit + 1,
    })
    expect(before.rounds.length).toBeGreaterThan(0)
    expect(after.rounds).toEqual(before.rounds)
    const verified = await cli({ DATA_DIR: dataDir, ...env }, 'audit', 'verify', '--json')
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
    return seconds
  }

  it('restores into a fresh data folder with the same rows, PoR rounds, key file and a matching signed audit head', async () => {
    const seconds = await restoreAndCheck(restored)
    process.stdout.write(`restore drill (demo database): ${seconds.toFixed(2)} s\n`)
    expect(configuredPublicKey(loadConfig({ DATA_DIR: restored }))).toBe(sourceKey)
  }, 120_000)

  it("restores the embedded database's backup into a PostgreSQL server (moving off the embedded database)", async () => {
    const server = await usePostgres()
    const databaseUrl = await createScratchDatabase(server.url, 'restore_pglite')
    try {
      await restoreAndCheck(join(dir, 'to-postgres'), { DATABASE_URL: databaseUrl })
    } finally {
      await dropScratchDatabase(server.url, databaseUrl)
      await server.stop()
    }
  }, 180_000)

  it('refuses to restore over a database that already holds data', async () => {
    const again = await cli({ DATA_DIR: restored, BACKUP_KEY: KEY }, 'backup', 'restore', file)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^RESTORE_TARGET_NOT_EMPTY: /)
  }, 60_000)

  it('refuses the audit head when it was not signed by the trusted key', async () => {
    const elsewhere = join(dir, 'other')
    const wrong = await cli(
      { DATA_DIR: elsewhere, BACKUP_KEY: KEY },
      'backup',
      'restore',
      file,
      '--trusted-audit-key',
      'cd'.repeat(32),
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/^RESTORE_AUDIT_HEAD_MISMATCH: /)
    // Nothing committed: the target stays empty.
    const users = await withDatabase(elsewhere, (db) => db.selectFrom('users').select('id').execute())
    expect(users).toEqual([])
  }, 60_000)

  it('rejects a backup with a changed byte, and one opened with the wrong key', async () => {
    const damaged = join(dir, 'damaged.bwbak')
    const bytes = readFileSync(file)
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 1
    writeFileSync(damaged, bytes)
    writeFileSync(`${damaged}.sha256`, readFileSync(`${file}.sha256`))
    const changed = await cli({ BACKUP_KEY: KEY }, 'backup', 'verify', damaged)
    expect(changed.code).toBe(1)
    expect(changed.stderr).toMatch(/^BACKUP_CHECKSUM_MISMATCH: /)

    const wrongKey = await cli({ BACKUP_KEY: 'b2'.repeat(32) }, 'backup', 'verify', file)
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.stderr).toMatch(/^BACKUP_UNREADABLE: /)

    // A changed byte with a recomputed checksum is still caught by the GCM tag.
    const { createHash } = await import('node:crypto')
    writeFileSync(`${damaged}.sha256`, `${createHash('sha256').update(bytes).digest('hex')}  damaged.bwbak\n`)
    const forged = await cli({ BACKUP_KEY: KEY }, 'backup', 'verify', damaged)
    expect(forged.code).toBe(1)
    expect(forged.stderr).toMatch(/^BACKUP_UNREADABLE: /)
  })

  it('will not make a backup without a key', async () => {
    const none = await cli({ DATA_DIR: join(dir, 'nokey') }, 'backup', 'create')
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/^BACKUP_KEY_MISSING: /)
    expect(existsSync(join(dir, 'nokey', 'backups'))).toBe(false)
  })
})
