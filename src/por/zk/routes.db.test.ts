import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { runCli } from '../../cli/main.ts'
import { verifyZkRound } from './round.ts'
import { INSECURE_FILE_NAME } from './setup.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'por-zk-routes-'))
let t: TestApp
const setupFile = join(tmpdir(), 'bulwark-zk-setup-4097', INSECURE_FILE_NAME)

beforeAll(async () => {
  t = await createTestApp({ DATA_DIR: dataDir, EXCHANGE_ID: 'acme' })
  const builder = await t.createStaff('custody_approver')
  const reviewer = await t.createStaff('auditor')
  const inject = (method: 'POST' | 'PUT', url: string, body?: string) =>
    t.app.inject({
      method,
      url,
      headers: { ...(method === 'PUT' ? builder : reviewer).session.headers, 'content-type': 'text/csv' },
      ...(body === undefined ? {} : { body }),
    })
  await t.app.inject({
    method: 'POST',
    url: '/api/por/staff/rounds',
    headers: builder.session.headers,
    payload: { id: '2026-11' },
  })
  await inject(
    'PUT',
    '/api/por/staff/rounds/2026-11/files/assets',
    'symbol,decimals,price_usd,haircut\nBTC,8,1,1\nUSDT,6,1,1\n',
  )
  const rows = Array.from({ length: 6 }, (_, i) => `user-${i},0.${i + 1},${i * 10}`).join('\n')
  await inject('PUT', '/api/por/staff/rounds/2026-11/files/liabilities', `user_id,BTC,USDT\n${rows}\n`)
  await t.app.inject({
    method: 'POST',
    url: '/api/por/staff/rounds/2026-11/build',
    headers: builder.session.headers,
  })
  // The operator proves the built round before review and publication.
  const proved = await runCli(
    [
      'por',
      'prove',
      '--round',
      join(dataDir, 'por/rounds/2026-11/tree'),
      '--exchange',
      'acme',
      '--insecure-test-setup',
      '--batch',
      '4',
      '--json',
    ],
    { stdout: () => {}, stderr: () => {}, env: {} },
  )
  expect(proved).toBe(0)
  await inject('POST', '/api/por/staff/rounds/2026-11/review')
}, 180_000)
afterAll(async () => {
  await t.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('zk proof downloads', () => {
  it('serves nothing before the round is published', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/por/rounds/2026-11/zk/manifest.json' })
    expect(res.statusCode).toBe(404)
  })

  it('lets anyone download the manifest, key and batch proofs of a published round and verify them', async () => {
    const publisher = await t.createStaff('compliance_officer')
    const published = await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds/2026-11/publish',
      headers: publisher.session.headers,
    })
    expect(published.statusCode).toBe(200)
    const copy = join(dataDir, 'downloaded')
    mkdirSync(copy)
    for (const file of ['manifest.json', 'vk.bin', 'batch-000000.json', 'batch-000001.json']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/por/rounds/2026-11/zk/${file}` })
      expect(res.statusCode).toBe(200)
      writeFileSync(join(copy, file), res.rawPayload)
    }
    const summary = (await t.app.inject({ method: 'GET', url: '/api/por/rounds/2026-11/commitment' })).json()
    const result = await verifyZkRound(copy, {
      exchangeId: 'acme',
      roundId: '2026-11',
      setupFile,
      totals: summary.totals,
    })
    expect(result.failed).toBeUndefined()
    expect(result.batches).toEqual([0, 1])
  })

  it('refuses any other file of the round folder', async () => {
    for (const name of ['private.json', 'index.bin', '..%2Fprivate.json', 'batch-1.json']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/por/rounds/2026-11/zk/${name}` })
      expect(res.statusCode).toBe(404)
    }
  })
})
