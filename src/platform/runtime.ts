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
  if (options.migrate ?? true) await migrateToLatest(handle.db as never)
  // With a KEK, personal values written to the audit log through this handle are sealed.
  sealAuditPersonalData(handle.db, loadKek(config))
  if (!(options.migrate ?? true)) return handle
  // With a DATA_KEK, people's emails and names are sealed at rest (identity/personal-fields.ts).
  return { ...handle, db: await withPersonalFields(handle.db, loadKek(config)) }
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
