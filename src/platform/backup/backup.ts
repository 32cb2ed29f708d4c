/**
 * @module Encrypted, checksummed backups of the database and the data folder, and their restore.
 *
 * The database is dumped logically through Kysely on both engines (PGlite and PostgreSQL; no
 * `pg_dump`, so the same code and format serve both): every table of the current schema, read in
 * one REPEATABLE READ snapshot through a cursor (a consistent copy while the server runs, memory
 * O(page)), each row as PostgreSQL's own `row_to_json` text so bigints, bytea and timestamps keep
 * every digit. Restore inserts them back with `json_populate_recordset` into a freshly migrated,
 * empty database, in one transaction, with foreign keys dropped and re-added (re-validated) around
 * the copy and sequences moved past the restored ids.
 *
 * File: one header line (JSON: format, iv, creation time; authenticated as AAD), then gzip(JSONL)
 * sealed with AES-256-GCM, then the 16-byte tag; `<file>.sha256` holds the file's SHA-256.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes as nodeRandomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { PassThrough, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { hashAuditTree } from '../audit-log/tree.ts'
import { type SignedTreeHead, type TreeHeadSigner, verifyTreeHead } from '../audit-log/tree-head.ts'
import type { Db } from '../db/index.ts'
import { allMigrations } from '../db/migrations.ts'
import { AppError } from '../errors.ts'
import { resolveInside } from '../safe-path.ts'

export const BACKUP_FORMAT = 'bulwark-backup/v1'
const TAG_BYTES = 16
const PAGE_ROWS = 2000
/** Kysely's own bookkeeping is recreated by the migrations, never copied. */
const SKIPPED_TABLES = new Set(['kysely_migration', 'kysely_migration_lock'])

export type BackupManifest = {
  format: typeof BACKUP_FORMAT
  createdAt: string
  engine: 'pglite' | 'postgres'
  method: 'logical-kysely'
  migrations: string[]
  tables: Record<string, number>
  files: Record<string, { bytes: number; sha256: string }>
  /** The audit log's signed tree head at the moment of the snapshot, when the log is not empty. */
  auditHead: SignedTreeHead | null
}

export type CreateBackupParameters = {
  db: Db
  engine: 'pglite' | 'postgres'
  /** 32-byte AES key. */
  key: Uint8Array
  /** Folder whose files are copied too (DATA_DIR); its `pglite/` engine files are not (the logical dump covers them). */
  dataDir?: string | undefined
  /** Folders inside dataDir never copied (e.g. the backups themselves). */
  excludeDirs?: string[]
  outFile: string
  signer?: TreeHeadSigner | undefined
  now: Date
  randomBytes?: (n: number) => Uint8Array
}

export type CreateBackupResult = { file: string; sha256: string; bytes: number; manifest: BackupManifest }

/**
 * Writes an encrypted backup to `outFile` (via a temporary name, so a crash leaves no half file).
 * @example await createBackup({ db, engine: 'pglite', key, dataDir: './data', outFile: 'b.bwbak', now: new Date() })
 */
export async function createBackup(p: CreateBackupParameters): Promise<CreateBackupResult> {
  if (p.key.length !== 32) throw keyError()
  const iv = (p.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n))))(12)
  const header = `${JSON.stringify({ format: BACKUP_FORMAT, iv: bytesToHex(iv), createdAt: p.now.toISOString() })}\n`
  const cipher = createCipheriv('aes-256-gcm', p.key, iv)
  cipher.setAAD(Buffer.from(header))
  await mkdir(path.dirname(path.resolve(p.outFile)), { recursive: true })
  const tmp = `${p.outFile}.partial`
  const out = createWriteStream(tmp)
  out.write(header)
  const gzip = createGzip()
  const plain = new PassThrough()
  const done = pipeline(plain, gzip, cipher, out, { end: false })

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: p.now.toISOString(),
    engine: p.engine,
    method: 'logical-kysely',
    migrations: Object.keys(allMigrations()).sort(),
    tables: {},
    files: {},
    auditHead: null,
  }
  await p.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const db = tx as unknown as Db
      for (const table of await listTables(db)) {
        let count = 0
        await write(plain, `${JSON.stringify({ t: 'table', name: table })}\n`)
        const cursor = `bulwark_backup_${table}`.slice(0, 60)
        await sql`declare ${sql.id(cursor)} no scroll cursor for select row_to_json(t)::text as j from ${sql.id(table)} t`.execute(
          db,
        )
        for (;;) {
          const { rows } = await sql<{
            j: string
          }>`fetch ${sql.raw(String(PAGE_ROWS))} from ${sql.id(cursor)}`.execute(db)
          if (rows.length === 0) break
          count += rows.length
          // Raw row text, never parsed in JS: bigints and timestamps round-trip exactly.
          await write(plain, `R\t[${rows.map((r) => r.j).join(',')}]\n`)
        }
        await sql`close ${sql.id(cursor)}`.execute(db)
        manifest.tables[table] = count
      }
      const size = manifest.tables.audit_log ?? 0
      if (p.signer && size > 0) {
        const root = bytesToHex((await hashAuditTree(db, size)).root())
        manifest.auditHead = p.signer.sign({ size, root })
      }
    })

  if (p.dataDir) {
    const root = path.resolve(p.dataDir)
    const excluded = new Set([
      path.join(root, 'pglite'),
      ...(p.excludeDirs ?? []).map((d) => path.resolve(d)),
    ])
    for (const file of await listFiles(root, excluded)) {
      const data = await readFile(path.join(root, file))
      manifest.files[file] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }
      await write(plain, `${JSON.stringify({ t: 'file', path: file, data: data.toString('base64') })}\n`)
    }
  }
  await write(plain, `${JSON.stringify({ t: 'manifest', manifest })}\n`)
  plain.end()
  await done
  await new Promise<void>((resolve, reject) =>
    out.end(cipher.getAuthTag(), (e?: Error | null) => (e ? reject(e) : resolve())),
  )
  await rename(tmp, p.outFile)
  const sha256 = await fileSha256(p.outFile)
  await writeFile(`${p.outFile}.sha256`, `${sha256}  ${path.basename(p.outFile)}\n`)
  return { file: p.outFile, sha256, bytes: (await stat(p.outFile)).size, manifest }
}

export type VerifyBackupResult = { sha256: string; manifest: BackupManifest }

/**
 * Checks the checksum file, decrypts (the GCM tag proves the key and that no byte changed) and
 * checks every table's and file's count and digest against the manifest, without writing anything.
 * @throws AppError BACKUP_CHECKSUM_MISMATCH, BACKUP_UNREADABLE, BACKUP_INCOMPLETE
 */
export async function verifyBackup(file: string, key: Uint8Array): Promise<VerifyBackupResult> {
  const sha256 = await checkSidecar(file)
  const seen: Record<string, number> = {}
  const files: Record<string, string> = {}
  let current = ''
  const manifest = await readBackup(file, key, async (line) => {
    if (line.startsWith('R\t')) {
      seen[current] = (seen[current] ?? 0) + (JSON.parse(line.slice(2)) as unknown[]).length
      return
    }
    const record = JSON.parse(line) as { t: string; name?: string; path?: string; data?: string }
    if (record.t === 'table') {
      current = record.name ?? ''
      seen[current] = 0
    } else if (record.t === 'file' && record.path && record.data !== undefined) {
      files[record.path] = createHash('sha256').update(Buffer.from(record.data, 'base64')).digest('hex')
    }
  })
  for (const [table, count] of Object.entries(manifest.tables)) {
    if (seen[table] !== count)
      throw incomplete(`table ${table} holds ${seen[table] ?? 0} rows, the manifest says ${count}`)
  }
  for (const [name, info] of Object.entries(manifest.files)) {
    if (files[name] !== info.sha256) throw incomplete(`file ${name} does not match its digest`)
  }
  if (manifest.auditHead && !verifyTreeHead(manifest.auditHead)) {
    throw incomplete('the audit tree head in the manifest does not carry a valid signature')
  }
  return { sha256, manifest }
}

export type RestoreBackupParameters = {
  file: string
  key: Uint8Array
  /** A freshly migrated, empty database (no users, no audit entries). */
  db: Db
  /** Where the backed-up data-folder files go. */
  dataDir?: string | undefined
  /** The public key (hex) the audit head must be signed by; default: the key in the manifest. */
  trustedAuditKey?: string | undefined
}

export type RestoreBackupResult = {
  manifest: BackupManifest
  tables: Record<string, number>
  files: number
  /** Whether the restored audit log hashes to the signed head recorded at backup time. */
  auditHeadVerified: boolean | null
}

/**
 * Restores a verified backup into an empty database, in one transaction committed only after the
 * whole file decrypted with a valid tag; then checks row counts and the audit log's signed head.
 * @throws AppError RESTORE_TARGET_NOT_EMPTY, RESTORE_SCHEMA_MISMATCH, BACKUP_* from verifyBackup
 */
export async function restoreBackup(p: RestoreBackupParameters): Promise<RestoreBackupResult> {
  const { manifest } = await verifyBackup(p.file, p.key)
  const known = Object.keys(allMigrations()).sort()
  if (known.join('\n') !== manifest.migrations.join('\n')) {
    throw new AppError(
      'RESTORE_SCHEMA_MISMATCH',
      409,
      `The backup was made by a version with ${manifest.migrations.length} migrations, this one has ${known.length}: restore it with the same Bulwark version, then upgrade.`,
    )
  }
  const occupied = await sql<{
    n: string
  }>`select (select count(*) from users) + (select count(*) from audit_log) as n`.execute(p.db)
  if (Number(occupied.rows[0]?.n ?? 0) > 0) {
    throw new AppError(
      'RESTORE_TARGET_NOT_EMPTY',
      409,
      'The target database already holds users or audit entries: restore into a new DATA_DIR or an empty database.',
    )
  }
  const restoredFiles: Array<{ path: string; data: Buffer }> = []
  let auditHeadVerified: boolean | null = null
  const tables: Record<string, number> = {}
  await p.db.transaction().execute(async (tx) => {
    const db = tx as unknown as Db
    const foreignKeys = await sql<{ table_name: string; name: string; def: string }>`
      select c.conrelid::regclass::text as table_name, c.conname as name, pg_get_constraintdef(c.oid) as def
      from pg_constraint c join pg_class r on r.oid = c.conrelid
      where c.contype = 'f' and r.relnamespace = current_schema()::regnamespace`.execute(db)
    for (const fk of foreignKeys.rows) {
      await sql`alter table ${sql.raw(fk.table_name)} drop constraint ${sql.id(fk.name)}`.execute(db)
    }
    // Rows a migration seeded are replaced by the backup's.
    for (const table of Object.keys(manifest.tables)) {
      if (table === 'audit_log' || table === 'audit_leaves' || table === 'por_rounds') continue
      await sql`delete from ${sql.id(table)}`.execute(db)
    }
    let current = ''
    await readBackup(p.file, p.key, async (line) => {
      if (line.startsWith('R\t')) {
        await sql`insert into ${sql.id(current)} overriding system value
          select * from json_populate_recordset(null::${sql.id(current)}, ${line.slice(2)}::json)`.execute(db)
        return
      }
      const record = JSON.parse(line) as { t: string; name?: string; path?: string; data?: string }
      if (record.t === 'table') current = record.name ?? ''
      else if (record.t === 'file' && record.path && record.data !== undefined) {
        restoredFiles.push({ path: record.path, data: Buffer.from(record.data, 'base64') })
      }
    })
    for (const fk of foreignKeys.rows) {
      await sql`alter table ${sql.raw(fk.table_name)} add constraint ${sql.id(fk.name)} ${sql.raw(fk.def)}`.execute(
        db,
      )
    }
    const serials = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and column_default like 'nextval(%'`.execute(db)
    for (const s of serials.rows) {
      await sql`select setval(pg_get_serial_sequence(${s.table_name}, ${s.column_name}),
        coalesce((select max(${sql.id(s.column_name)}) from ${sql.id(s.table_name)}), 0) + 1, false)`.execute(
        db,
      )
    }
    for (const table of Object.keys(manifest.tables)) {
      const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(table)}`.execute(db)
      tables[table] = Number(rows[0]?.n ?? 0)
      if (tables[table] !== manifest.tables[table]) {
        throw incomplete(
          `table ${table} holds ${tables[table]} rows after restore, the backup ${manifest.tables[table]}`,
        )
      }
    }
    // Checked before commit: a log that does not match its signed head is never kept.
    if (manifest.auditHead) {
      const head = manifest.auditHead
      const root = bytesToHex((await hashAuditTree(db, head.size)).root())
      auditHeadVerified = root === head.root && verifyTreeHead(head, p.trustedAuditKey)
      if (!auditHeadVerified) {
        throw new AppError(
          'RESTORE_AUDIT_HEAD_MISMATCH',
          409,
          'The restored audit log does not hash to the signed tree head recorded at backup time: do not use this restore.',
        )
      }
    }
  })

  if (p.dataDir) {
    for (const f of restoredFiles) {
      const target = resolveInside(p.dataDir, ...f.path.split('/'))
      await mkdir(path.dirname(target), { recursive: true })
      await writeFile(target, f.data, { mode: 0o600 })
    }
  }
  return { manifest, tables, files: restoredFiles.length, auditHeadVerified }
}

/** Streams the decrypted lines to `onLine`; returns the manifest once the GCM tag verified. */
async function readBackup(
  file: string,
  key: Uint8Array,
  onLine: (line: string) => Promise<void>,
): Promise<BackupManifest> {
  if (key.length !== 32) throw keyError()
  const { header, headerBytes, size } = await readHeader(file)
  if (size < headerBytes + TAG_BYTES) throw unreadable()
  const handle = await open(file, 'r')
  const tag = Buffer.alloc(TAG_BYTES)
  await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES)
  await handle.close()
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'hex'))
  decipher.setAAD(Buffer.from(`${JSON.stringify(header)}\n`))
  decipher.setAuthTag(tag)
  const source = createReadStream(file, { start: headerBytes, end: size - TAG_BYTES - 1 })
  const gunzip = createGunzip()
  let manifest: BackupManifest | null = null
  const lines = createInterface({ input: gunzip, crlfDelay: Number.POSITIVE_INFINITY })
  const feeding = pipeline(source, decipher, gunzip).catch((error: unknown) => {
    lines.close()
    throw error
  })
  try {
    for await (const line of lines) {
      if (line.startsWith('{"t":"manifest"'))
        manifest = (JSON.parse(line) as { manifest: BackupManifest }).manifest
      else await onLine(line)
    }
    await feeding
  } catch (error) {
    await feeding.catch(() => {})
    if (error instanceof AppError) throw error
    throw unreadable(error)
  }
  if (!manifest) throw incomplete('the manifest is missing')
  return manifest
}

async function readHeader(file: string) {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new AppError('BACKUP_NOT_FOUND', 404, `No backup file at ${file}.`, { cause: error })
  })
  const buffer = Buffer.alloc(1024)
  const { bytesRead } = await handle.read(buffer, 0, 1024, 0)
  const size = (await handle.stat()).size
  await handle.close()
  const end = buffer.subarray(0, bytesRead).indexOf(10)
  if (end < 0) throw unreadable()
  try {
    const header = JSON.parse(buffer.subarray(0, end).toString('utf8')) as {
      format: string
      iv: string
      createdAt: string
    }
    if (header.format !== BACKUP_FORMAT || !/^[0-9a-f]{24}$/.test(header.iv)) throw unreadable()
    return {
      header: { format: header.format, iv: header.iv, createdAt: header.createdAt },
      headerBytes: end + 1,
      size,
    }
  } catch (error) {
    throw error instanceof AppError ? error : unreadable(error)
  }
}

async function checkSidecar(file: string): Promise<string> {
  const actual = await fileSha256(file).catch((error: unknown) => {
    throw new AppError('BACKUP_NOT_FOUND', 404, `No backup file at ${file}.`, { cause: error })
  })
  const sidecar = await readFile(`${file}.sha256`, 'utf8').catch(() => null)
  if (sidecar === null) {
    throw new AppError(
      'BACKUP_CHECKSUM_MISSING',
      422,
      `${file}.sha256 is missing: copy it along with the backup.`,
    )
  }
  if (sidecar.split(/\s+/)[0] !== actual) {
    throw new AppError(
      'BACKUP_CHECKSUM_MISMATCH',
      422,
      `${path.basename(file)} does not match its .sha256 checksum: the copy is damaged; use another backup.`,
    )
  }
  return actual
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function listTables(db: Db): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db)
  return rows.map((r) => r.table_name).filter((t) => !SKIPPED_TABLES.has(t))
}

async function listFiles(root: string, excluded: Set<string>, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, prefix), { withFileTypes: true }).catch(() => [])
  const out: string[] = []
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    const full = path.join(root, rel)
    if (excluded.has(full) || entry.name.endsWith('.partial')) continue
    if (entry.isDirectory()) out.push(...(await listFiles(root, excluded, rel)))
    else if (entry.isFile()) out.push(rel)
  }
  return out
}

function write(stream: Writable, text: string): Promise<void> {
  if (stream.write(text)) return Promise.resolve()
  return new Promise((resolve) => stream.once('drain', () => resolve()))
}

function keyError(): AppError {
  return new AppError(
    'BACKUP_KEY_INVALID',
    400,
    'The backup key must be 32 bytes (64 hex digits, openssl rand -hex 32).',
  )
}

function unreadable(cause?: unknown): AppError {
  return new AppError(
    'BACKUP_UNREADABLE',
    422,
    'The backup cannot be decrypted: the key is wrong or the file was changed. Check BACKUP_KEY / BACKUP_KEY_FILE.',
    cause === undefined ? {} : { cause },
  )
}

function incomplete(what: string): AppError {
  return new AppError('BACKUP_INCOMPLETE', 422, `The backup is incomplete or inconsistent: ${what}.`)
}
