/**
 * The `bulwark` command against a real PGlite data directory: migrate, create a staff member,
 * verify the audit log, and find a row edited behind the application's back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { openDatabase } from '../../src/platform/db/index.ts'
import { createScratchDatabase, dropScratchDatabase } from '../support/postgres.ts'

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-cli-'))
const env: Record<string, string | undefined> = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' }
const serverUrl = process.env.DATABASE_URL

// CI runs this file against PostgreSQL too: the CLI then gets a database of its own on that server
// (it works in the public schema, and this test tampers with the audit log).
beforeAll(async () => {
  if (serverUrl) env.DATABASE_URL = await createScratchDatabase(serverUrl, 'bulwark_cli')
})
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  if (serverUrl && env.DATABASE_URL) await dropScratchDatabase(serverUrl, env.DATABASE_URL)
})

async function run(argv: string[], stdin = '') {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      out += t
    },
    stderr: (t) => {
      err += t
    },
    env,
    readStdin: async () => stdin,
  })
  return { code, out, err }
}

describe('bulwark CLI', () => {
  it('prints help and rejects unknown commands with exit code 2', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('audit verify')
    expect((await run(['frobnicate'])).code).toBe(2)
    expect(
      await run(['staff', 'create', '--role', 'king', '--email', 'a@b.c'], 'long enough password'),
    ).toMatchObject({ code: 2 })
    const weak = await run(['staff', 'create', '--role', 'support', '--email', 'a@b.c'], 'password12345678')
    expect(weak.code).toBe(2)
    expect(weak.err).toContain('the password (stdin) is refused')
  })

  it('migrates, creates staff, and reports a tampered audit row at its position', async () => {
    const migrated = await run(['db', 'migrate', '--json'])
    expect(migrated.code).toBe(0)
    expect(JSON.parse(migrated.out).total).toBeGreaterThan(0)

    for (const role of ['security_admin', 'auditor', 'support']) {
      const created = await run(
        ['staff', 'create', '--email', `${role}-${Date.now()}@cli.test`, '--role', role, '--json'],
        'a long cli password\n',
      )
      expect(created.code, created.err).toBe(0)
      expect(JSON.parse(created.out).role).toBe(role)
    }
    const intact = await run(['audit', 'verify', '--json'])
    expect(intact.code).toBe(0)
    expect(JSON.parse(intact.out).intact).toBe(true)

    const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir })
    const target = await handle.db
      .selectFrom('audit_log')
      .select('seq')
      .where('action', '=', 'staff.created')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    await sql`alter table audit_log disable trigger audit_log_no_update`.execute(handle.db)
    await sql`update audit_log set details = '{"email":"mallory@evil.test","role":"security_admin"}' where seq = ${target.seq}`.execute(
      handle.db,
    )
    await sql`alter table audit_log enable trigger audit_log_no_update`.execute(handle.db)
    await handle.close()

    const broken = await run(['audit', 'verify'])
    expect(broken.code).toBe(1)
    expect(broken.out).toContain(`BROKEN at entry ${target.seq} (changed)`)
  })
})
