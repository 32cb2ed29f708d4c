/**
 * `node src/main.ts` as an operator starts it: what it prints about the demo and about mail.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const main = path.join(import.meta.dirname, '../../src/main.ts')

/** Starts the server on a fresh data directory; resolves with its output once it listens. */
async function start(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-start-'))
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (stdout.includes('Bulwark is running')) {
          clearInterval(timer)
          // The warnings follow the banner in the same tick; give the pipe a moment.
          setTimeout(resolve, 200)
        }
      }, 50)
      child.once('exit', (code) => {
        clearInterval(timer)
        reject(new Error(`server exited with ${code}: ${stderr}`))
      })
    })
    return { stdout, stderr }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

describe('start-up', () => {
  // Each start creates and migrates an on-disk PGlite database: give it time on a busy machine.
  it('warns that mail stays in the staff-only outbox on a real install without SMTP_URL', {
    timeout: 120_000,
  }, async () => {
    const { stdout, stderr } = await start({ SEED_DEMO: 'false' })
    expect(stderr).toContain('WARNING: SMTP_URL is not set, so no email leaves this server.')
    expect(stdout).not.toContain('Demo logins')
  })

  it('prints the demo logins, the staff TOTP secret and that mail is public on a fresh demo', {
    timeout: 120_000,
  }, async () => {
    const { stdout, stderr } = await start({ SEED_DEMO: 'true' })
    expect(stdout).toContain('(demo data seeded)')
    expect(stdout).toMatch(/Demo install: every email is public at http:\/\/localhost:\d+\/outbox/)
    expect(stdout).toContain('TOTP secret BULWARKDEMOSTAFFSECRETTOTP234567')
    expect(stderr).not.toContain('WARNING')
  })
})
