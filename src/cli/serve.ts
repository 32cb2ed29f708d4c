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
      async run(_args, io) {
        const { serve } = await import('../main.ts')
        await serve(loadConfig(io.env))
        return new Promise<number>(() => {}) // runs until a signal stops it
      },
    },
  },
}
