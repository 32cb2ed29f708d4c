/**
 * @module `bulwark db migrate`: applies pending migrations to the configured database.
 */
import { loadConfig } from '../platform/config.ts'
import { openDatabase } from '../platform/db/index.ts'
import { migrateToLatest } from '../platform/db/migrator.ts'
import { describeDatabase } from '../platform/runtime.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb } from './verb.ts'

export const dbCommands: CliGroup = {
  summary: 'Database maintenance',
  verbs: {
    migrate: defineVerb({
      summary: 'Apply pending migrations (DATABASE_URL or PGlite in DATA_DIR)',
      usage: '[--json]',
      description:
        'Brings the database up to date: PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in DATA_DIR. Safe to run again; npm start runs it too.',
      examples: ['bulwark db migrate', 'bulwark db migrate --json'],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        const handle = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
        try {
          const result = await migrateToLatest(handle.db as never)
          if (values.json) printJsonLine(io, { database: describeDatabase(config), ...result })
          else
            io.stdout(
              `${describeDatabase(config)}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'already up to date'} (${result.total} migrations known)\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    }),
  },
}
