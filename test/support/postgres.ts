/**
 * @module A real PostgreSQL server for tests that need one whatever engine the run uses (a second
 * process to kill, several processes sharing a database). CI's PostgreSQL pass gives DATABASE_URL;
 * otherwise a throwaway server is started from the system's PostgreSQL binaries (installed by
 * `scripts/ensure-system-packages.sh`, npm's pretest) in a temporary folder on a loopback port, and
 * removed when the test file is done. Without the binaries the test fails with the command to run.
 * A test that gives processes (a CLI, a server it kills) a database of their own creates one on the
 * server with `createScratchDatabase` and drops it after.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { openDatabase, quoteIdent } from '../../src/platform/db/index.ts'

export type TestPostgres = { url: string; stop(): Promise<void> }

function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) {
    throw new Error(
      'This test needs PostgreSQL, which is not installed. Run: sh scripts/ensure-system-packages.sh --postgres',
    )
  }
  return path.join(root, versions[0]!, 'bin')
}

/** DATABASE_URL when the run has one, else a fresh server of its own. */
export async function usePostgres(): Promise<TestPostgres> {
  const given = process.env.DATABASE_URL
  if (given) return { url: given, stop: async () => {} }
  const bin = postgresBin()
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-pg-'))
  // initdb refuses to run as root: as root, the server runs as the postgres system user.
  const asRoot = process.getuid?.() === 0
  const run = (program: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, program), args, { stdio: 'pipe' })
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const port = 40_000 + Math.floor(Math.random() * 10_000)
  const data = path.join(dir, 'data')
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'log'),
    '-w',
    '-o',
    `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    'start',
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/** Creates an empty database named `prefix_<random>` on the server at `serverUrl`; returns its URL. */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = await openDatabase({ databaseUrl: serverUrl })
  try {
    await sql`create database ${sql.raw(quoteIdent(name))}`.execute(admin.db)
  } finally {
    await admin.close()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Drops a database made by `createScratchDatabase`, ending connections a killed process left open. */
export async function dropScratchDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const admin = await openDatabase({ databaseUrl: serverUrl })
  try {
    const name = new URL(databaseUrl).pathname.slice(1)
    await sql`drop database if exists ${sql.raw(quoteIdent(name))} with (force)`.execute(admin.db)
  } finally {
    await admin.close()
  }
}
