import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSECURE_FILE_NAME } from '../por/zk/index.ts'
import { runCli } from './main.ts'

const dir = mkdtempSync(join(tmpdir(), 'por-zk-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} })
  return { code, stdout, stderr }
}

const round = join(dir, 'round')
// The known-tau setup `--insecure-test-setup` makes for a 4-user, 2-asset batch (4,097 points), cached.
const setup = join(tmpdir(), 'bulwark-zk-setup-4097', INSECURE_FILE_NAME)
let proved: Awaited<ReturnType<typeof cli>>

beforeAll(async () => {
  writeFileSync(join(dir, 'a.csv'), 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n')
  writeFileSync(
    join(dir, 'l.csv'),
    `user_id,BTC,USDT\n${Array.from({ length: 6 }, (_, i) => `u${i},0.${i + 1},${i * 10}`).join('\n')}\n`,
  )
  const a = join(dir, 'a.csv')
  const l = join(dir, 'l.csv')
  expect(
    (await cli('por', 'build', '--liabilities', l, '--assets', a, '--out', round, '--round-id', '2026-11'))
      .code,
  ).toBe(0)
  expect(
    (await cli('por', 'proof', '--round', round, '--user', 'u4', '--out', join(dir, 'u4.bwpp'))).code,
  ).toBe(0)
  proved = await cli(
    'por',
    'prove',
    '--round',
    round,
    '--exchange',
    'acme',
    '--insecure-test-setup',
    '--batch',
    '4',
    '--cores',
    '2',
  )
}, 180_000)

describe('bulwark por prove / verify-zk', () => {
  it('proves a round in batches with a progress bar and warns that a test setup proves nothing', () => {
    expect(proved.code).toBe(0)
    expect(proved.stderr).toContain('2/2 batches')
    expect(proved.stdout).toContain('6 leaves in 2 batches of 4')
    expect(proved.stdout).toContain('WARNING: INSECURE, TEST ONLY setup')
  })

  it("verifies one user's batch from their Merkle-sum proof file", async () => {
    const zk = join(round, 'zk')
    const r = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'acme',
      '--round',
      round,
      '--setup',
      setup,
      '--proof',
      join(dir, 'u4.bwpp'),
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/ok {3}user-leaf/)
    expect(r.stdout).toContain('1 batch proof(s) verified')
  })

  it('verifies every batch for an auditor, and refuses proofs bound to another exchange (exit 1, check named)', async () => {
    const zk = join(round, 'zk')
    const hash = JSON.parse(readFileSync(join(zk, 'manifest.json'), 'utf8')).setupHash
    const all = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'acme',
      '--round',
      round,
      '--setup',
      setup,
      '--setup-hash',
      hash,
      '--all',
    )
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('2 batch proof(s) verified')
    const other = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'other',
      '--round',
      round,
      '--setup',
      setup,
      '--all',
    )
    expect(other.code).toBe(1)
    expect(other.stdout).toMatch(/FAIL binding/)
    const prod = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'acme',
      '--round',
      round,
      '--setup',
      setup,
      '--all',
      '--production',
    )
    expect(prod.code).toBe(1)
    expect(prod.stdout).toMatch(/FAIL setup-secure/)
  })

  it('checks every leaf of a user split into pieces, and refuses a proof file from another round', async () => {
    const split = join(dir, 'split')
    const built = await cli(
      'por',
      'build',
      '--liabilities',
      join(dir, 'l.csv'),
      '--assets',
      join(dir, 'a.csv'),
      '--out',
      split,
      '--round-id',
      '2026-12',
      '--split',
      '2',
    )
    expect(built.code).toBe(0)
    expect(
      (await cli('por', 'proof', '--round', split, '--user', 'u2', '--out', join(dir, 'u2.bwpp'))).code,
    ).toBe(0)
    const p = await cli(
      'por',
      'prove',
      '--round',
      split,
      '--exchange',
      'acme',
      '--insecure-test-setup',
      '--batch',
      '4',
      '--json',
    )
    expect(p.code).toBe(0)
    const zk = join(split, 'zk')
    const both = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'acme',
      '--round',
      split,
      '--setup',
      setup,
      '--proof',
      join(dir, 'u2.bwpp'),
    )
    expect(both.code).toBe(0)
    expect(both.stdout.match(/ok {3}user-leaf/g)).toHaveLength(2)
    const stale = await cli(
      'por',
      'verify-zk',
      '--zk',
      zk,
      '--exchange',
      'acme',
      '--round',
      split,
      '--setup',
      setup,
      '--proof',
      join(dir, 'u4.bwpp'),
    )
    expect(stale.code).toBe(1)
    expect(stale.stdout).toMatch(/FAIL proof-round/)
  })

  it('audit verifies the zk chain of a round that has one, and fails without the setup to check it', async () => {
    const audited = await cli('por', 'audit', round, '--zk-setup', setup, '--exchange', 'acme')
    expect(audited.code).toBe(0)
    expect(audited.stdout).toMatch(/ok {3}zk proof/)
    const blind = await cli('por', 'audit', round)
    expect(blind.code).toBe(1)
    expect(blind.stdout).toMatch(/FAIL zk zk-setup/)
  })
})
