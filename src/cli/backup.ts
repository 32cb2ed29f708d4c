/**
 * @module `bulwark backup create | verify | restore`: encrypted, checksummed backups of the
 * database and DATA_DIR (docs/data-protection.md), and the restore drill's check of what came back.
 */
import path from 'node:path'
import { appendAudit } from '../platform/audit.ts'
import { createTreeHeadSigner } from '../platform/audit-log/tree-head.ts'
import { restoreBackup, verifyBackup } from '../platform/backup/backup.ts'
import { loadBackupKey, runBackup } from '../platform/backup/schedule.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb, required } from './verb.ts'

export const backupCommands: CliGroup = {
  summary: 'Encrypted backups of the database and data folder',
  verbs: {
    create: defineVerb({
      summary: 'Write an encrypted, checksummed backup of the database and DATA_DIR',
      usage: '[--out FILE] [--json]',
      description:
        'Dumps every table in one consistent snapshot (a logical dump through Kysely on PGlite and PostgreSQL alike; pg_dump is not used), adds the files of DATA_DIR except the PGlite engine folder and the backup folder, signs the audit log tree head into the manifest, and seals it all with AES-256-GCM under BACKUP_KEY (or BACKUP_KEY_FILE). FILE.sha256 is written beside it. On PGlite, stop the server first or let its schedule (BACKUP_EVERY_HOURS) make the backup: PGlite serves one process at a time.',
      examples: [
        'BACKUP_KEY_FILE=/etc/bulwark/backup.key bulwark backup create',
        'bulwark backup create --out /mnt/offsite/bulwark.bwbak --json',
      ],
      options: {
        out: {
          type: 'string',
          valueName: 'FILE',
          description: 'Where to write the backup (default: BACKUP_DIR/bulwark-<time>.bwbak).',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        loadBackupKey(config)
        const handle = await openConfiguredDatabase(config)
        try {
          const signer = createTreeHeadSigner({ config, clock: systemClock })
          const deps = { db: handle.db, clock: systemClock, signer }
          const result = values.out
            ? await runBackup(
                {
                  ...deps,
                  config: {
                    ...config,
                    BACKUP_DIR: path.dirname(path.resolve(values.out)),
                    BACKUP_KEEP: 10_000,
                  },
                },
                'cli:backup',
                path.basename(values.out),
              )
            : await runBackup({ ...deps, config }, 'cli:backup')
          const summary = {
            file: result.file,
            sha256: result.sha256,
            bytes: result.bytes,
            tables: Object.keys(result.manifest.tables).length,
            rows: Object.values(result.manifest.tables).reduce((a, b) => a + b, 0),
            files: Object.keys(result.manifest.files).length,
            auditEntries: result.manifest.auditHead?.size ?? 0,
          }
          if (values.json) printJsonLine(io, summary)
          else
            io.stdout(
              `Wrote ${summary.file} (${summary.bytes} bytes, ${summary.rows} rows in ${summary.tables} tables, ${summary.files} files, audit log of ${summary.auditEntries} entries)\nsha256 ${summary.sha256}\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
    verify: defineVerb({
      summary: 'Check a backup: checksum, key, and every table and file against its manifest',
      usage: 'FILE [--json]',
      description:
        'Reads the whole backup without writing anything: FILE.sha256 must match, the AES-GCM tag must verify under BACKUP_KEY (a wrong key or any changed byte fails), and every table row count, file digest and the signed audit tree head must agree with the manifest.',
      examples: ['bulwark backup verify data/backups/bulwark-20261207T020000Z.bwbak'],
      exitCodes: '1: the backup is damaged, incomplete or the key is wrong (the code says which).',
      positionals: true,
      options: { json: { type: 'boolean' } },
      async run({ values, positionals }, io) {
        const file = required(positionals[0], 'FILE')
        const config = loadConfig(io.env)
        const { sha256, manifest } = await verifyBackup(file, loadBackupKey(config))
        const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0)
        if (values.json)
          printJsonLine(io, {
            ok: true,
            sha256,
            createdAt: manifest.createdAt,
            tables: manifest.tables,
            files: Object.keys(manifest.files).length,
            auditHead: manifest.auditHead,
          })
        else
          io.stdout(
            `OK ${file}: made ${manifest.createdAt} from ${manifest.engine}, ${rows} rows in ${Object.keys(manifest.tables).length} tables, ${Object.keys(manifest.files).length} files, audit head ${manifest.auditHead ? `${manifest.auditHead.size} entries signed` : 'none (empty log)'}\n`,
          )
        return 0
      },
    }),
    restore: defineVerb({
      summary: 'Restore a backup into an empty database and DATA_DIR, then check it',
      usage: 'FILE [--trusted-audit-key HEX] [--json]',
      description:
        'Verifies the backup, migrates the target (DATABASE_URL, else PGlite in DATA_DIR), refuses one that already holds users or audit entries, copies every row in one transaction and the data-folder files, then checks each table row count and that the restored audit log hashes to the tree head signed at backup time. Point DATA_DIR at a new folder: restore never overwrites a live database.',
      examples: [
        'DATA_DIR=/srv/bulwark-restored bulwark backup restore /mnt/offsite/bulwark.bwbak',
        'DATA_DIR=./drill bulwark backup restore b.bwbak --trusted-audit-key $(cat audit.pub) --json',
      ],
      exitCodes:
        '1: the backup does not verify, the target is not empty, or the restored data does not match (nothing is committed).',
      positionals: true,
      options: {
        'trusted-audit-key': {
          type: 'string',
          valueName: 'HEX',
          description:
            "The audit log public key the backup's tree head must be signed by (default: the key recorded in the backup).",
        },
        json: { type: 'boolean' },
      },
      async run({ values, positionals }, io) {
        const file = required(positionals[0], 'FILE')
        const config = loadConfig(io.env)
        const key = loadBackupKey(config)
        const started = performance.now()
        const handle = await openConfiguredDatabase(config)
        try {
          const result = await restoreBackup({
            file,
            key,
            db: handle.db,
            dataDir: config.DATA_DIR,
            trustedAuditKey: values['trusted-audit-key'],
          })
          const seconds = (performance.now() - started) / 1000
          await appendAudit(handle.db, {
            actor: 'cli:backup',
            action: 'backup.restored',
            target: `backup:${path.basename(file)}`,
            details: { createdAt: result.manifest.createdAt, auditHeadVerified: result.auditHeadVerified },
          })
          const rows = Object.values(result.tables).reduce((a, b) => a + b, 0)
          if (values.json)
            printJsonLine(io, {
              ok: true,
              seconds,
              tables: result.tables,
              files: result.files,
              auditHeadVerified: result.auditHeadVerified,
            })
          else
            io.stdout(
              `Restored ${rows} rows in ${Object.keys(result.tables).length} tables and ${result.files} files into ${config.DATABASE_URL ? 'the PostgreSQL database' : config.DATA_DIR} in ${seconds.toFixed(1)} s; audit log ${result.auditHeadVerified ? 'matches its signed head' : 'was empty'}\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
  },
}
