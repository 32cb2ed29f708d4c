/**
 * @module A real Bulwark server for browser tests: its own PGlite data directory, migrations, the
 * demo exchange, the built web app, listening on a random loopback port.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp } from '../../src/app.ts'
import { seedDemoIfEmpty } from '../../src/demo/seed.ts'
import { webDir } from '../../src/main.ts'
import { type Clock, systemClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { openDatabase } from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'

export type StartTestServerOptions = { env?: Record<string, string>; clock?: Clock; seed?: boolean }

export async function startTestServer(options: StartTestServerOptions = {}) {
  if (!existsSync(path.join(webDir, 'index.html'))) {
    throw new Error('The web app is not built: run `npm run build` (npm test does it first).')
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-e2e-'))
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PORT: '0',
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '1000',
    ...options.env,
  })
  const handle = await openDatabase({ dataDir })
  await migrateToLatest(handle.db as never)
  const clock = options.clock ?? systemClock
  if (options.seed ?? true) await seedDemoIfEmpty({ db: handle.db, clock, dataDir })
  const app = await buildApp({ config, db: handle.db, clock, webDir, logger: false })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: address,
    app,
    db: handle.db,
    config,
    async close() {
      await app.close()
      await handle.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
export type TestServer = Awaited<ReturnType<typeof startTestServer>>
