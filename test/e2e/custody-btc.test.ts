/**
 * A Bitcoin withdrawal from the withdraw form, in real Chromium, on a server whose Bitcoin cold
 * wallet is the demo xpub (CUSTODY_BTC_XPUB): the form offers BTC on the Bitcoin network, says
 * Bitcoin withdrawals are signed by the offline wallet, and the server's answer is shown in plain
 * words — approved, to be signed offline as a PSBT (that flow: test/attacks/withdrawal-btc-psbt.test.ts). The server runs on a manual clock so the lock that
 * turning on the authenticator starts passes without waiting.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { DEMO_BTC_XPUB } from '../../src/custody/index.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createManualClock } from '../../src/platform/clock.ts'
import { launchBrowser } from '../support/browser.ts'
import { apiFromPage, signInDemoCustomer, startTestServer, type TestServer } from '../support/server.ts'

const PAYEE = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
const clock = createManualClock(new Date())
let server: TestServer
let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  server = await startTestServer({ clock, env: { CUSTODY_BTC_XPUB: DEMO_BTC_XPUB } })
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
})
afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.close()
})

/** Signs a demo customer in; with an authenticator, the clock then moves past the code's step. */
async function signIn(page: Page, email: string, secret?: string) {
  await signInDemoCustomer(page, server, email, secret)
  if (secret) clock.advance(30_000)
}

describe('a Bitcoin withdrawal from the withdraw form, in the browser', () => {
  it('offers BTC on the Bitcoin network and shows the server’s answer', async () => {
    const page = await context.newPage()
    await signIn(page, 'alice@demo.bulwark')
    const { secret } = await apiFromPage<{ secret: string }>(page, 'POST', '/api/accounts/totp/setup')
    await apiFromPage(page, 'POST', '/api/accounts/totp/confirm', { code: totpCodeAt(secret, clock.now()) })
    clock.advance(30_000)
    const { id } = (await apiFromPage<{ user: { id: string } }>(page, 'GET', '/api/auth/me')).user
    await createLedger({ db: server.db, clock }).creditDeposit(server.db, {
      key: 'e2e:fund:alice:btc',
      ref: 'e2e',
      owner: id,
      asset: 'BTC',
      amount: 100_000_000n,
    })

    // The next day, past the lock that turning on the authenticator started, from the same browser.
    clock.advance(25 * 3_600_000)
    await signIn(page, 'alice@demo.bulwark', secret)
    await page.goto(`${server.url}/wallet/withdraw`)
    await page.getByLabel('Asset').selectOption('BTC')
    expect(await page.getByLabel('Network').inputValue()).toBe('bitcoin')
    await page.getByText('Bitcoin withdrawals are signed by our offline (cold) wallet').waitFor()
    await page.getByLabel('Amount (BTC)').fill('0.05')
    await page.getByLabel('Destination address').fill(PAYEE)
    await page.getByLabel('Authenticator code').fill(totpCodeAt(secret, clock.now()))
    clock.advance(30_000)
    await page.getByRole('button', { name: 'Withdraw', exact: true }).click()
    const status = page.locator('.custody-status')
    await status.waitFor()
    // The demo's default policy approves this one at once (an account older than a week, a small
    // amount); it is then exported as a PSBT for the offline signer.
    expect(await status.textContent()).toBe('Approved; being signed.')
  })
})
