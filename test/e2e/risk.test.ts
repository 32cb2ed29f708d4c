/**
 * A risk analyst, in real Chromium, finds a takeover alert in the queue, looks at the account's
 * timeline and counterparty graph, opens a case from the alert, adds a note and resolves it as fraud;
 * and reads a case Bulwark opened itself for a held deposit (who opened it, why, what it links).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/platform/clock.ts'
import { openSystemCase, parseRiskEvent } from '../../src/risk/index.ts'
import { createRiskService } from '../../src/risk/service.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
const T0 = Date.now() - 3 * 86_400_000
const events = [
  {
    id: 'e2e-h1',
    at: T0,
    account: 'carol-e2e',
    type: 'signin',
    device: 'phone',
    ip: '10.0.0.1',
    country: 'DE',
  },
  {
    id: 'e2e-h2',
    at: T0 + 60_000,
    account: 'carol-e2e',
    type: 'withdrawal_requested',
    asset: 'USDT',
    amount: '100000000',
    valueUsd: 100,
    to: '0xhome',
    device: 'phone',
  },
  {
    id: 'e2e-x1',
    at: T0 + 86_400_000,
    account: 'carol-e2e',
    type: 'device_new',
    device: 'evil',
    ip: '172.16.0.9',
    country: 'BR',
  },
  { id: 'e2e-x2', at: T0 + 86_460_000, account: 'carol-e2e', type: 'password_changed', device: 'evil' },
  {
    id: 'e2e-x3',
    at: T0 + 86_520_000,
    account: 'carol-e2e',
    type: 'whitelist_changed',
    change: 'added',
    address: '0xdrop',
    device: 'evil',
  },
  {
    id: 'e2e-x4',
    at: T0 + 86_580_000,
    account: 'carol-e2e',
    type: 'withdrawal_requested',
    asset: 'USDT',
    amount: '9000000000',
    valueUsd: 9000,
    to: '0xdrop',
    device: 'evil',
  },
]

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchBrowser()
  await createRiskService({ db: server.db, clock: systemClock }).ingest(events.map(parseRiskEvent), 'test')
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('risk analyst console in the browser', () => {
  it('takes a takeover alert from the queue to a case resolved as fraud', async () => {
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'risk.analyst@staff.bulwark')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk alerts' }).click()
    await page.getByRole('heading', { name: 'Risk alerts', exact: true }).waitFor()

    const row = page.getByTestId('risk-alerts').locator('tbody tr').filter({ hasText: 'carol-e2e' })
    await row.first().waitFor()
    expect(await row.first().textContent()).toMatch(/new address .* after a security change/)
    await row.first().getByRole('button', { name: 'carol-e2e' }).click()

    const account = page.getByTestId('risk-account')
    await account.getByRole('heading', { name: 'Account carol-e2e' }).waitFor()
    await page.getByTestId('risk-graph').locator('text', { hasText: '0xdrop' }).waitFor()
    await account.getByLabel('select alert e2e-x4').check()
    await page.screenshot({ path: '/tmp/risk-console.png', fullPage: true })
    await account.getByRole('button', { name: 'Open a case with 1 alert' }).click()

    await page.getByRole('heading', { name: 'Case on carol-e2e' }).waitFor()
    await page.getByLabel('Add a note').fill('Customer confirmed the password change was not theirs.')
    await page.getByRole('button', { name: 'Add note' }).click()
    await page.getByTestId('case-notes').getByText('was not theirs').waitFor()
    await page.getByRole('button', { name: 'Resolve: fraud' }).click()
    await page.getByTestId('case-status').filter({ hasText: 'resolved' }).waitFor()
    expect(await page.getByTestId('case-status').textContent()).toContain('fraud')
    await page.close()
  })

  it('shows a case Bulwark opened for a held deposit as opened by Bulwark, with its reasons and the deposit', async () => {
    const deposit = crypto.randomUUID()
    await openSystemCase(server.db, {
      source: 'deposit_screening',
      key: `deposit:${deposit}`,
      account: 'dora-e2e',
      links: [{ kind: 'deposit', ref: deposit }],
      reasons: [{ code: 'SANCTIONED', text: '0xa0ee…9720 is on a sanctions list (e2e-sanctions).' }],
      at: new Date(),
    })
    const page = await browser.newPage()
    // A compliance officer reads cases too (and the analyst's authenticator codes stay for the other tests).
    await signInDemoStaff(page, server, 'compliance.officer@staff.bulwark')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk alerts' }).waitFor()
    await page.goto(`${server.url}/staff/risk/cases`)
    const row = page.locator('tbody tr').filter({ hasText: 'dora-e2e' })
    await row.waitFor()
    expect(await row.textContent()).toContain('Bulwark (deposit screening)')
    await row.getByRole('link').click()

    await page.getByRole('heading', { name: 'Case on dora-e2e' }).waitFor()
    expect(await page.getByTestId('case-opened-by').textContent()).toBe(
      'Opened by Bulwark (deposit screening)',
    )
    expect(await page.getByTestId('case-reasons').textContent()).toContain(
      'SANCTIONED: 0xa0ee…9720 is on a sanctions list',
    )
    expect(await page.getByTestId('case-links').textContent()).toContain(`Deposit: ${deposit}`)
    expect(await page.getByTestId('case-status').textContent()).toContain('assignee: nobody')
    await page.close()
  })

  it('backtests a draft rule on stored history and enables it', async () => {
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'risk.analyst@staff.bulwark')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk alerts' }).waitFor()
    await page.goto(`${server.url}/staff/risk/rules`)
    await page.getByRole('heading', { name: 'Risk rules' }).waitFor()
    const draft = {
      version: 'e2e-2',
      rules: [
        {
          id: 'any-withdrawal',
          events: ['withdrawal_requested'],
          when: { feature: 'amount', op: '>', value: 0 },
          action: 'review',
          score: 0.6,
          reason: 'withdrawal',
        },
      ],
    }
    await page.getByLabel(/Rule document/).fill(JSON.stringify(draft))
    await page.getByRole('button', { name: 'Backtest' }).click()
    const row = page.getByTestId('backtest').locator('tbody tr').filter({ hasText: 'any-withdrawal' })
    await row.waitFor()
    expect(await row.textContent()).toContain('carol-e2e (2)')
    await page.getByRole('button', { name: 'Enable this version' }).click()
    await page.getByRole('status').filter({ hasText: 'Rules e2e-2 are now in force.' }).waitFor()
    await page.close()
  })
})
