import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.ts'
import { appendAudit } from '../audit.ts'
import { createTreeHeadSigner } from '../audit-log/tree-head.ts'
import { createManualClock } from '../clock.ts'
import { loadConfig } from '../config.ts'
import { createUser } from '../identity/users.ts'
import { createBackup, restoreBackup, verifyBackup } from './backup.ts'
import { backupFileName, loadBackupKey, startBackupSchedule } from './schedule.ts'

const dir = mkdtempSync(join(tmpdir(), 'backup-schedule-'))
const KEY = 'c3'.repeat(32)
let t: TestDatabase

beforeAll(async () => {
  t = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Waits up to 30 s for `check`; fails the test rather than going on when it never holds. */
async function until(check: () => boolean) {
  for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
  if (!check()) throw new Error('the scheduled backup did not finish within 30 s')
}

describe('scheduled backups', () => {
  it('writes a verifiable backup to BACKUP_DIR every BACKUP_EVERY_HOURS and keeps the newest BACKUP_KEEP', async () => {
    const backups = join(dir, 'backups')
    const config = loadConfig({
      DATA_DIR: join(dir, 'data'),
      BACKUP_DIR: backups,
      BACKUP_KEY: KEY,
      BACKUP_EVERY_HOURS: '6',
      BACKUP_KEEP: '2',
    })
    const clock = createManualClock(new Date('2026-12-07T00:00:00Z'))
    const log = { info: vi.fn(), error: vi.fn() }
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const stop = startBackupSchedule({ db: t.db, config, clock, log })
      vi.advanceTimersByTime(5 * 3_600_000)
      expect(existsSync(backups)).toBe(false)
      for (let run = 1; run <= 3; run++) {
        clock.advance(6 * 3_600_000)
        vi.advanceTimersByTime(3_600_000 * (run === 1 ? 1 : 6))
        await until(() => log.info.mock.calls.length === run)
      }
      stop()
      expect(log.error).not.toHaveBeenCalled()
      const names = readdirSync(backups).sort()
      expect(names).toEqual([
        backupFileName(new Date('2026-12-07T12:00:00Z')),
        `${backupFileName(new Date('2026-12-07T12:00:00Z'))}.sha256`,
        backupFileName(new Date('2026-12-07T18:00:00Z')),
        `${backupFileName(new Date('2026-12-07T18:00:00Z'))}.sha256`,
      ])
      const { manifest } = await verifyBackup(join(backups, names[2]!), loadBackupKey(config))
      expect(manifest.tables.users).toBe(0)
      const logged = await t.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'backup.%')
        .execute()
      expect(logged.map((l) => l.action)).toEqual(['backup.created', 'backup.created', 'backup.created'])
    } finally {
      vi.useRealTimers()
    }
  }, 60_000)

  it('does not schedule anything with BACKUP_EVERY_HOURS=0 (the default)', () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const stop = startBackupSchedule({
      db: t.db,
      config: loadConfig({}),
      clock: createManualClock(),
      log: { info: vi.fn(), error: vi.fn() },
    })
    stop()
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
  })

  it('reads the key from BACKUP_KEY_FILE and rejects a file that is not 64 hex digits', () => {
    const good = join(dir, 'good.key')
    const bad = join(dir, 'bad.key')
    writeFileSync(good, `${KEY}\n`)
    writeFileSync(bad, 'not a key\n')
    expect(loadBackupKey({ BACKUP_KEY_FILE: good })).toHaveLength(32)
    expect(() => loadBackupKey({ BACKUP_KEY_FILE: bad })).toThrow(
      expect.objectContaining({ code: 'BACKUP_KEY_INVALID' }),
    )
  })

  it('restores into another freshly migrated database on the same engine (PostgreSQL in CI): rows, sequences and the signed audit head', async () => {
    const clock = createManualClock(new Date('2026-12-07T00:00:00Z'))
    await createUser(t.db, {
      email: 'restore@example.com',
      kind: 'customer',
      displayName: 'Restore',
      password: null,
    })
    await appendAudit(t.db, {
      actor: 'test',
      action: 'test.restore',
      target: 'test:1',
      details: { n: 12345678901234567890n.toString() },
    })
    const signer = createTreeHeadSigner({ config: loadConfig({ AUDIT_SIGNING_KEY: 'ab'.repeat(32) }), clock })
    const file = join(dir, 'same-engine.bwbak')
    const key = loadBackupKey({ BACKUP_KEY: KEY })
    const made = await createBackup({
      db: t.db,
      engine: t.engine,
      key,
      outFile: file,
      signer,
      now: clock.now(),
    })
    const target = await createTestDatabase()
    try {
      const restored = await restoreBackup({ file, key, db: target.db, trustedAuditKey: signer.publicKey() })
      expect(restored.auditHeadVerified).toBe(true)
      expect(restored.tables).toEqual(made.manifest.tables)
      const user = await target.db
        .selectFrom('users')
        .select('email')
        .where('email', '=', 'restore@example.com')
        .executeTakeFirst()
      expect(user).toEqual({ email: 'restore@example.com' })
      // The log goes on from the restored head.
      const next = await appendAudit(target.db, {
        actor: 'test',
        action: 'test.after_restore',
        target: 'test:2',
      })
      expect(next.seq).toBe(BigInt(made.manifest.tables.audit_log ?? 0) + 1n)
    } finally {
      await target.close()
    }
  }, 120_000)
})
