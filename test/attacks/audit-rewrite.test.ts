/**
 * The attack of issue #13 item 4: someone with write access to the database edits an audit entry
 * and recomputes every later chain hash, so the chain alone still reads "intact". A signed tree
 * head taken before the edit must catch it, and name the entry, through `bulwark audit verify
 * --since`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { hexToBytes } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { appendAudit, auditEntryHash } from '../../src/platform/audit.ts'
import { leafHash, verifyInclusion } from '../../src/platform/audit-log/merkle.ts'
import { type Db, openDatabase } from '../../src/platform/db/index.ts'
import { createScratchDatabase, dropScratchDatabase } from '../support/postgres.ts'

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-audit-rewrite-'))
const headFile = path.join(dataDir, 'head.json')
const env: Record<string, string | undefined> = {
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  AUDIT_SIGNING_KEY: '4a'.repeat(32),
}
const serverUrl = process.env.DATABASE_URL

// On PostgreSQL (CI) the CLI gets a database of its own, since this test rewrites the audit log.
beforeAll(async () => {
  if (serverUrl) env.DATABASE_URL = await createScratchDatabase(serverUrl, 'bulwark_audit')
  expect((await run(['db', 'migrate'])).code).toBe(0)
  await withDb((db) => appendEntries(db, 12))
})
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  if (serverUrl && env.DATABASE_URL) await dropScratchDatabase(serverUrl, env.DATABASE_URL)
})

async function run(argv: string[]) {
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
  })
  return { code, out, err }
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir })
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function appendEntries(db: Db, n: number) {
  for (let i = 0; i < n; i++) {
    await appendAudit(db, {
      actor: 'staff:alice',
      action: 'custody.withdrawal_approved',
      target: `withdrawal:${i}`,
      details: { amount: String(1000 + i), to: 'bc1qlegit' },
    })
  }
}

async function asOwner(db: Db, table: string, statement: ReturnType<typeof sql>) {
  await sql`alter table ${sql.raw(table)} disable trigger user`.execute(db)
  await statement.execute(db)
  await sql`alter table ${sql.raw(table)} enable trigger user`.execute(db)
}

/** Rewrites entry `seq`'s details and recomputes the chain hash of it and of every later entry. */
async function rewriteWithChain(db: Db, seq: bigint, details: Record<string, unknown>) {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>=', seq - 1n)
    .orderBy('seq')
    .execute()
  let prevHash = rows[0]!.seq === seq ? '0'.repeat(64) : rows[0]!.hash
  for (const row of rows.filter((r) => r.seq >= seq)) {
    const newDetails = row.seq === seq ? details : row.details
    const hash = auditEntryHash(prevHash, { ...row, details: newDetails })
    await asOwner(
      db,
      'audit_log',
      sql`update audit_log set details = ${JSON.stringify(newDetails)}::jsonb, prev_hash = ${prevHash},
          hash = ${hash} where seq = ${String(row.seq)}::bigint`,
    )
    prevHash = hash
  }
}

describe('rewriting the audit log behind the application', () => {
  it('verifies an untouched log, and one appended to, against an earlier signed head', async () => {
    const checkpoint = await run(['audit', 'checkpoint', '--out', headFile])
    expect(checkpoint.code, checkpoint.err).toBe(0)
    const head = JSON.parse(readFileSync(headFile, 'utf8'))
    expect(head).toMatchObject({ version: 'bulwark-audit-tree-head/v1', size: 12 })

    const untouched = await run(['audit', 'verify', '--since', headFile, '--json'])
    expect(untouched.code, untouched.out).toBe(0)
    expect(JSON.parse(untouched.out)).toMatchObject({ consistent: true, from: 12 })

    await withDb((db) => appendEntries(db, 5))
    const grown = await run(['audit', 'verify', '--since', headFile])
    expect(grown.code, grown.out).toBe(0)
    expect(grown.out).toMatch(/^consistent: the 12 entries of the head are unchanged/)
  })

  it('prints an inclusion proof that verifies against the signed head', async () => {
    const head = JSON.parse(readFileSync(headFile, 'utf8'))
    const proved = await run(['audit', 'prove', '--seq', '7', '--size', String(head.size)])
    expect(proved.code, proved.err).toBe(0)
    const proof = JSON.parse(proved.out)
    const leaf = leafHash(new TextEncoder().encode(proof.leaf))
    const path = proof.proof.map((h: string) => hexToBytes(h))
    expect(verifyInclusion(leaf, 6, head.size, path, hexToBytes(head.root))).toBe(true)
    expect((await run(['audit', 'prove', '--seq', '999'])).code).toBe(1)
    expect((await run(['audit', 'prove'])).code).toBe(2)
  })

  it('fails and names the entry when one is edited and every later chain hash recomputed', async () => {
    await withDb((db) => rewriteWithChain(db, 7n, { amount: '1006', to: 'bc1qmallory' }))

    // The finding: the chain alone cannot tell, since every hash was recomputed.
    const chain = await run(['audit', 'verify', '--json'])
    expect(JSON.parse(chain.out)).toMatchObject({ intact: true })

    const since = await run(['audit', 'verify', '--since', headFile])
    expect(since.code).toBe(1)
    expect(since.out).toContain('INCONSISTENT at entry 7 (changed)')
  })

  it('still fails, without naming an entry, when the stored leaf hashes are rewritten too', async () => {
    await withDb(async (db) => {
      const leaf = await db
        .selectFrom('audit_leaves')
        .select('leaf_hash')
        .where('seq', '=', 8n)
        .executeTakeFirstOrThrow()
      await asOwner(
        db,
        'audit_leaves',
        sql`update audit_leaves set leaf_hash = ${leaf.leaf_hash} where seq = 7`,
      )
    })
    const since = await run(['audit', 'verify', '--since', headFile, '--json'])
    expect(since.code).toBe(1)
    expect(JSON.parse(since.out)).toMatchObject({ consistent: false, problem: 'unknown', seq: null })
  })

  it('refuses a head whose root was edited to match the rewritten log', async () => {
    const current = await run(['audit', 'checkpoint'])
    const forged = { ...JSON.parse(readFileSync(headFile, 'utf8')), root: JSON.parse(current.out).root }
    const forgedFile = path.join(dataDir, 'forged.json')
    writeFileSync(forgedFile, JSON.stringify(forged))
    const since = await run(['audit', 'verify', '--since', forgedFile, '--json'])
    expect(since.code).toBe(1)
    expect(JSON.parse(since.out)).toMatchObject({ consistent: false, problem: 'signature' })
  })

  it('reports an entry removed before the head', async () => {
    await withDb((db) => asOwner(db, 'audit_log', sql`delete from audit_log where seq = 3`))
    const since = await run(['audit', 'verify', '--since', headFile, '--json'])
    expect(since.code).toBe(1)
    expect(JSON.parse(since.out)).toMatchObject({ consistent: false, problem: 'removed', seq: '3' })
  })
})
