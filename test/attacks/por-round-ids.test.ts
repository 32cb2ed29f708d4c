/**
 * Finding 14: a proof-of-reserves round named `..` wrote its files outside the rounds folder. Round
 * ids now have a format (letters, digits, `.`, `_`, `:`, `-`, starting with a letter or digit), and
 * every path built from an id or file name is resolved and checked to stay inside its folder.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.ts'
import { resolveInside } from '../../src/platform/safe-path.ts'
import { createTestApp, type TestApp } from '../support/app.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'por-ids-'))
let t: TestApp
let builder: Awaited<ReturnType<TestApp['createStaff']>>
beforeAll(async () => {
  t = await createTestApp({ DATA_DIR: dataDir })
  builder = await t.createStaff('custody_approver')
})
afterAll(async () => {
  await t.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const create = (id: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/por/staff/rounds',
    headers: builder.session.headers,
    payload: { id },
  })

describe('round ids over the staff route', () => {
  it('refuses ids made of dots, hidden names and ids with a slash, backslash or NUL', async () => {
    for (const id of ['..', '.', '...', '.hidden', '../x', 'a/b', 'a\\b', 'a\u0000b', '']) {
      const response = await create(id)
      expect(response.statusCode, JSON.stringify(id)).toBe(400)
      expect(response.json().code).toBe('INVALID_INPUT')
    }
    // Nothing was written next to the rounds folder.
    expect(existsSync(join(dataDir, 'por', 'input'))).toBe(false)
  })

  it('keeps a valid round and its uploaded files inside the rounds folder', async () => {
    expect((await create('2026-12')).statusCode).toBe(200)
    const upload = await t.app.inject({
      method: 'PUT',
      url: '/api/por/staff/rounds/2026-12/files/assets',
      headers: { ...builder.session.headers, 'content-type': 'text/csv' },
      body: 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n',
    })
    expect(upload.statusCode).toBe(200)
    expect(readdirSync(join(dataDir, 'por', 'rounds', '2026-12', 'input'))).toEqual(['assets.csv'])
    expect(readdirSync(join(dataDir, 'por'))).toEqual(['rounds'])
  })

  it('refuses a path-like auditor file name', async () => {
    const response = await t.app.inject({
      url: '/api/por/staff/rounds/2026-12/auditor-package/..%2F..%2Fround.json',
      headers: builder.session.headers,
    })
    expect(response.statusCode).toBeGreaterThanOrEqual(400)
    expect(response.statusCode).toBeLessThan(500)
  })
})

describe('round ids in the CLI', () => {
  it('refuses bulwark por build --round-id .. with exit 2, naming the format', async () => {
    let stderr = ''
    const code = await runCli(
      [
        'por',
        'build',
        '--liabilities',
        'l.csv',
        '--assets',
        'a.csv',
        '--out',
        join(dataDir, 'cli'),
        '--round-id',
        '..',
      ],
      { stdout: () => {}, stderr: (s) => (stderr += s), env: {} },
    )
    expect(code).toBe(2)
    expect(stderr).toContain('--round-id: 1-64 of letters, digits')
    expect(existsSync(join(dataDir, 'cli'))).toBe(false)
  })
})

describe('resolveInside', () => {
  it('joins plain names and refuses any that would leave the folder', () => {
    expect(resolveInside('/data/por/rounds', '2026-11', 'input')).toBe('/data/por/rounds/2026-11/input')
    for (const name of ['..', '.', '', 'a/../../b', '..\\x', 'a\u0000']) {
      expect(() => resolveInside('/data/por/rounds', name), JSON.stringify(name)).toThrow(
        /not a plain file name/,
      )
    }
  })
})
