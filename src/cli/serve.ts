/**
 * @module `bulwark serve`: the same as `npm start` without the build step.
 */
import { loadConfig } from '../platform/config.ts'
import type { CliGroup } from './types.ts'

export const serveCommand: CliGroup = {
  summary: 'Run the API and web app (same as npm start, without building)',
  verbs: {
    '': {
      summary: 'Serve on HOST:PORT',
      usage: '',
      help: {
        description:
          'Serves the API and the built web app with the configuration from the environment (PORT, HOST, DATABASE_URL or DATA_DIR, …; see the README). Migrates the database first and seeds the demo exchange into an empty database when SEED_DEMO is true. Runs until stopped.',
        flags: [],
        examples: ['bulwark serve', 'PORT=9090 SEED_DEMO=false bulwark serve'],
      },
      async run(_args, io) {
        const { serve } = await import('../main.ts')
        await serve(loadConfig(io.env))
        return new Promise<number>(() => {}) // runs until a signal stops it
      },
    },
  },
}
