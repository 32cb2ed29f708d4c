/**
 * @module Opening the configured database and bringing it up to date: shared by `npm start`,
 * `bulwark serve` and the other CLI verbs that need the database.
 */
import { sealAuditPersonalData } from './audit-personal.ts'
import type { Config } from './config.ts'
import { loadKek } from './crypto/field-encryption.ts'
import { type DatabaseHandle, openDatabase } from './db/index.ts'
import { migrateToLatest } from './db/migrator.ts'
import { withPersonalFields } from './identity/personal-fields.ts'

export async function openConfiguredDatabase(config: Config, options: { migrate?: boolean } = {}) {
  const handle: DatabaseHandle = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
  })
  const migrate = options.migrate ?? true
  if (migrate) await migrateToLatest(handle.db as never)
  // With a KEK, personal values written to the audit log through this handle are sealed, and
  // (once the tables are migrated) people's emails and names too (identity/personal-fields.ts).
  const kek = loadKek(config)
  sealAuditPersonalData(handle.db, kek)
  if (!migrate) return handle
  return { ...handle, db: await withPersonalFields(handle.db, kek) }
}

/** Where the database lives, for people: never prints a password. */
export function describeDatabase(config: Config): string {
  if (!config.DATABASE_URL) return `PGlite in ${config.DATA_DIR}`
  try {
    const url = new URL(config.DATABASE_URL)
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}
