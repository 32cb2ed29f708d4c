/**
 * `bulwark ops overdue` on its own PGlite directory: exit 0 with nothing overdue, then exit 1 with
 * the overdue finding mailed to the security admin, once a day.
 */
import { describe, expect, it } from 'vitest'
import { cliDataDir } from '../../test/support/cli.ts'
import { createUser } from '../platform/identity/users.ts'

const { run, withDb } = cliDataDir('ops-cli')

describe('bulwark ops overdue', () => {
  it('exits 0 when nothing is overdue, and 1 after mailing security admins an overdue finding once a day', async () => {
    await withDb(async (db) => {
      await createUser(db, {
        email: 'sec@ops.test',
        displayName: 'Sec',
        kind: 'staff',
        role: 'security_admin',
        password: 'a-long-enough-password',
      })
    })
    expect(await run(['ops', 'overdue', '--json'])).toEqual({
      code: 0,
      out: '{"overdue":0,"alerted":0,"recipients":0}\n',
      err: '',
    })
    await withDb(async (db) => {
      const audit = await db
        .insertInto('ops_audits')
        .values({
          firm: 'Hacken',
          scope: 'API',
          started_on: '2026-01-01',
          ended_on: '2026-01-20',
          status: 'completed',
          created_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await db
        .insertInto('ops_audit_findings')
        .values({
          audit_id: audit.id,
          title: 'Old finding',
          severity: 'high',
          owner: 'api team',
          due_on: '2026-02-01',
          status: 'open',
          created_at: new Date(),
        })
        .execute()
    })
    expect(await run(['ops', 'overdue'])).toEqual({
      code: 1,
      out: '1 overdue finding(s); 1 newly alerted to 1 security admin(s)\n',
      err: '',
    })
    expect(await run(['ops', 'overdue'])).toEqual({
      code: 1,
      out: '1 overdue finding(s); 0 newly alerted to 0 security admin(s)\n',
      err: '',
    })
    const mails = await withDb((db) =>
      db.selectFrom('mail_outbox').select('subject').where('to_address', '=', 'sec@ops.test').execute(),
    )
    expect(mails.map((m) => m.subject)).toEqual(['1 audit finding(s) overdue'])
  })
})
