/**
 * @module Versioned migrations: every domain contributes its own, all applied in name order at
 * start-up and by `bulwark db migrate`. Domains own number ranges (see migrations.ts), so a
 * migration added later in a lower range is still applied (unordered migrations allowed).
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely'
import { allMigrations } from './migrations.ts'

export type MigrateResult = { applied: string[]; total: number }

export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<MigrateResult> {
  const migrations: Record<string, Migration> = allMigrations()
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    // Always name the schema: without it Kysely looks for its bookkeeping tables in every schema
    // and, on a server that also holds other schemas (tests), wrongly finds them elsewhere.
    migrationTableSchema: schema ?? 'public',
  })
  const result: MigrationResultSet = await migrator.migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`Migration ${failed} failed`, { cause: result.error })
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    total: Object.keys(migrations).length,
  }
}
