/**
 * `bulwark data shred-expired`, as an operator runs it: personal values of audit entries written
 * with a KEK are sealed, `rotate-kek` keeps them readable, and once their month is past
 * PERSONAL_DATA_RETENTION_DAYS the verb destroys the month's key — the values read "[shredded]",
 * while `bulwark audit verify` and `verify --since` a head signed before still pass.
 */
import { writeFileSync } from 'node:fs'
import { hexToBytes } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { cliDataDir, runCliCapturing } from '../../test/support/cli.ts'
import { appendAudit } from '../platform/audit.ts'
import { auditPeriod, openAuditDetails, SHREDDED, UNREADABLE } from '../platform/audit-personal.ts'
import { loadConfig } from '../platform/config.ts'
import { kekFromBytes } from '../platform/crypto/field-encryption.ts'
import type { Db } from '../platform/db/index.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'

const OLD_KEK = '5a'.repeat(32)
const NEW_KEK = '6b'.repeat(32)
const DAY = 86_400_000
const cli = cliDataDir('data-shred', {
  DATA_KEK: OLD_KEK,
  PERSONAL_DATA_RETENTION_DAYS: '30',
  AUDIT_SIGNING_KEY: '7e57'.repeat(16),
})
const withNewKek = (argv: string[]) => runCliCapturing(argv, { ...cli.env, DATA_KEK: NEW_KEK })

/** Opens the data directory as the CLI does (its configuration decides whether audit values are sealed). */
async function withConfiguredDb<T>(env: Record<string, string>, fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openConfiguredDatabase(loadConfig(env))
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function readable(db: Db, kekHex: string) {
  const rows = await db
    .selectFrom('audit_log')
    .select(['at', 'details'])
    .where('action', '=', 'auth.signin_failed')
    .orderBy('seq')
    .execute()
  return openAuditDetails({ db, kek: kekFromBytes(hexToBytes(kekHex)) }, rows)
}

describe('bulwark data shred-expired', () => {
  const old = new Date(Date.now() - 70 * DAY)
  const oldPeriod = auditPeriod(old)

  it('finds the personal values of entries written with a KEK sealed, and readable after rotate-kek', async () => {
    await withConfiguredDb(cli.env, async (db) => {
      const failed = { actor: 'anonymous', action: 'auth.signin_failed', target: '' }
      await appendAudit(db, {
        ...failed,
        at: old,
        details: { email: 'old@example.com', ip: '203.0.113.7', reason: 'wrong_password' },
      })
      await appendAudit(db, {
        ...failed,
        details: { email: 'new@example.com', ip: '198.51.100.9', reason: 'wrong_password' },
      })
      const { rows } = await sql<{ d: string }>`select details::text as d from audit_log`.execute(db)
      const stored = rows.map((r) => r.d).join('\n')
      expect(stored).not.toMatch(/203\.0\.113\.7|198\.51\.100\.9|@example\.com/)
      expect(stored).toContain('enc1:')
    })
    expect((await cli.run(['audit', 'checkpoint', '--out', cli.file('head.json')])).code).toBe(0)

    writeFileSync(cli.file('new.kek'), `${NEW_KEK}\n`)
    const rotated = await cli.run(['data', 'rotate-kek', '--new-kek-file', cli.file('new.kek'), '--json'])
    expect(rotated.code).toBe(0)
    expect(JSON.parse(rotated.out).rewrapped).toBeGreaterThanOrEqual(2)
    await withConfiguredDb({ ...cli.env, DATA_KEK: NEW_KEK }, async (db) => {
      expect(await readable(db, NEW_KEK)).toEqual([
        { email: 'old@example.com', ip: '203.0.113.7', reason: 'wrong_password' },
        { email: 'new@example.com', ip: '198.51.100.9', reason: 'wrong_password' },
      ])
      expect((await readable(db, OLD_KEK))[0]).toMatchObject({ email: UNREADABLE, ip: UNREADABLE })
      const rows = await db
        .selectFrom('audit_log')
        .select(['at', 'details'])
        .where('action', '=', 'auth.signin_failed')
        .execute()
      expect((await openAuditDetails({ db, kek: null }, rows))[0]).toMatchObject({ email: UNREADABLE })
    })
  }, 120_000)

  it('destroys the keys of months past retention once; the log still verifies, also since the earlier head', async () => {
    const run = await withNewKek(['data', 'shred-expired'])
    expect(run).toMatchObject({ code: 0, err: '' })
    expect(run.out).toBe(
      `Shredded ${oldPeriod}: destroyed 1 data key(s); 2 personal value(s) in the audit log now read [shredded]\n`,
    )
    await withConfiguredDb({ ...cli.env, DATA_KEK: NEW_KEK }, async (db) => {
      expect(await readable(db, NEW_KEK)).toEqual([
        { email: SHREDDED, ip: SHREDDED, reason: 'wrong_password' },
        { email: 'new@example.com', ip: '198.51.100.9', reason: 'wrong_password' },
      ])
      const shred = await db
        .selectFrom('audit_log')
        .select(['actor', 'target', 'details'])
        .where('action', '=', 'personal_data.audit_keys_shredded')
        .execute()
      expect(shred).toEqual([
        {
          actor: 'cli:data',
          target: `audit_period:${oldPeriod}`,
          details: { keys: [expect.stringMatching(/^[0-9a-f]{16}$/)], values: 2, retentionDays: 30 },
        },
      ])
    })

    const verify = await withNewKek(['audit', 'verify'])
    expect(verify.code).toBe(0)
    expect(verify.out).toMatch(/^intact: /)
    const since = await withNewKek(['audit', 'verify', '--since', cli.file('head.json'), '--json'])
    expect(since.code).toBe(0)
    expect(JSON.parse(since.out)).toMatchObject({ consistent: true })
    // The inclusion proof of the shredded entry carries it as hashed: sealed.
    const { seq } = await cli.withDb((db) =>
      db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'auth.signin_failed')
        .orderBy('seq')
        .executeTakeFirstOrThrow(),
    )
    const proof = await withNewKek(['audit', 'prove', '--seq', String(seq)])
    expect(proof.code).toBe(0)
    expect(JSON.parse(proof.out)).toMatchObject({
      seq: String(seq),
      leaf: expect.stringContaining('"ip":"enc1:'),
    })

    const again = await withNewKek(['data', 'shred-expired', '--json'])
    expect(JSON.parse(again.out)).toEqual({ retentionDays: 30, months: [] })
  }, 120_000)
})
