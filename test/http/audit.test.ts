import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendAudit, auditEntryHash, GENESIS_HASH, verifyAuditChain } from '../../src/platform/audit.ts'
import type { Db } from '../../src/platform/db/index.ts'
import { createTestApp, type TestApp } from '../support/app.ts'
import { createTestDatabase } from '../support/db.ts'

async function logWithEntries(n: number): Promise<Db> {
  const { db } = await createTestDatabase()
  for (let i = 1; i <= n; i++) {
    await appendAudit(db, {
      actor: 'system',
      action: 'test.entry',
      target: `thing:${i}`,
      details: { i, note: 'ünïcödé ✓' },
    })
  }
  return db
}

async function bypassTrigger(db: Db, statement: ReturnType<typeof sql>) {
  await sql`alter table audit_log disable trigger audit_log_no_update`.execute(db)
  await statement.execute(db)
  await sql`alter table audit_log enable trigger audit_log_no_update`.execute(db)
}

describe('audit chain', () => {
  it('hashes SHA-256(prevHash ‖ RFC 8785 JSON) as documented', () => {
    const at = new Date('2026-01-01T00:00:00.000Z')
    const hash = auditEntryHash(GENESIS_HASH, {
      seq: 1n,
      at,
      actor: 'system',
      action: 'x',
      target: '',
      details: { b: 1, a: 'é' },
    })
    // The same bytes written out by hand and hashed by Node's own SHA-256.
    const canonical =
      '{"action":"x","actor":"system","at":"2026-01-01T00:00:00.000Z","details":{"a":"é","b":1},"seq":1,"target":""}'
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(canonical, 'utf8').digest('hex')
    expect(hash).toBe(expected)
    const other = auditEntryHash(GENESIS_HASH, {
      seq: 1n,
      at,
      actor: 'system',
      action: 'x',
      target: '',
      details: { a: 'e', b: 1 },
    })
    expect(other).not.toBe(hash)
  })

  it('reports an untouched log as intact with its head', async () => {
    const db = await logWithEntries(5)
    const result = await verifyAuditChain(db)
    expect(result).toMatchObject({ intact: true, entries: 5, head: { seq: '5' } })
  })

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    const db = await logWithEntries(2)
    await expect(sql`update audit_log set actor = 'mallory' where seq = 1`.execute(db)).rejects.toThrow(
      /insert-only/,
    )
    await expect(sql`delete from audit_log where seq = 2`.execute(db)).rejects.toThrow(/insert-only/)
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/insert-only/)
  })

  it('finds a changed entry at its position', async () => {
    const db = await logWithEntries(6)
    await bypassTrigger(db, sql`update audit_log set details = '{"i": 999}' where seq = 4`)
    expect(await verifyAuditChain(db)).toMatchObject({ intact: false, seq: '4', problem: 'changed' })
  })

  it('finds a removed entry', async () => {
    const db = await logWithEntries(6)
    await bypassTrigger(db, sql`delete from audit_log where seq = 3`)
    expect(await verifyAuditChain(db)).toMatchObject({ intact: false, seq: '3', problem: 'removed' })
  })

  it('finds reordered entries even when their own hashes are recomputed', async () => {
    const db = await logWithEntries(6)
    // Swap entries 2 and 3 and give each a self-consistent hash for its new position: only the
    // link to the previous entry can reveal this.
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', 'in', [2n, 3n])
      .orderBy('seq')
      .execute()
    const [two, three] = rows as [(typeof rows)[0], (typeof rows)[0]]
    const moveTo = (row: typeof two, seq: bigint) => {
      const hash = auditEntryHash(row.prev_hash, {
        seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: row.target,
        details: row.details,
      })
      return sql`update audit_log set at = ${row.at}, target = ${row.target}, details = ${JSON.stringify(row.details)}::jsonb,
        prev_hash = ${row.prev_hash}, hash = ${hash} where seq = ${String(seq)}::bigint`
    }
    await bypassTrigger(db, moveTo(three, 2n))
    await bypassTrigger(db, moveTo(two, 3n))
    expect(await verifyAuditChain(db)).toMatchObject({ intact: false, seq: '2', problem: 'reordered' })
  })

  it('keeps seq gap-free under concurrent appends', async () => {
    const { db } = await createTestDatabase()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendAudit(db, { actor: 'system', action: 'race', target: String(i) }),
      ),
    )
    expect(await verifyAuditChain(db)).toMatchObject({ intact: true, entries: 20 })
  })
})

describe('audit routes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('filters by action prefix, pages, exports and verifies', async () => {
    const admin = await t.createStaff('security_admin')
    const auditor = await t.createStaff('auditor')
    const list = await t.app.inject({
      url: '/api/audit?action=auth.&limit=1',
      headers: auditor.session.headers,
    })
    expect(list.statusCode).toBe(200)
    const page = list.json()
    expect(page.entries).toHaveLength(1)
    expect(page.entries.every((e: { action: string }) => e.action.startsWith('auth.'))).toBe(true)
    expect(page.nextBefore).not.toBeNull()

    const csv = await t.app.inject({ url: '/api/audit/export?format=csv', headers: auditor.session.headers })
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.split('\n')[0]).toBe('seq,at,actor,action,target,details,prev_hash,hash')

    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/audit/verify',
      headers: admin.session.headers,
    })
    expect(verify.json()).toMatchObject({ intact: true })
    const logged = await t.app.inject({
      url: '/api/audit?action=audit.verified',
      headers: auditor.session.headers,
    })
    expect(logged.json().entries[0].actor).toBe(`staff:${admin.user.id}`)
  })
})
