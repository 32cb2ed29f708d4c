/**
 * @module A database for a test file, on the real engine: PGlite by default, the PostgreSQL server
 * named by DATABASE_URL when set (CI runs the suites both ways). Starting PGlite takes seconds, so a
 * worker shares one engine and each test file gets its own freshly migrated schema.
 */
import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import {
  createPGlite,
  type Db,
  kyselyOverPGlite,
  openDatabase,
  quoteIdent,
} from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'

type WorkerGlobals = { __bulwarkTestPGlite?: Promise<PGlite> }

export type TestDatabase = { db: Db; schema: string; engine: 'pglite' | 'postgres'; close(): Promise<void> }

export async function createTestDatabase(): Promise<TestDatabase> {
  const schema = `t_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
  const databaseUrl = process.env.DATABASE_URL
  if (databaseUrl) {
    const admin = await openDatabase({ databaseUrl })
    await sql`create schema ${sql.raw(quoteIdent(schema))}`.execute(admin.db)
    await admin.close()
    const handle = await openDatabase({ databaseUrl, schema })
    await migrateToLatest(handle.db as never, schema)
    return { db: handle.db, schema, engine: 'postgres', close: () => handle.close() }
  }
  const globals = globalThis as WorkerGlobals
  globals.__bulwarkTestPGlite ??= createPGlite('memory://')
  const pglite = await globals.__bulwarkTestPGlite
  await pglite.exec(`create schema ${quoteIdent(schema)}`)
  // Each database searches its own schema whenever it holds the engine's connection, so two apps in
  // one test file (or one after another in a worker) never see each other's tables.
  const db = kyselyOverPGlite(pglite, schema)
  await migrateToLatest(db as never, schema)
  return {
    db,
    schema,
    engine: 'pglite',
    // The engine outlives the file; the schema is left for the worker's engine to discard.
    close: async () => {},
  }
}
