/**
 * The custody pages of issue 14 §6, in real Chromium against a real server with the demo xpub as
 * CUSTODY_EVM_XPUB and Alice funded with 10 ETH through the ledger in this process: she sees her
 * deposit address with a QR code and her balance; a withdrawal during the lock that turning on her
 * authenticator started says in plain words until when and why; the next day a 2 ETH withdrawal
 * from a new device is held for review (risk reasons and the policy that applied shown to staff),
 * a risk analyst releases it, it waits for the one custody approver the default policy asks from
 * 1 ETH, and the approver approves its payload hash. The server runs on a manual clock so the 24 h
 * lock and TOTP steps pass without waiting.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { DEMO_EVM_XPUB } from '../../src/custody/index.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createManualClock } from '../../src/platform/clock.ts'
import { launchBrowser } from '../support/browser.ts'
import {
  apiFromPage,
  signInDemoCustomer,
  signInDemoStaff,
  startTestServer,
  type TestServer,
} from '../support/server.ts'

const DESTINATION = '0x52908400098527886E0F7030069857D2E4169EE7'
const clock = createManualClock(new Date())
let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  server = await startTestServer({ clock, env: { CUSTODY_EVM_XPUB: DEMO_EVM_XPUB } })
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  return context.newPage()
}

/** Signs a demo customer in; with an authenticator, the clock then moves past the code's step. */
async function signIn(page: Page, email: string, secret?: string) {
  await signInDemoCustomer(page, server, email, secret)
  if (secret) clock.advance(30_000)
}

/** Fills the withdraw form with a fresh authenticator code and sends it. */
async function withdraw(page: Page, secret: string, amount: string) {
  await page.goto(`${server.url}/wallet/withdraw`)
  await page.getByLabel('Asset').selectOption('ETH')
  await page.getByLabel('Amount (ETH)').fill(amount)
  await page.getByLabel('Destination address').fill(DESTINATION)
  await page.getByLabel('Authenticator code').fill(totpCodeAt(secret, clock.now()))
  clock.advance(30_000)
  await page.getByRole('button', { name: 'Withdraw', exact: true }).click()
}

async function ethRow(page: Page) {
  const row = page.locator('table.custody-balances tr[data-asset="ETH"]')
  await row.waitFor()
  return (await row.locator('.custody-available').textContent())?.trim()
}

describe('the wallet, the withdraw form and the staff custody queue, in the browser', () => {
  it('shows a deposit address with a QR code, explains a locked withdrawal, and takes a held one through release and approval', async () => {
    // Alice turns on an authenticator app; 10 ETH arrive through the ledger.
    const alice = await newPage()
    await signIn(alice, 'alice@demo.bulwark')
    const { secret } = await apiFromPage<{ secret: string }>(alice, 'POST', '/api/accounts/totp/setup')
    await apiFromPage(alice, 'POST', '/api/accounts/totp/confirm', { code: totpCodeAt(secret, clock.now()) })
    clock.advance(30_000)
    const { id: aliceId } = (await apiFromPage<{ user: { id: string } }>(alice, 'GET', '/api/auth/me')).user
    await createLedger({ db: server.db, clock }).creditDeposit(server.db, {
      key: 'e2e:fund:alice',
      ref: 'e2e',
      owner: aliceId,
      asset: 'ETH',
      amount: 10n * 10n ** 18n,
    })

    // The wallet shows the balance, and her ETH deposit address with a QR code on a click.
    await alice.goto(`${server.url}/wallet`)
    expect(await ethRow(alice)).toBe('10')
    await alice.getByRole('button', { name: 'Show my deposit address' }).click()
    const shown = (await alice.getByTestId('deposit-address').textContent())?.trim()
    const { depositAddress } = await apiFromPage<{ depositAddress: { address: string } }>(
      alice,
      'GET',
      '/api/custody/deposit-address?asset=ETH',
    )
    expect(shown).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(shown).toBe(depositAddress.address)
    const qr = alice.getByRole('img', { name: 'QR code of your ETH deposit address' })
    await qr.waitFor()
    expect(await qr.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
    // Bitcoin deposits are not set up on this server (no CUSTODY_BTC_XPUB): the page says so.
    await alice.getByLabel('Asset').first().selectOption('BTC')
    await alice.getByRole('button', { name: 'Show my deposit address' }).click()
    const notConfigured = alice.getByRole('alert')
    await notConfigured.waitFor()
    expect(await notConfigured.getAttribute('data-code')).toBe('CUSTODY_NOT_CONFIGURED')
    expect(await notConfigured.textContent()).toBe(
      'Deposits of BTC are not set up on this exchange yet. Try again later or contact support.',
    )
    await alice.getByLabel('Asset').first().selectOption('ETH')
    await alice.getByRole('button', { name: 'Show my deposit address' }).click()
    await qr.waitFor()

    // On a phone the page, address and QR code fit the screen.
    await alice.setViewportSize({ width: 390, height: 844 })
    await qr.scrollIntoViewIfNeeded()
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await alice.setViewportSize({ width: 1280, height: 800 })

    // Turning on the authenticator started the 24 h lock: the form says until when and why.
    await withdraw(alice, secret, '0.1')
    const refusal = alice.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.textContent()).toMatch(
      /delayed until .+, because you changed your two-factor settings/,
    )
    await alice.goto(`${server.url}/wallet`)
    expect(await ethRow(alice)).toBe('10')

    // The next day (signed in again with her code) 2 ETH from a new device to a new address is held
    // for the risk team, the amount and fee reserved.
    clock.advance(25 * 3_600_000)
    const aliceLater = await newPage()
    await signIn(aliceLater, 'alice@demo.bulwark', secret)
    await withdraw(aliceLater, secret, '2')
    const status = aliceLater.locator('.custody-status')
    await status.waitFor()
    expect(await status.textContent()).toBe(
      'Held for review by our risk team. We will let you know when it moves on.',
    )
    await aliceLater.goto(`${server.url}/`)
    expect(await ethRow(aliceLater)).toBe('7.9995')

    // A risk analyst sees the risk reasons and the policy that applied, and releases it with a note.
    const analyst = await newPage()
    await signInDemoStaff(analyst, server, 'risk.analyst@staff.bulwark')
    await analyst.goto(`${server.url}/staff/custody`)
    const held = analyst.locator('article.custody-queue-item[data-status="held_for_review"]')
    await held.waitFor()
    expect(await held.textContent()).toContain('a new device appeared')
    expect(await held.textContent()).toMatch(
      /Version 1: needs 1 approval\(s\) from Custody approver \(rules [^)]*eth-large/,
    )
    expect(await held.getByRole('button', { name: 'Approve' }).count()).toBe(0)
    await held.getByLabel('Note for the decision').fill('Known customer, own wallet')
    await held.getByRole('button', { name: 'Release' }).click()
    await analyst.getByRole('alertdialog').getByRole('button', { name: 'Release' }).click()
    await analyst.locator('article.custody-queue-item[data-status="awaiting_approval"]').waitFor()

    // The custody approver sees its payload and hash, and approves exactly that.
    const approver = await newPage()
    await signInDemoStaff(approver, server, 'custody.approver@staff.bulwark')
    await approver.goto(`${server.url}/staff/custody`)
    const item = approver.locator('article.custody-queue-item[data-status="awaiting_approval"]')
    await item.waitFor()
    const hash = (await item.getAttribute('data-hash'))!
    expect(await item.textContent()).toContain(hash)
    expect(await item.textContent()).toContain('2000000000000000000 smallest units of ETH on ethereum')
    await item.getByRole('button', { name: 'Approve' }).click()
    await approver.getByRole('alertdialog').getByRole('button', { name: 'Approve' }).click()
    await approver.getByText('Nothing waits: no withdrawal needs an approval or a review.').waitFor()
    // Beside the queue: the exchange's wallet accounts (the hot wallet mirrors the 10 ETH credited).
    expect(await approver.getByRole('row', { name: /Hot wallet ETH/ }).textContent()).toContain('-10')
    await approver.getByTestId('insurance-fund').waitFor()

    // Alice's history now says it is approved, with every step's verdict.
    await aliceLater.goto(`${server.url}/wallet/withdrawals`)
    const mine = aliceLater.locator('article.custody-withdrawal').first()
    await mine.waitFor()
    expect(await mine.locator('.custody-status').textContent()).toBe('Approved; being signed.')
    await mine.getByText('Checks and steps').click()
    expect(await mine.locator('li[data-verdict="pass"]').count()).toBeGreaterThan(3)
  }, 120_000)

  it('shows the active policy in words, and a policy proposed by one staff member is activated by another', async () => {
    const approver = await newPage()
    await signInDemoStaff(approver, server, 'custody.approver@staff.bulwark')
    await approver.goto(`${server.url}/staff/custody`)
    const active = approver.locator('article[data-policy-status="active"]')
    await active.waitFor()
    expect(await active.textContent()).toContain('eth-large: ETH, amount 1 or more → needs 1 approval(s)')
    await approver.getByText('Propose a change').click()
    // The editor starts from the active policy; the approver lowers the ETH approval threshold.
    const editor = approver.getByLabel(/Policy document/)
    const document = JSON.parse(await editor.inputValue()) as {
      rules: Array<{ id: string; when: Record<string, unknown> }>
    }
    document.rules.find((r) => r.id === 'eth-large')!.when.amountAtLeast = '0.5'
    await editor.fill(JSON.stringify(document, null, 2))
    await approver.getByLabel('Why this change').fill('Lower the ETH approval threshold to 0.5')
    await approver.getByRole('button', { name: 'Propose', exact: true }).click()
    await approver.getByRole('status').filter({ hasText: 'another staff member must approve it' }).waitFor()
    const proposed = approver.locator('article[data-policy-status="proposed"]')
    await proposed.waitFor()
    // The proposer holds no approval permission: no button to approve it here.
    expect(await proposed.getByRole('button', { name: 'Approve and activate' }).count()).toBe(0)
    const version = await proposed.getAttribute('data-policy-version')

    const admin = await newPage()
    await signInDemoStaff(admin, server, 'security.admin@staff.bulwark')
    await admin.goto(`${server.url}/staff/custody`)
    const card = admin.locator(`article[data-policy-version="${version}"]`)
    await card.getByRole('button', { name: 'Approve and activate' }).click()
    await admin.getByRole('alertdialog').getByRole('button', { name: 'Activate' }).click()
    await admin.getByText(`Version ${version} is now the active policy.`).waitFor()
    await approver.reload()
    expect(
      await approver.locator('article[data-policy-status="active"]').getAttribute('data-policy-version'),
    ).toBe(version)
    expect(await approver.locator('article[data-policy-status="active"]').textContent()).toContain(
      'eth-large: ETH, amount 0.5 or more',
    )
  }, 120_000)
})
