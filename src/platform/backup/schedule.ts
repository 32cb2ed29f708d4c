/**
 * @module Where backups go, with which key, and the server's schedule: with BACKUP_EVERY_HOURS > 0
 * the server writes a backup to BACKUP_DIR that often (the first one an interval after start) and
 * keeps the newest BACKUP_KEEP of them. Each run is audit-logged (`backup.created` / `backup.failed`).
 * Alongside, the daily retention job on session IP addresses (crypto/session-ips.ts).
 */
import { readFileSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { hexToBytes } from '@noble/hashes/utils.js'
import { appendAudit } from '../audit.ts'
import {
  createTreeHeadSigner,
  type TreeHeadSigner,
  type TreeHeadSignerOptions,
} from '../audit-log/tree-head.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { loadKek } from '../crypto/field-encryption.ts'
import { startSessionIpRetention } from '../crypto/session-ips.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import { type CreateBackupResult, createBackup } from './backup.ts'

type TreeHeadSignerConfig = TreeHeadSignerOptions['config']

export type BackupConfig = Pick<
  Config,
  | 'BACKUP_KEY'
  | 'BACKUP_KEY_FILE'
  | 'BACKUP_DIR'
  | 'BACKUP_EVERY_HOURS'
  | 'BACKUP_KEEP'
  | 'DATA_DIR'
  | 'DATABASE_URL'
>

/**
 * The 32-byte backup key from BACKUP_KEY, else from the file BACKUP_KEY_FILE.
 * @throws AppError BACKUP_KEY_MISSING when neither is set, BACKUP_KEY_INVALID for a bad file
 */
export function loadBackupKey(config: Pick<Config, 'BACKUP_KEY' | 'BACKUP_KEY_FILE'>): Uint8Array {
  if (config.BACKUP_KEY) return hexToBytes(config.BACKUP_KEY.toLowerCase())
  if (config.BACKUP_KEY_FILE) {
    const text = readFileSync(config.BACKUP_KEY_FILE, 'utf8').trim()
    if (!/^[0-9a-fA-F]{64}$/.test(text)) {
      throw new AppError(
        'BACKUP_KEY_INVALID',
        400,
        'BACKUP_KEY_FILE must hold 64 hex digits (openssl rand -hex 32).',
      )
    }
    return hexToBytes(text.toLowerCase())
  }
  throw new AppError(
    'BACKUP_KEY_MISSING',
    400,
    'Set BACKUP_KEY (64 hex digits) or BACKUP_KEY_FILE: backups are always encrypted. Keep the key outside DATA_DIR and the backup folder.',
  )
}

/** BACKUP_DIR, or DATA_DIR/backups when unset. */
export function backupDir(config: Pick<Config, 'BACKUP_DIR' | 'DATA_DIR'>): string {
  return config.BACKUP_DIR || path.join(config.DATA_DIR, 'backups')
}

/** `bulwark-20261207T021500Z.bwbak`: sorts by time. */
export function backupFileName(now: Date): string {
  return `bulwark-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}.bwbak`
}

export type ScheduledBackupDeps = {
  db: Db
  config: BackupConfig
  clock: Clock
  signer?: TreeHeadSigner | undefined
}

/** One backup into BACKUP_DIR, then old ones beyond BACKUP_KEEP removed; audit-logged either way. */
export async function runBackup(
  deps: ScheduledBackupDeps,
  actor: string,
  fileName?: string,
): Promise<CreateBackupResult> {
  const dir = backupDir(deps.config)
  const now = deps.clock.now()
  try {
    const result = await createBackup({
      db: deps.db,
      engine: deps.config.DATABASE_URL ? 'postgres' : 'pglite',
      key: loadBackupKey(deps.config),
      dataDir: deps.config.DATA_DIR,
      excludeDirs: [dir],
      outFile: path.join(dir, fileName ?? backupFileName(now)),
      signer: deps.signer,
      now,
    })
    await appendAudit(deps.db, {
      actor,
      action: 'backup.created',
      target: `backup:${path.basename(result.file)}`,
      details: {
        sha256: result.sha256,
        bytes: result.bytes,
        tables: Object.keys(result.manifest.tables).length,
      },
    })
    await pruneBackups(dir, deps.config.BACKUP_KEEP)
    return result
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'BACKUP_FAILED'
    await appendAudit(deps.db, { actor, action: 'backup.failed', target: `backup:${dir}`, details: { code } })
    throw error
  }
}

async function pruneBackups(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^bulwark-\d{8}T\d{6}Z\.bwbak$/.test(n)).sort()
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    await rm(path.join(dir, name), { force: true })
    await rm(path.join(dir, `${name}.sha256`), { force: true })
  }
}

/**
 * Starts the schedule when BACKUP_EVERY_HOURS > 0; returns a stop function (call it on close).
 * A failed run is logged and audit-logged and the next one still happens.
 */
export function startBackupSchedule(
  deps: ScheduledBackupDeps & {
    log: { info(o: object, m: string): void; error(o: object, m: string): void }
  },
): () => void {
  if (deps.config.BACKUP_EVERY_HOURS <= 0) return () => {}
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    runBackup(deps, 'system:backup-schedule')
      .then((r) => deps.log.info({ file: r.file, bytes: r.bytes }, 'backup written'))
      .catch((error: unknown) =>
        deps.log.error(
          { code: error instanceof AppError ? error.code : 'BACKUP_FAILED' },
          'scheduled backup failed',
        ),
      )
      .finally(() => {
        running = false
      })
  }, deps.config.BACKUP_EVERY_HOURS * 3_600_000)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * The server's data-protection jobs: scheduled backups (BACKUP_EVERY_HOURS > 0) and the daily
 * retention of session IP addresses (always). Returns one stop function for shutdown.
 */
export function startDataProtectionJobs(deps: {
  db: Db
  config: BackupConfig &
    Pick<Config, 'DATA_KEK' | 'DATA_KEK_FILE' | 'PERSONAL_DATA_RETENTION_DAYS'> &
    TreeHeadSignerConfig
  clock: Clock
  log: { info(o: object, m: string): void; error(o: object, m: string): void }
}): () => void {
  const signer = createTreeHeadSigner({ config: deps.config, clock: deps.clock })
  const stopBackups = startBackupSchedule({ ...deps, signer })
  const stopRetention = startSessionIpRetention({
    db: deps.db,
    kek: loadKek(deps.config),
    clock: deps.clock,
    retentionDays: deps.config.PERSONAL_DATA_RETENTION_DAYS,
    log: deps.log,
  })
  return () => {
    stopBackups()
    stopRetention()
  }
}
