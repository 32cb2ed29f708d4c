/**
 * @module The database a benchmark measures: PostgreSQL in a fresh schema when DATABASE_URL is set
 * (so a run never touches the server's own tables), else PGlite in memory; migrated to the latest.
 */
import { sql } from 'kysely'
import { openDatabase, quoteIdent } from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'

/** Opens and migrates the benchmark's database; `name` prefixes the PostgreSQL schema; `engine` names it for the table. */
export async function openBenchDatabase(name: string) {
  const databaseUrl = process.env.DATABASE_URL
  const schema = `bench_${name}_${Date.now()}`
  if (databaseUrl) {
    const admin = await openDatabase({ databaseUrl })
    await sql`create schema ${sql.raw(quoteIdent(schema))}`.execute(admin.db)
    await admin.close()
  }
  const handle = databaseUrl
    ? await openDatabase({ databaseUrl, schema })
    : await openDatabase({ dataDir: 'memory://' })
  await migrateToLatest(handle.db as never, databaseUrl ? schema : undefined)
  return { ...handle, engine: databaseUrl ? 'PostgreSQL' : 'PGlite (in memory)' }
}
