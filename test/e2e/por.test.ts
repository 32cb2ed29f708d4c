/**
 * A customer, in real Chromium, opens "Proof of reserves", sees the ratio per asset and its history, that
 * declared reserves are labelled as not verified, and the insurance fund beside the reserves, and verifies their
 * own assets in the browser; a tampered proof (served by a lying server, or dropped as a file) is rejected by the
 * in-page verifier with the failing check named.
 */
import { Readable } from 'node:stream'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger, formatAmount } from '../../src/custody/index.ts'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { systemClock } from '../../src/platform/clock.ts'
import { DEMO_EXEMPTION } from '../../src/por/demo-rounds.ts'
import { createRounds } from '../../src/por/rounds.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
/** The insurance fund's BTC on the custody ledger when the test's rounds were built. */
let fundBtc: string

async function userId(email: string) {
  return (
    await server.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()
  ).id
}

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchBrowser()
  const rounds = createRounds({ db: server.db, clock: systemClock, dataDir: server.config.DATA_DIR })
  const alice = await userId('alice@demo.bulwark')
  const builder = await userId('custody.approver@staff.bulwark')
  const reviewer = await userId('auditor@staff.bulwark')
  const publisher = await userId('compliance.officer@staff.bulwark')
  const file = (text: string) => Readable.from([Buffer.from(text)])
  const ledger = createLedger({ db: server.db })
  await ledger.move(server.db, {
    key: 'e2e:insurance-share',
    kind: 'insurance_share',
    ref: 'e2e',
    amount: 5_000_000n,
    from: { owner: null, asset: 'BTC', kind: 'hot_wallet' },
    to: { owner: null, asset: 'BTC', kind: 'insurance_fund' },
  })
  const fund = (await ledger.balances(server.db, null)).find(
    (b) => b.asset === 'BTC' && b.kind === 'insurance_fund',
  )
  fundBtc = formatAmount('BTC', fund!.balance)
  for (const [id, btcReserves, usdtReserves] of [
    ['e2e-1', '1.2', '1000'],
    ['e2e-2', '0.9', '600'],
  ] as const) {
    await rounds.create(id, builder)
    await rounds.importFile(
      id,
      'assets',
      file('symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n'),
      builder,
    )
    const others = Array.from({ length: 30 }, (_, i) => `customer-${i},0.01,${i}`).join('\n')
    await rounds.importFile(
      id,
      'liabilities',
      file(`user_id,BTC,USDT\n${alice},0.5,250.75\n${others}\n`),
      builder,
    )
    await rounds.importFile(
      id,
      'reserves',
      file(`symbol,amount\nBTC,${btcReserves}\nUSDT,${usdtReserves}\n`),
      builder,
    )
    await rounds.build(id, builder)
    await rounds.exemptReserves(id, 'browser test figures', publisher)
    await rounds.review(id, reviewer)
    await rounds.publish(id, publisher)
  }
  // A third round is built from declared totals and waits, unverified, for a decision on the staff page.
  await rounds.create('e2e-3', builder)
  await rounds.importFile(
    'e2e-3',
    'assets',
    file('symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\n'),
    builder,
  )
  await rounds.importFile('e2e-3', 'liabilities', file(`user_id,BTC\n${alice},0.5\n`), builder)
  await rounds.importFile('e2e-3', 'reserves', file('symbol,amount\nBTC,0.6\n'), builder)
  await rounds.build('e2e-3', builder)
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function signInAsAlice() {
  const page = await browser.newPage()
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill('alice@demo.bulwark')
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: /Welcome, Alice/ }).waitFor()
  await page.goto(`${server.url}/proof-of-reserves`)
  await page.getByRole('heading', { name: /Latest round e2e-2/ }).waitFor()
  return page
}

describe('Proof of reserves page', () => {
  it('shows the latest ratio per asset, flags USDT below 100% and draws the history', async () => {
    const page = await signInAsAlice()
    // BTC owed: 0.5 + 30 × 0.01 = 0.8; held 0.9 → 112.5%. USDT owed 250.75 + 435 = 685.75; held 600 → 87.49%.
    expect(await page.locator('tr[data-asset="BTC"]').textContent()).toBe(
      `BTC0.80.9 (declared)112.5%${fundBtc}`,
    )
    expect(await page.locator('tr[data-asset="USDT"]').textContent()).toBe(
      'USDT685.75600 (declared)87.49% (below 100%)—',
    )
    expect(
      await page.getByRole('img', { name: 'Reserve ratio history for BTC' }).locator('circle').count(),
    ).toBe(8) // six seeded demo months and the two rounds of this test
    // Every one of them is declared, so every point is drawn hollow and the chart says why.
    expect(
      await page
        .getByRole('img', { name: 'Reserve ratio history for BTC' })
        .locator('circle[data-declared="true"]')
        .count(),
    ).toBe(8)
    expect(await page.getByTestId('history-declared').textContent()).toBe(
      'Hollow points are rounds whose reserves were declared, not verified.',
    )
    await page.close()
  })

  it('says plainly that declared reserves are not verified, and shows the insurance fund beside them', async () => {
    const page = await signInAsAlice()
    expect(await page.getByTestId('reserves-status').textContent()).toBe(
      'Reserves declared, not verified: browser test figures',
    )
    expect(await page.getByRole('columnheader', { name: 'Reserves (declared, not verified)' }).count()).toBe(
      1,
    )
    expect(await page.getByTestId('insurance-fund').textContent()).toMatch(
      new RegExp(`^Insurance fund \\(custody ledger, .+\\): (.+, )?${fundBtc.replace('.', '\\.')} BTC`),
    )
    // The demo's own months (liabilities × 1.12) are published as declared too, never as verified.
    const { rounds } = await page.evaluate(async () => (await fetch('/api/por/rounds')).json())
    const demo = rounds.filter((r: { id: string }) => /^\d{4}-\d{2}$/.test(r.id))
    expect(demo.length).toBe(6)
    for (const r of demo) expect(r.reserves).toMatchObject({ status: 'declared', note: DEMO_EXEMPTION })
    await page.close()
  })

  it('verifies my assets in the browser and shows balances, path and every check', async () => {
    const page = await signInAsAlice()
    await page.getByRole('button', { name: 'Verify my assets' }).click()
    const status = page.getByTestId('verification').getByRole('status')
    await status.waitFor()
    expect(await status.textContent()).toContain('Verified in your browser')
    const verification = page.getByTestId('verification')
    expect(await verification.locator('[data-check="published-root"]').getAttribute('data-ok')).toBe('true')
    expect(await verification.locator('table').first().textContent()).toContain('250.75')
    expect(await verification.getByText(/Path from your leaf .* 20 levels/).count()).toBe(1)
    await page.close()
  })

  it('rejects a proof tampered with by the server, naming the failed check', async () => {
    const page = await signInAsAlice()
    await page.route('**/api/por/rounds/latest/my-proof', async (route) => {
      const response = await route.fetch()
      const proof = await response.json()
      proof.pieces[0].balances[0].equity = '90000000' // claim 0.9 BTC was counted instead of 0.5
      await route.fulfill({ response, json: proof })
    })
    await page.getByRole('button', { name: 'Verify my assets' }).click()
    const status = page.getByTestId('verification').getByRole('status')
    await status.waitFor()
    expect(await status.textContent()).toMatch(/Verification FAILED: path 0 recomputes root/)
    expect(await page.locator('[data-check="root"]').getAttribute('data-ok')).toBe('false')
    await page.close()
  })

  it('verifies a dropped proof file and rejects a truncated one', async () => {
    const page = await signInAsAlice()
    const proof = await page.evaluate(async () => (await fetch('/api/por/rounds/e2e-1/my-proof')).text())
    await page
      .getByLabel('Proof file', { exact: true })
      .setInputFiles({ name: 'p.json', mimeType: 'application/json', buffer: Buffer.from(proof) })
    const status = page.getByTestId('verification').getByRole('status')
    await status.waitFor()
    expect(await status.textContent()).toContain('included in round e2e-1')
    await page.getByLabel('Proof file', { exact: true }).setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: Buffer.from(proof.slice(0, 200)),
    })
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/not valid JSON/)
    await page.close()
  })

  it('lets a compliance officer record, on the rounds page, why unverified reserves may be published', async () => {
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'compliance.officer@staff.bulwark')
    await page.goto(`${server.url}/staff/por/rounds`)
    const row = page.locator('tr[data-round="e2e-3"]')
    const reserves = row.getByTestId('round-reserves')
    await reserves.waitFor()
    expect(await reserves.textContent()).toBe(
      'NOT verified (publishing is refused): the reserves file declares totals per asset (symbol,amount); no wallet was verified',
    )
    await row
      .getByLabel('Why publish these reserves unverified?')
      .fill('figures from the old cold-wallet report')
    await row.getByRole('button', { name: 'Record exemption' }).click()
    await page.getByText('declared, not verified: figures from the old cold-wallet report').waitFor()
    await page.close()
  })
})
