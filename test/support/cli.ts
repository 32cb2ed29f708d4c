/**
 * @module `bulwark …` run in-process against its own PGlite data directory, as an operator runs it.
 * Each CLI test file gets a fresh directory (removed after the file): on a shared PostgreSQL server
 * the CLI would migrate the public schema, where Kysely's migrator is confused by the migration
 * tables of other test schemas, so the PostgreSQL paths are covered by the HTTP suites instead.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { type Db, openDatabase } from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'

export type CliResult = { code: number; out: string; err: string }

/** Runs one CLI invocation with `env`, capturing what it prints. */
export async function runCliCapturing(
  argv: string[],
  env: Record<string, string | undefined>,
  stdin = '',
): Promise<CliResult> {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    stdout: (text) => {
      out += text
    },
    stderr: (text) => {
      err += text
    },
    env,
    readStdin: async () => stdin,
  })
  return { code, out, err }
}

export type CliDataDir = {
  dataDir: string
  env: Record<string, string>
  /** `bulwark <argv>` against this data directory. */
  run(argv: string[], stdin?: string): Promise<CliResult>
  /** Opens the data directory's database (migrated), runs `fn`, and closes it again for the CLI. */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>
  /** A path inside the data directory. */
  file(name: string): string
}

/**
 * A fresh data directory named after `prefix`, with `LOG_LEVEL=silent` and `extraEnv`.
 * @example const cli = cliDataDir('custody-cli', { CUSTODY_CONFIRMATIONS: 'BTC=3' }); await cli.run(['custody', 'ledger', 'verify'])
 */
export function cliDataDir(prefix: string, extraEnv: Record<string, string> = {}): CliDataDir {
  const dataDir = mkdtempSync(path.join(tmpdir(), `bulwark-${prefix}-`))
  const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extraEnv }
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))
  return {
    dataDir,
    env,
    run: (argv, stdin = '') => runCliCapturing(argv, env, stdin),
    async withDb(fn) {
      const handle = await openDatabase({ dataDir })
      try {
        await migrateToLatest(handle.db as never)
        return await fn(handle.db)
      } finally {
        await handle.close()
      }
    },
    file: (name) => path.join(dataDir, name),
  }
}
