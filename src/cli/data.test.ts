import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentitySealer } from '../identity/sealing.ts'
import { loadConfig } from '../platform/config.ts'
import { type Db, openDatabase } from '../platform/db/index.ts'
import { migrateToLatest } from '../platform/db/migrator.ts'
import { createUser } from '../platform/identity/users.ts'
import { runCli } from './main.ts'

const dir = mkdtempSync(join(tmpdir(), 'data-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const dataDir = join(dir, 'data')
const OLD_KEK = '7c'.repeat(32)
const NEW_KEK = '8d'.repeat(32)
const newKekFile = join(dir, 'new.kek')
const DAY = 86_400_000

async function cli(env: Record<string, string>, ...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { DATA_DIR: dataDir, ...env },
  })
  return { code, stdout, stderr }
}

/** The database as stored: sealed values stay sealed (no KEK, nothing opened). */
async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ dataDir })
  await migrateToLatest(handle.db as never)
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function oldDevice(db: Db, cookie: string, ip: string) {
  const user = await db.selectFrom('users').select('id').executeTakeFirstOrThrow()
  const at = new Date(Date.now() - 40 * DAY)
  await db
    .insertInto('devices')
    .values({
      user_id: user.id,
      cookie_digest: cookie,
      user_agent: 'test',
      ip,
      place: null,
      status: 'trusted',
      created_at: at,
      approved_at: at,
      last_seen_at: at,
    })
    .execute()
}

beforeAll(async () => {
  writeFileSync(newKekFile, `${NEW_KEK}\n`)
  await withDatabase(async (db) => {
    const config = loadConfig({ DATA_DIR: dataDir })
    const user = await createUser(db, {
      email: 'old@example.com',
      displayName: 'Old Timer',
      kind: 'customer',
      password: null,
    } as never)
    // A bug-bounty report and a pending email change, written before the KEK existed.
    await sql`
      insert into ops_bounty_reports (email, handle, title, description, affected, status, created_at)
      values ('finder@example.com', 'finder', 'An old report', 'Written before the KEK.', '/api/example', 'new', now())
    `.execute(db)
    await db
      .insertInto('email_tokens')
      .values({
        token_digest: 'pending-change',
        user_id: user.id,
        purpose: 'email_change',
        device_id: null,
        alert_id: null,
        new_email: 'moving@example.com',
        created_at: new Date(),
        expires_at: new Date(Date.now() + DAY),
        used_at: null,
      })
      .execute()
    const at = new Date(Date.now() - 40 * DAY)
    const id = crypto.randomUUID()
    const sealer = createIdentitySealer(config.IDENTITY_SEALING_KEY, config.EXCHANGE_ID)
    const fields = { documentNumber: 'CLI000001', surname: 'DURAND', givenNames: 'PAUL', sex: 'M' }
    await db
      .insertInto('identity_verifications')
      .values({
        id,
        user_id: user.id,
        status: 'approved',
        decided_by: 'system',
        document_format: 'TD3',
        document_type: 'P',
        country: 'FR',
        document_digest: null,
        fields_sealed: Buffer.from(
          sealer.seal(new TextEncoder().encode(JSON.stringify(fields)), `${id}:fields`),
        ).toString('base64'),
        reasons: '[]',
        scores: '{}',
        created_at: at,
        decided_at: at,
      })
      .execute()
    await oldDevice(db, 'first', '203.0.113.50')
  })
}, 120_000)

describe('bulwark data', () => {
  it('refuses to encrypt without a KEK, naming the settings to set', async () => {
    const run = await cli({}, 'data', 'encrypt-existing')
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^DATA_KEK_REQUIRED: .*DATA_KEK_FILE/)
  })

  it('encrypts existing identity fields, emails, names and old IP addresses once, then rotates the KEK with the data still readable', async () => {
    expect((await cli({}, 'accounts', 'lock', '--email', 'OLD@example.com')).stdout).toBe('not locked\n')
    // Configuring a KEK does not lose a person stored before it: the plain lookup hash still finds them.
    expect((await cli({ DATA_KEK: OLD_KEK }, 'accounts', 'lock', '--email', 'old@example.com')).stdout).toBe(
      'not locked\n',
    )
    const first = await cli({ DATA_KEK: OLD_KEK }, 'data', 'encrypt-existing', '--json')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      identityVerifications: 1,
      ipAddresses: { devices: { encrypted: 1, erased: 0 } },
      people: 1,
      emailChanges: 1,
      bountyReports: 1,
    })
    const person = await withDatabase(async (db) => ({
      user: await db.selectFrom('users').select(['email', 'display_name']).executeTakeFirstOrThrow(),
      change: await db.selectFrom('email_tokens').select('new_email').executeTakeFirstOrThrow(),
      report: await db.selectFrom('ops_bounty_reports').select('email').executeTakeFirstOrThrow(),
    }))
    expect(person.user.email).toMatch(/^enc1:/)
    expect(person.user.display_name).toMatch(/^enc1:/)
    expect(person.change.new_email).toMatch(/^enc1:/)
    expect(person.report.email).toMatch(/^enc1:/)
    // The account is found by its keyed hash with the KEK, and cannot be read without one.
    expect((await cli({ DATA_KEK: OLD_KEK }, 'accounts', 'lock', '--email', 'Old@Example.com')).stdout).toBe(
      'not locked\n',
    )
    const keyless = await cli({}, 'accounts', 'lock', '--email', 'old@example.com')
    expect(keyless.code).toBe(1)
    expect(keyless.stderr).toMatch(/^DATA_KEK_REQUIRED: /)
    const stored = await withDatabase((db) =>
      db
        .selectFrom('identity_verifications')
        .select(['fields_sealed', 'fields_encrypted'])
        .executeTakeFirstOrThrow(),
    )
    expect(stored.fields_sealed).toBeNull()
    expect(JSON.parse(stored.fields_encrypted!).documentNumber).toMatch(/^enc1:/)

    const second = await cli({ DATA_KEK: OLD_KEK }, 'data', 'encrypt-existing', '--json')
    expect(JSON.parse(second.stdout)).toMatchObject({
      identityVerifications: 0,
      ipAddresses: { devices: { encrypted: 0, erased: 0 } },
      people: 0,
      emailChanges: 0,
      bountyReports: 0,
    })

    const rotated = await cli(
      { DATA_KEK: OLD_KEK },
      'data',
      'rotate-kek',
      '--new-kek-file',
      newKekFile,
      '--json',
    )
    expect(rotated.code).toBe(0)
    expect(JSON.parse(rotated.stdout).rewrapped).toBeGreaterThanOrEqual(3)
    // Another address ages: the old KEK no longer opens the devices' data key, the new one does.
    await withDatabase((db) => oldDevice(db, 'another', '203.0.113.51'))
    const withOld = await cli({ DATA_KEK: OLD_KEK }, 'data', 'encrypt-existing')
    expect(withOld.code).toBe(1)
    expect(withOld.stderr).toMatch(/^DATA_KEK_MISMATCH: /)
    const withNew = await cli({ DATA_KEK: NEW_KEK }, 'data', 'encrypt-existing', '--json')
    expect(JSON.parse(withNew.stdout).ipAddresses.devices).toEqual({ encrypted: 1, erased: 0 })
    expect((await cli({ DATA_KEK: NEW_KEK }, 'accounts', 'lock', '--email', 'old@example.com')).stdout).toBe(
      'not locked\n',
    )
    const audit = await withDatabase((db) =>
      db
        .selectFrom('audit_log')
        .select('action')
        .where((eb) => eb.or([eb('action', 'like', 'personal_data.%'), eb('action', 'like', 'data_keys.%')]))
        .orderBy('seq')
        .execute(),
    )
    expect(audit.map((a) => a.action)).toEqual([
      'personal_data.ips_protected',
      'personal_data.encrypted_existing',
      'personal_data.encrypted_existing',
      'data_keys.kek_rotated',
      'personal_data.ips_protected',
      'personal_data.encrypted_existing',
    ])
  }, 120_000)
})
