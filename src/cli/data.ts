/**
 * @module `bulwark data encrypt-existing | rotate-kek | shred-expired`: envelope encryption of
 * personal data (docs/data-protection.md). `encrypt-existing` brings rows written before a DATA_KEK
 * was configured under it (identity fields, IP addresses past the retention period) and is safe to
 * run again; `rotate-kek` re-wraps every data key from the configured KEK to a new one;
 * `shred-expired` destroys the audit log's data keys of months past retention (as the daily job).
 */
import { readFileSync } from 'node:fs'
import { hexToBytes } from '@noble/hashes/utils.js'
import { encryptExistingIdentityFields } from '../identity/field-storage.ts'
import { createIdentitySealer } from '../identity/sealing.ts'
import { appendAudit } from '../platform/audit.ts'
import { shredExpiredAuditData } from '../platform/audit-personal.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { type Kek, kekFromBytes, loadKek, rotateKek } from '../platform/crypto/field-encryption.ts'
import { protectOldIps } from '../platform/crypto/session-ips.ts'
import { AppError } from '../platform/errors.ts'
import { encryptExistingPeople } from '../platform/identity/personal-fields.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb, required } from './verb.ts'

function configuredKek(env: Record<string, string | undefined>): Kek {
  const kek = loadKek(loadConfig(env))
  if (!kek) {
    throw new AppError(
      'DATA_KEK_REQUIRED',
      400,
      'No key-encryption key is configured: set DATA_KEK (64 hex digits) or DATA_KEK_FILE and run again.',
    )
  }
  return kek
}

function kekFromFile(file: string): Kek {
  const text = readFileSync(file, 'utf8').trim()
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new AppError('DATA_KEK_INVALID', 400, `${file} must hold 64 hex digits (openssl rand -hex 32).`)
  }
  return kekFromBytes(hexToBytes(text.toLowerCase()))
}

export const dataCommands: CliGroup = {
  summary:
    'Encrypted personal data: encrypt existing rows, rotate the key-encryption key, shred expired audit data',
  verbs: {
    'encrypt-existing': defineVerb({
      summary: 'Encrypt personal data stored before DATA_KEK was configured (safe to run again)',
      usage: '[--json]',
      description:
        'Moves the extracted fields of identity verifications sealed the old way (IDENTITY_SEALING_KEY, one blob) to per-field envelope encryption with a keyed hash of the document number, seals the email and name of every person, every pending email change and every bug-bounty reporter email still stored plain (rewriting the email lookup hashes of people), and encrypts every IP address older than PERSONAL_DATA_RETENTION_DAYS in sessions, devices, sign-in tickets, API keys and risk events (the daily server job does the IPs too). Rows already encrypted are skipped, so a second run changes nothing. Needs DATA_KEK or DATA_KEK_FILE, and the IDENTITY_SEALING_KEY the fields were sealed with. Audit-logged as personal_data.encrypted_existing.',
      examples: [
        'DATA_KEK_FILE=/etc/bulwark/data.kek bulwark data encrypt-existing',
        'bulwark data encrypt-existing --json',
      ],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        const kek = configuredKek(io.env)
        const handle = await openConfiguredDatabase(config)
        try {
          const identity = await encryptExistingIdentityFields({
            db: handle.db,
            kek,
            sealer: createIdentitySealer(config.IDENTITY_SEALING_KEY, config.EXCHANGE_ID),
          })
          const ips = await protectOldIps({
            db: handle.db,
            kek,
            clock: systemClock,
            retentionDays: config.PERSONAL_DATA_RETENTION_DAYS,
          })
          const ipCount = Object.values(ips).reduce((n, c) => n + c.encrypted, 0)
          // The handle carries the KEK (runtime.ts), so people's emails and names are sealed with it.
          const people = await encryptExistingPeople(handle.db)
          await appendAudit(handle.db, {
            actor: 'cli:data',
            action: 'personal_data.encrypted_existing',
            target: `kek:${kek.id}`,
            details: {
              identityVerifications: identity.encrypted,
              ipAddresses: ipCount,
              people: people.users,
              pendingChanges: people.emailChanges,
              bountyReports: people.bountyReports,
            },
          })
          const summary = {
            kek: kek.id,
            identityVerifications: identity.encrypted,
            ipAddresses: ips,
            people: people.users,
            emailChanges: people.emailChanges,
            bountyReports: people.bountyReports,
          }
          if (values.json) printJsonLine(io, summary)
          else
            io.stdout(
              `Encrypted the fields of ${identity.encrypted} identity verification(s), the email and name of ${people.users} person(s), ${people.emailChanges} pending email change(s), ${people.bountyReports} bug-bounty reporter email(s) and ${ipCount} IP address(es) older than ${config.PERSONAL_DATA_RETENTION_DAYS} days under KEK ${kek.id}\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
    'rotate-kek': defineVerb({
      summary: 'Re-wrap every data key from the configured DATA_KEK to a new KEK',
      usage: '--new-kek-file FILE [--json]',
      description:
        'Opens every data key with the configured KEK (DATA_KEK or DATA_KEK_FILE) and wraps it with the KEK in FILE, in one transaction; the encrypted values themselves are not rewritten. Afterwards configure only the new KEK: a data key wrapped by another KEK fails with DATA_KEK_MISMATCH. Audit-logged as data_keys.kek_rotated.',
      examples: [
        'DATA_KEK_FILE=/etc/bulwark/old.kek bulwark data rotate-kek --new-kek-file /etc/bulwark/new.kek',
      ],
      options: {
        'new-kek-file': {
          type: 'string',
          valueName: 'FILE',
          description: 'A file holding the new KEK as 64 hex digits (openssl rand -hex 32 > FILE).',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const to = kekFromFile(required(values['new-kek-file'], '--new-kek-file'))
        const from = configuredKek(io.env)
        const handle = await openConfiguredDatabase(loadConfig(io.env))
        try {
          const result = await rotateKek(handle.db, from, to, 'cli:data')
          if (values.json) printJsonLine(io, { from: from.id, to: to.id, ...result })
          else
            io.stdout(
              `Re-wrapped ${result.rewrapped} data key(s) from KEK ${from.id} to ${to.id}; configure only the new KEK now\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
    'shred-expired': defineVerb({
      summary: "Destroy the audit log's personal-data keys of months older than the retention period",
      usage: '[--json]',
      description:
        'Personal values in audit entries (IP addresses, user agents, emails) are sealed as they are written when a KEK is configured, under a data key of the entry\'s month. This destroys the data keys of every month that ended more than PERSONAL_DATA_RETENTION_DAYS ago: the entries stay and `bulwark audit verify` still passes, but those values read "[shredded]" for everyone. The server does the same daily. Older backups still hold the keys until they expire. Audit-logged as personal_data.audit_keys_shredded (one entry per month, with the number of values made unreadable).',
      examples: [
        'bulwark data shred-expired',
        'PERSONAL_DATA_RETENTION_DAYS=90 bulwark data shred-expired --json',
      ],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        const handle = await openConfiguredDatabase(config)
        try {
          const months = await shredExpiredAuditData({
            db: handle.db,
            clock: systemClock,
            retentionDays: config.PERSONAL_DATA_RETENTION_DAYS,
            actor: 'cli:data',
          })
          if (values.json) printJsonLine(io, { retentionDays: config.PERSONAL_DATA_RETENTION_DAYS, months })
          else if (months.length === 0)
            io.stdout(
              `No month of the audit log is older than ${config.PERSONAL_DATA_RETENTION_DAYS} days with keys left to destroy\n`,
            )
          else
            for (const m of months)
              io.stdout(
                `Shredded ${m.period}: destroyed ${m.keys} data key(s); ${m.values} personal value(s) in the audit log now read [shredded]\n`,
              )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
  },
}
