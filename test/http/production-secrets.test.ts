/**
 * ASVS 13.3.1: without ACCOUNTS_SEALING_KEY / IDENTITY_SEALING_KEY, TOTP seeds, API secrets and
 * identity documents are sealed under a key derived from the public EXCHANGE_ID. A non-demo install
 * warns at start-up (src/main.test.ts); with NODE_ENV=production Bulwark refuses to start.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, productionSecretProblems } from '../../src/platform/config.ts'

const main = path.join(import.meta.dirname, '../../src/main.ts')
const key = (digit: string) => digit.repeat(64)

describe('sealing keys in production', () => {
  it('refuses to start with NODE_ENV=production and no sealing keys, naming both and exiting 2', {
    timeout: 120_000,
  }, () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-prod-'))
    try {
      const run = spawnSync(process.execPath, [main], {
        env: {
          PATH: process.env.PATH ?? '',
          DATA_DIR: dataDir,
          PORT: '0',
          LOG_LEVEL: 'silent',
          SEED_DEMO: 'false',
          NODE_ENV: 'production',
          IDENTITY_SEALING_KEY: key('b'),
          DATA_KEK: key('c'),
        },
        encoding: 'utf8',
        timeout: 100_000,
      })
      expect(run.status).toBe(2)
      expect(run.stderr).toContain('SEALING_KEY_REQUIRED')
      expect(run.stderr).toContain('ACCOUNTS_SEALING_KEY is not set')
      expect(run.stderr).not.toContain('IDENTITY_SEALING_KEY is not set')
      expect(run.stdout).not.toContain('Bulwark is running')
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('asks for both sealing keys and a DATA_KEK only in production', () => {
    const bare = { SEED_DEMO: 'false' }
    expect(productionSecretProblems(loadConfig(bare))).toEqual([])
    expect(productionSecretProblems(loadConfig({ ...bare, NODE_ENV: 'development' }))).toEqual([])
    const production = productionSecretProblems(loadConfig({ ...bare, NODE_ENV: 'production' }))
    expect(production).toHaveLength(3)
    expect(production[0]).toMatch(/^ACCOUNTS_SEALING_KEY is not set/)
    expect(production[1]).toMatch(/^IDENTITY_SEALING_KEY is not set/)
    expect(production[2]).toMatch(/^DATA_KEK is not set \(nor DATA_KEK_FILE\)/)
    const sealing = { ACCOUNTS_SEALING_KEY: key('a'), IDENTITY_SEALING_KEY: key('b') }
    const keyed = loadConfig({ ...bare, NODE_ENV: 'production', ...sealing, DATA_KEK: key('c') })
    expect(productionSecretProblems(keyed)).toEqual([])
    const keyFile = loadConfig({
      ...bare,
      NODE_ENV: 'production',
      ...sealing,
      DATA_KEK_FILE: '/etc/bulwark/data.kek',
    })
    expect(productionSecretProblems(keyFile)).toEqual([])
  })
})
