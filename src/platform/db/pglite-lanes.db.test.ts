import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.ts'

let first: TestDatabase
let second: TestDatabase
beforeAll(async () => {
  first = await createTestDatabase()
  second = await createTestDatabase()
})
afterAll(async () => {
  await first?.close()
  await second?.close()
})

const count = async (db: TestDatabase['db']) =>
  Number((await sql<{ n: string }>`select count(*) as n from users`.execute(db)).rows[0]!.n)

describe('two databases in one test file', () => {
  it('each reads and writes its own schema, even after the other was created', async () => {
    await sql`insert into users (email, display_name, kind, password_hash) values ('a@x.test', 'A', 'customer', '!')`.execute(
      first.db,
    )
    expect(await count(first.db)).toBe(1)
    expect(await count(second.db)).toBe(0)
  })

  it('answers for its own schema while the other database holds a transaction open', async () => {
    let pending: Promise<number> | undefined
    await first.db.transaction().execute(async (tx) => {
      await sql`insert into users (email, display_name, kind, password_hash) values ('b@x.test', 'B', 'customer', '!')`.execute(
        tx,
      )
      // Asked mid-transaction: on PGlite it waits for the one connection, then searches its own schema.
      pending = count(second.db)
      await new Promise((resolve) => setTimeout(resolve, 20))
    })
    expect(await pending).toBe(0)
    expect(await count(first.db)).toBe(2)
  })
})
