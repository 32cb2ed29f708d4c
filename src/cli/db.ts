/**
 * @module `bulwark db migrate`: applies pending migrations to the configured database.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../platform/config.ts'
import { openDatabase } from '../platform/db/index.ts'
import { migrateToLatest } from '../platform/db/migrator.ts'
import { describeDatabase } from '../platform/runtime.ts'
import type { CliGroup } from './types.ts'

export const dbCommands: CliGroup = {
  summary: 'Database maintenance',
  verbs: {
    migrate: {
      summary: 'Apply pending migrations (DATABASE_URL or PGlite in DATA_DIR)',
      usage: '[--json]',
      async run(args, io) {
        const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } })
        const config = loadConfig(io.env)
        const handle = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
        try {
          const result = await migrateToLatest(handle.db as never)
          if (values.json) io.stdout(`${JSON.stringify({ database: describeDatabase(config), ...result })}\n`)
          else
            io.stdout(
              `${describeDatabase(config)}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'already up to date'} (${result.total} migrations known)\n`,
            )
          return 0
        } finally {
          await handle.close()
        }
      },
    },
  },
}
