import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { extract as extractTar } from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { runCli } from '../cli/main.ts'
import { verifyTreeHead } from '../platform/audit-log/tree-head.ts'
import { fromHex, proofFromJson, verifyProof } from './verify/index.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'por-routes-'))
let t: TestApp
let builder: Awaited<ReturnType<TestApp['createStaff']>>
let reviewer: Awaited<ReturnType<TestApp['createStaff']>>
let publisher: Awaited<ReturnType<TestApp['createStaff']>>
let customer: Awaited<ReturnType<TestApp['createCustomer']>>

beforeAll(async () => {
  t = await createTestApp({ DATA_DIR: dataDir })
  builder = await t.createStaff('custody_approver')
  reviewer = await t.createStaff('auditor')
  publisher = await t.createStaff('compliance_officer')
  customer = await t.createCustomer('alice')
})
afterAll(async () => {
  await t.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const csv = (session: { headers: Record<string, string> }) => ({
  ...session.headers,
  'content-type': 'text/csv',
})

async function upload(id: string, kind: string, body: string, session = builder.session) {
  return t.app.inject({
    method: 'PUT',
    url: `/api/por/staff/rounds/${id}/files/${kind}`,
    headers: csv(session),
    body,
  })
}

async function step(id: string, name: string, session: { headers: Record<string, string> }) {
  return t.app.inject({
    method: 'POST',
    url: `/api/por/staff/rounds/${id}/${name}`,
    headers: session.headers,
  })
}

describe('proof-of-reserves rounds over HTTP', () => {
  it('runs a round from creation to publication, four-eyes and permission-checked, all audit-logged', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds',
      headers: builder.session.headers,
      payload: { id: '2026-11' },
    })
    expect(created.statusCode).toBe(200)
    expect(
      (await upload('2026-11', 'assets', 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n'))
        .statusCode,
    ).toBe(200)
    const rows = [
      `${customer.user.id},0.5,100`,
      ...Array.from({ length: 40 }, (_, i) => `other-${i},0.01,${i}`),
    ]
    const imported = await upload('2026-11', 'liabilities', `user_id,BTC,USDT\n${rows.join('\n')}\n`)
    expect(imported.json()).toMatchObject({ status: 'imported' })
    await upload('2026-11', 'reserves', 'symbol,amount\nBTC,0.8\nUSDT,700\n')

    const built = await step('2026-11', 'build', builder.session)
    expect(built.statusCode).toBe(200)
    expect(built.json()).toMatchObject({ status: 'built', users: 41 })

    expect((await step('2026-11', 'review', builder.session)).statusCode).toBe(403)
    expect((await step('2026-11', 'review', reviewer.session)).json()).toMatchObject({ status: 'reviewed' })
    expect((await step('2026-11', 'publish', reviewer.session)).statusCode).toBe(403)
    // A file of declared totals verifies nothing: publishing it takes a recorded exemption.
    expect((await step('2026-11', 'publish', publisher.session)).json().code).toBe('RESERVES_UNVERIFIED')
    const exempted = await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds/2026-11/reserves-exemption',
      headers: publisher.session.headers,
      payload: { reason: 'test figures' },
    })
    expect(exempted.json().reserves).toMatchObject({ status: 'declared', note: 'test figures' })
    const published = await step('2026-11', 'publish', publisher.session)
    expect(published.json()).toMatchObject({ status: 'published' })

    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'por.round.%')
      .orderBy('seq')
      .execute()
    expect(actions.map((a) => a.action)).toEqual([
      'por.round.created',
      'por.round.file_imported',
      'por.round.file_imported',
      'por.round.file_imported',
      'por.round.built',
      'por.round.reviewed',
      'por.round.publish_refused',
      'por.round.reserves_exempted',
      'por.round.published',
    ])
  })

  it('shows on the public round the signed audit head it was published under, covering its steps', async () => {
    const round = (await t.app.inject({ url: '/api/por/rounds/2026-11' })).json()
    const { publicKey } = (await t.app.inject({ url: '/api/audit/public-key' })).json()
    expect(verifyTreeHead(round.auditHead, publicKey)).toBe(true)
    const reviewed = await t.db
      .selectFrom('audit_log')
      .select('seq')
      .where('action', '=', 'por.round.reviewed')
      .where('target', '=', 'por_round:2026-11')
      .executeTakeFirstOrThrow()
    const proof = await t.app.inject({
      url: `/api/audit/inclusion?seq=${reviewed.seq}&size=${round.auditHead.size}`,
      headers: reviewer.session.headers,
    })
    expect(proof.json().root).toBe(round.auditHead.root)
  })

  it('reports a build under way with its phase and percentage, and nothing once it is done', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds',
      headers: builder.session.headers,
      payload: { id: '2026-09' },
    })
    await upload('2026-09', 'assets', 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n')
    const users = Array.from({ length: 3000 }, (_, i) => `u-${i},0.0${(i % 9) + 1}`)
    await upload('2026-09', 'liabilities', `user_id,BTC\n${users.join('\n')}\n`)
    const progressOf = async () =>
      (
        await t.app.inject({
          url: '/api/por/staff/rounds/2026-09/progress',
          headers: reviewer.session.headers,
        })
      ).json().progress
    let done = false
    const build = step('2026-09', 'build', builder.session).finally(() => {
      done = true
    })
    const seen: Array<{ phase: string; percent: number }> = []
    while (!done) {
      const p = await progressOf()
      if (p) seen.push(p)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect((await build).json()).toMatchObject({ status: 'built', users: 3000 })
    expect(seen.length).toBeGreaterThan(0)
    expect(['import', 'leaves', 'tree']).toContain(seen[0]!.phase)
    expect(seen.every((p) => p.percent >= 0 && p.percent <= 100)).toBe(true)
    expect(await progressOf()).toBeNull()
  })

  it('shows the public the ratio per asset, flags an asset below 100% and labels declared reserves', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/por/rounds' })
    const [round] = response.json().rounds
    expect(round.id).toBe('2026-11')
    const btc = round.assets.find((a: { symbol: string }) => a.symbol === 'BTC')
    const usdt = round.assets.find((a: { symbol: string }) => a.symbol === 'USDT')
    // BTC: 0.5 + 40 × 0.01 = 0.9 owed, 0.8 held. USDT: 100 + (0 + … + 39) = 880 owed, 700 held.
    expect(btc).toMatchObject({
      liabilities: '0.9',
      reserves: '0.8',
      ratioPercent: '88.88',
      belowFullReserve: true,
    })
    expect(usdt).toMatchObject({ liabilities: '880', reserves: '700', belowFullReserve: true })
    expect(round.reserves).toMatchObject({ status: 'declared', note: 'test figures', wallets: [] })
  })

  it('gives a customer their own proof, which verifies against the published commitment', async () => {
    const proof = await t.app.inject({
      method: 'GET',
      url: '/api/por/rounds/latest/my-proof',
      headers: customer.session.headers,
    })
    expect(proof.statusCode).toBe(200)
    const commitment = (
      await t.app.inject({ method: 'GET', url: '/api/por/rounds/2026-11/commitment' })
    ).json()
    const result = verifyProof(proofFromJson(proof.json()), { expectedRoot: fromHex(commitment.root) })
    expect(result.failed).toBeUndefined()
    expect(result.pieces[0]!.balances[0]!.equity).toBe(50_000_000n)
  })

  it('answers 404 to a customer who is not in the round and 401 to nobody', async () => {
    const bob = await t.createCustomer('bob')
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/por/rounds/2026-11/my-proof',
      headers: bob.session.headers,
    })
    expect(response.statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: '/api/por/rounds/2026-11/my-proof' })).statusCode).toBe(
      401,
    )
  })

  it('keeps a published round immutable, in the service and in the database', async () => {
    const again = await upload('2026-11', 'assets', 'symbol,decimals,price_usd,haircut\nBTC,8,1,1\n')
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('POR_ROUND_PUBLISHED')
    await expect(
      sql`update por_rounds set root = ${'0'.repeat(64)} where id = '2026-11'`.execute(t.db),
    ).rejects.toThrow(/published and cannot change/)
    await expect(sql`delete from por_rounds where id = '2026-11'`.execute(t.db)).rejects.toThrow(/published/)
  })

  it('refuses an upload that is not a text/csv body', async () => {
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/por/staff/rounds/2026-11/files/assets',
      headers: builder.session.headers,
      payload: { csv: 'symbol,decimals' },
    })
    expect(response.statusCode).toBe(415)
    expect(response.json().code).toBe('POR_UPLOAD_TYPE')
  })

  it('fails a build with undercollateralised users and names them', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds',
      headers: builder.session.headers,
      payload: { id: 'bad' },
    })
    await upload('bad', 'assets', 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n')
    await upload('bad', 'liabilities', 'user_id,BTC,USDT\nok,1,0\nshort,0,-10\n')
    const built = await step('bad', 'build', builder.session)
    expect(built.statusCode).toBe(422)
    expect(built.json()).toMatchObject({ code: 'POR_UNDERCOLLATERALISED' })
    expect(built.json().message).toContain('short (line 3)')
  })

  it('lets auditors download the auditor package but not customers', async () => {
    const file = await t.app.inject({
      method: 'GET',
      url: '/api/por/staff/rounds/2026-11/auditor-package/auditor.json',
      headers: reviewer.session.headers,
    })
    expect(file.statusCode).toBe(200)
    expect(JSON.parse(file.body)).toHaveProperty('padKey')
    const secret = await t.app.inject({
      method: 'GET',
      url: '/api/por/staff/rounds/2026-11/auditor-package/private.json',
      headers: reviewer.session.headers,
    })
    expect(secret.statusCode).toBe(404)
    const denied = await t.app.inject({
      method: 'GET',
      url: '/api/por/staff/rounds/2026-11/auditor-package/auditor.json',
      headers: customer.session.headers,
    })
    expect(denied.statusCode).toBe(403)
  })

  it('hands auditors the whole package as one tar that the independent audit accepts, without the secret', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/por/staff/rounds/2026-11/auditor-package.tar',
      headers: reviewer.session.headers,
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-tar')
    const dir = mkdtempSync(join(tmpdir(), 'por-auditor-'))
    writeFileSync(join(dir, 'package.tar'), response.rawPayload)
    const unpacked = join(dir, 'round')
    mkdirSync(unpacked)
    await extractTar({ file: join(dir, 'package.tar'), cwd: unpacked })
    const names = readdirSync(unpacked)
    expect(names).toEqual(expect.arrayContaining(['round.json', 'auditor.json', 'leaves.bin']))
    expect(names.some((n) => /^level-\d{2}\.bin$/.test(n))).toBe(true)
    expect(names).not.toContain('private.json')
    expect(names).not.toContain('index.bin')

    let out = ''
    const code = await runCli(['por', 'audit', unpacked, '--json'], {
      stdout: (text) => {
        out += text
      },
      stderr: () => {},
      env: {},
    })
    expect(code, out).toBe(0)
    rmSync(dir, { recursive: true, force: true })
    const logged = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', 'round:2026-11')
      .execute()
    expect(logged.map((r) => r.action)).toContain('por.auditor_package_downloaded')
  })
})
