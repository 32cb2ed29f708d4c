import { bytesToHex } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/support/db.ts'
import { appendAudit } from '../audit.ts'
import { createManualClock } from '../clock.ts'
import { loadConfig } from '../config.ts'
import type { Db } from '../db/index.ts'
import { migrations } from '../migrations.ts'
import { createAuditTreeHeads, hashAuditTree, verifySince } from './tree.ts'
import { createTreeHeadSigner } from './tree-head.ts'

const signer = createTreeHeadSigner({
  config: loadConfig({ AUDIT_SIGNING_KEY: '3c'.repeat(32) }),
  clock: createManualClock(),
})

async function append(db: Db, n: number) {
  for (let i = 0; i < n; i++) {
    await appendAudit(db, { actor: 'system', action: 'test.entry', target: `t:${i}`, details: { i, s: 'ü' } })
  }
}

describe('audit Merkle tree over the database', () => {
  it('keeps the public head incrementally, equal to a full recomputation after every append', async () => {
    const { db } = await createTestDatabase()
    const heads = createAuditTreeHeads({ db, signer })
    expect((await heads.signedHead()).size).toBe(0)
    for (const batch of [1, 2, 5, 1]) {
      await append(db, batch)
      const [a, b] = await Promise.all([heads.signedHead(), heads.signedHead()])
      const full = await hashAuditTree(db, a.size)
      expect(a.root).toBe(bytesToHex(full.root()))
      expect(b).toMatchObject({ size: a.size, root: a.root })
    }
  })

  it('fills in the leaf hashes of entries written before the leaves table existed', async () => {
    const { db } = await createTestDatabase()
    await append(db, 7)
    const before = await db.selectFrom('audit_leaves').selectAll().orderBy('seq').execute()
    await sql`drop table audit_leaves`.execute(db)
    await migrations['0004_platform_audit_leaves']!.up(db as never)
    const after = await db.selectFrom('audit_leaves').selectAll().orderBy('seq').execute()
    expect(after).toEqual(before)
    expect(after).toHaveLength(7)
  })

  it('refuses a head signed by another key than the one it is told to trust', async () => {
    const { db } = await createTestDatabase()
    await append(db, 3)
    const head = await createAuditTreeHeads({ db, signer }).signedHead()
    expect(await verifySince(db, head, signer.publicKey())).toMatchObject({ consistent: true })
    expect(await verifySince(db, head, '00'.repeat(32))).toMatchObject({ consistent: false, problem: 'key' })
  })

  it('reports entries cut from the end before the head', async () => {
    const { db } = await createTestDatabase()
    await append(db, 5)
    const head = await createAuditTreeHeads({ db, signer }).signedHead()
    await sql`alter table audit_log disable trigger user`.execute(db)
    await sql`delete from audit_log where seq >= 4`.execute(db)
    await sql`alter table audit_log enable trigger user`.execute(db)
    expect(await verifySince(db, head)).toMatchObject({ consistent: false, problem: 'removed', seq: '4' })
  })
})
