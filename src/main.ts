/**
 * @module Starts Bulwark: config -> database -> migrate -> demo seed -> app -> listen.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from './app.ts'
import { DEMO_PASSWORD, demoLogins, seedDemoIfEmpty } from './demo/seed.ts'
import { systemClock } from './platform/clock.ts'
import { type Config, ConfigError, loadConfig } from './platform/config.ts'
import { describeDatabase, openConfiguredDatabase } from './platform/runtime.ts'

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/web')

export async function serve(config: Config) {
  const started = performance.now()
  const handle = await openConfiguredDatabase(config)
  const seeded = config.SEED_DEMO
    ? await seedDemoIfEmpty({ db: handle.db, clock: systemClock, dataDir: config.DATA_DIR })
    : false
  const app = await buildApp({ config, db: handle.db, webDir })
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  const shown = address.replace('127.0.0.1', 'localhost')
  const lines = [
    '',
    `Bulwark is running at ${shown}  (API docs: ${shown}/docs)`,
    `Database: ${describeDatabase(config)}${seeded ? ' (demo data seeded)' : ''}; ready in ${Math.round(performance.now() - started)} ms`,
  ]
  if (config.SEED_DEMO) {
    lines.push(`Demo logins (password for all: ${DEMO_PASSWORD}):`)
    for (const login of demoLogins()) lines.push(`  ${login.email.padEnd(34)} ${login.role ?? 'customer'}`)
  }
  process.stdout.write(`${lines.join('\n')}\n\n`)

  const shutdown = async () => {
    await app.close()
    await handle.close()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  return app
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await serve(loadConfig())
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
}
