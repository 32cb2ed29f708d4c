/**
 * @module A real PostgreSQL server for tests that need one whatever engine the run uses (a second
 * process to kill, several processes sharing a database). CI's PostgreSQL pass gives DATABASE_URL;
 * otherwise a throwaway server is started from the system's PostgreSQL binaries (installed by
 * `scripts/ensure-system-packages.sh`, npm's pretest) in a temporary folder on a loopback port, and
 * removed when the test file is done. Without the binaries the test fails with the command to run.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

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
