/**
 * A round built from the ledger: the liabilities snapshot of customer balances (available, locked,
 * pending withdrawal, held deposit) goes through the real `buildRound`, and each customer's proof
 * carries exactly their ledger total per asset; with a coarser assets file amounts round up.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'
import { cliDataDir } from '../../test/support/cli.ts'
import { createLedger } from '../custody/index.ts'
import { assets as ledgerDecimals } from '../p2p/index.ts'
import { createUser } from '../platform/identity/users.ts'
import { parseAssetsCsv } from './assets.ts'
import { buildRound } from './build.ts'
import { snapshotLiabilities, writeLiabilitiesCsv } from './snapshot.ts'
import { openRound } from './store.ts'
import { fromHex, verifyProof } from './verify/index.ts'

const work = mkdtempSync(join(tmpdir(), 'por-snapshot-'))
const ETH = 10n ** 18n

describe('liabilities snapshot from the ledger', () => {
  let t: TestApp
  let alice: string
  let bob: string
  beforeAll(async () => {
    t = await createTestApp()
    alice = (await t.createCustomer('alice')).user.id
    bob = (await t.createCustomer('bob')).user.id
    const ledger = createLedger({ db: t.db })
    const m = (owner: string, asset: string, amount: bigint, key: string) => ({
      key,
      ref: key,
      owner,
      asset,
      amount,
    })
    await ledger.creditDeposit(t.db, m(alice, 'ETH', 3n * ETH, 'd1'))
    await ledger.hold(t.db, m(alice, 'ETH', ETH / 2n, 'h1'))
    await ledger.creditDeposit(t.db, { ...m(alice, 'BTC', 25_000_000n, 'd2'), held: true })
    await ledger.creditDeposit(t.db, m(bob, 'USDT', 1_234_560_000n, 'd3'))
    await ledger.post(t.db, {
      key: 'w1',
      kind: 'withdrawal_requested',
      ref: 'w1',
      entries: [
        { account: { owner: bob, asset: 'USDT', kind: 'available' }, amount: -234_560_000n },
        { account: { owner: bob, asset: 'USDT', kind: 'pending_withdrawal' }, amount: 234_560_000n },
      ],
    })
    // One wei: finer than a 10-decimal round can hold.
    await ledger.creditDeposit(t.db, m(bob, 'ETH', 1n, 'd4'))
    // The exchange's own accounts are not liabilities to customers.
    await ledger.move(t.db, {
      key: 'f1',
      kind: 'fee',
      ref: 'f1',
      amount: ETH,
      from: { owner: null, asset: 'ETH', kind: 'hot_wallet' },
      to: { owner: null, asset: 'ETH', kind: 'insurance_fund' },
    })
  })
  afterAll(async () => {
    await t?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('writes each customer’s total of available, locked, pending and held balances at ledger precision', async () => {
    const snapshot = await snapshotLiabilities(t.db, { ledgerDecimals })
    const path = join(work, 'exact.csv')
    expect(await writeLiabilitiesCsv(path, snapshot)).toEqual({ roundedUp: 0 })
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('user_id,BTC,ETH,USDT')
    expect(lines.slice(1).sort()).toEqual(
      [`${alice},0.25,3,0`, `${bob},0,0.000000000000000001,1234.56`].sort(),
    )
  })

  it('builds a round in which every customer’s proof carries their ledger total', async () => {
    const assetsCsv = 'symbol,decimals,price_usd,haircut\nUSDT,6,1,1\nBTC,8,65000,0.9\nETH,10,3200,0.8\n'
    const assetsPath = join(work, 'assets.csv')
    writeFileSync(assetsPath, assetsCsv)
    const snapshot = await snapshotLiabilities(t.db, {
      ledgerDecimals,
      assets: parseAssetsCsv(assetsCsv).assets,
    })
    const liabilitiesPath = join(work, 'liabilities.csv')
    // Bob's one wei becomes 10^-10 ETH: rounded up, never down.
    expect(await writeLiabilitiesCsv(liabilitiesPath, snapshot)).toEqual({ roundedUp: 1 })
    const outDir = join(work, 'round')
    const built = await buildRound({
      liabilitiesPath,
      assetsPath,
      outDir,
      roundId: '2026-12',
      roundSecret: new Uint8Array(32).fill(9),
      workers: 1,
    })
    const round = openRound(outDir)
    const inProof = (userId: string) => {
      const result = verifyProof(round.proof(userId), { expectedRoot: fromHex(built.summary.root) })
      expect(result.ok).toBe(true)
      return Object.fromEntries(
        result.totals.map((a, i) => [
          a.symbol,
          result.pieces.reduce((sum, p) => sum + (p.balances[i]?.equity ?? 0n), 0n),
        ]),
      )
    }
    // Round units: USDT 6, BTC 8, ETH 10 decimals.
    expect(inProof(alice)).toEqual({ USDT: 0n, BTC: 25_000_000n, ETH: 3n * 10n ** 10n })
    expect(inProof(bob)).toEqual({ USDT: 1_234_560_000n, BTC: 0n, ETH: 1n })
  })

  it('refuses an assets file that leaves out an asset customers hold', async () => {
    const assets = parseAssetsCsv('symbol,decimals,price_usd,haircut\nETH,10,3200,0.8\n').assets
    await expect(snapshotLiabilities(t.db, { ledgerDecimals, assets })).rejects.toMatchObject({
      code: 'POR_SNAPSHOT_ASSET_MISSING',
      details: { missing: ['BTC', 'USDT'] },
    })
  })
})

describe('bulwark por snapshot', () => {
  // Its own PGlite directory: the CLI opens the configured database like the server does.
  const cli = cliDataDir('por-snapshot-cli')

  it('writes the liabilities file from the configured database, and exits 1 when the assets file leaves an asset out', async () => {
    const carol = await cli.withDb(async (db) => {
      const { id } = await createUser(db, {
        email: 'carol@test.bulwark',
        displayName: 'Carol',
        kind: 'customer',
        password: null,
      })
      await createLedger({ db }).creditDeposit(db, {
        key: 'cli-d1',
        ref: 'cli-d1',
        owner: id,
        asset: 'BTC',
        amount: 150_000_000n,
      })
      return id
    })
    const assetsPath = cli.file('assets.csv')
    writeFileSync(assetsPath, 'symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nETH,10,3200,0.8\n')
    const out = cli.file('liabilities.csv')
    const ok = await cli.run(['por', 'snapshot', '--out', out, '--assets', assetsPath, '--json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, users: 1, assets: ['BTC', 'ETH'], roundedUp: 0 })
    expect(readFileSync(out, 'utf8')).toBe(`user_id,BTC,ETH\n${carol},1.5,0\n`)

    writeFileSync(assetsPath, 'symbol,decimals,price_usd,haircut\nETH,10,3200,0.8\n')
    const refused = await cli.run(['por', 'snapshot', '--out', out, '--assets', assetsPath])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('BTC')
  })
})
