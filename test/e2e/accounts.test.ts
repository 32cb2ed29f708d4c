/**
 * A customer, in real Chromium: registers, reads the confirmation mail in the outbox, turns on TOTP
 * (the test computes the codes), sets an anti-phishing code and sees it in the next email, creates
 * an API key after confirming the password in the re-authentication dialog, signs in
 * from a second browser context, approves that device from the emailed link, adds a whitelist
 * address (24 h delay and withdrawal lock shown), receives the alert live on the first page and
 * presses "This wasn't me", which freezes the account and signs the other device out. The server runs on a manual clock so TOTP
 * steps advance without waiting.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createManualClock } from '../../src/platform/clock.ts'
import { launchBrowser } from '../support/browser.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

const clock = createManualClock(new Date())
let server: TestServer
let browser: Browser
beforeAll(async () => {
  server = await startTestServer({ clock })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const email = `e2e-${Date.now()}@example.org`
const password = 'lighthouse pebble orchard 2049'

/** Opens the outbox and returns the text of the newest mail to `email` whose subject matches. */
async function readMail(page: Page, subject: RegExp): Promise<string> {
  await page.goto(`${server.url}/outbox`)
  await page.getByLabel('Recipient').fill(email)
  const mail = page
    .getByTestId('mail')
    .filter({ has: page.getByTestId('mail-subject').filter({ hasText: subject }) })
    .first()
  await mail.waitFor({ timeout: 15_000 })
  return (await mail.getByTestId('mail-text').textContent()) ?? ''
}

function token(text: string, path: string): string {
  const match = new RegExp(`${path}#([A-Za-z0-9_-]+)`).exec(text)
  if (!match) throw new Error(`no ${path} link in mail: ${text}`)
  return match[1]!
}

/** The authenticator code one step after the last one used. */
function nextCode(secret: string): string {
  clock.advance(30_000)
  return totpCodeAt(secret, clock.now())
}

describe('account protection in the browser', () => {
  it('runs from sign-up to "This wasn\'t me"', async () => {
    const first = await browser.newContext()
    const page = await first.newPage()
    page.on('dialog', (dialog) => void dialog.accept())

    // Register, then confirm from the mail in the outbox.
    await page.goto(`${server.url}/signup`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Name').fill('Eve Tester')
    // The meter shows the server's policy verdict: a reported weak password is refused, ours accepted.
    await page.getByLabel('Password').fill('correct horse battery staple')
    await page.getByText(/^Refused — This password appears in lists of breached/).waitFor()
    await page.getByLabel('Password').fill(password)
    await page.getByText(/: accepted$/).waitFor()
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Check your email' }).waitFor()
    const confirmation = await readMail(page, /Confirm your email/)
    expect(confirmation).toContain('Anti-phishing code: not set')
    await page.goto(`${server.url}/signup/confirm#${token(confirmation, '/signup/confirm')}`)
    await page.getByRole('button', { name: 'Confirm my email' }).click()
    await page.getByText('Email confirmed').waitFor()

    // Sign in (first device) and turn on TOTP.
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    await page.goto(`${server.url}/security/two-factor`)
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim()
    await page.getByLabel('Code shown by the app').fill(totpCodeAt(secret, clock.now()))
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByTestId('recovery-codes').waitFor()
    expect(await page.getByTestId('recovery-codes').locator('li').count()).toBe(10)

    // Anti-phishing code, then see it in the next email.
    await page.goto(`${server.url}/security/anti-phishing`)
    await page.getByLabel('New code').fill('Osprey42')
    await page.getByLabel('Authenticator code').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Save code' }).click()
    await page.getByText('Anti-phishing code saved').waitFor()
    expect(await readMail(page, /anti-phishing code was changed/)).toContain(
      'Your Bulwark anti-phishing code: Osprey42',
    )

    // Six minutes after signing in, creating an API key first asks for the password again.
    clock.advance(6 * 60_000)
    await page.goto(`${server.url}/security/api-keys`)
    await page.getByLabel('Label').fill('Portfolio tracker')
    await page.getByLabel(/^Passphrase/).fill('tracker-passphrase')
    await page.getByLabel('Authenticator code').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Create key' }).click()
    const prompt = page.getByTestId('reauth-dialog')
    await prompt.getByLabel('Your password').fill(password)
    await prompt.getByRole('button', { name: 'Confirm' }).click()
    await page.getByText('Copy the secret now').waitFor()
    expect(await prompt.count()).toBe(0)

    // Keep the Security center open on the first device: alerts arrive there live.
    await page.goto(`${server.url}/security`)
    await page.getByTestId('score').waitFor()

    // Second browser: password, authenticator code, then wait for device approval.
    const second = await browser.newContext()
    const other = await second.newPage()
    await other.goto(`${server.url}/signin`)
    await other.getByLabel('Email').fill(email)
    await other.getByLabel('Password').fill(password)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByLabel('Authenticator code').fill(nextCode(secret))
    await other.getByRole('button', { name: 'Continue' }).click()
    await other.getByTestId('device-approval').waitFor()

    // Approve it from the email (read in another tab of the first browser).
    const mailTab = await first.newPage()
    const approval = await readMail(mailTab, /Approve a sign-in from a new device/)
    expect(approval).toContain('Osprey42')
    await mailTab.goto(`${server.url}/devices/approve#${token(approval, '/devices/approve')}`)
    await mailTab.getByRole('button', { name: /approve this device/ }).click()
    await mailTab.getByText(/^Approved:/).waitFor()
    await other.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20_000 })
    await page.getByTestId('live-alert').filter({ hasText: 'New sign-in from a device' }).waitFor()

    // Add a whitelist address on the new device: 24 h delay and the withdrawal lock are shown.
    await other.goto(`${server.url}/security/whitelist`)
    await other.getByLabel('Address').fill('0x52908400098527886E0F7030069857D2E4169EE7')
    await other.getByLabel('Label').fill('Cold wallet')
    await other.getByLabel('Authenticator code').fill(nextCode(secret))
    await other.getByRole('button', { name: 'Add with code' }).click()
    await other.getByTestId('whitelist-entry').filter({ hasText: '24 h delay' }).waitFor()
    expect(await other.getByTestId('withdrawal-lock').textContent()).toContain('Withdrawals are locked until')

    // The first page got the alert live; "This wasn't me" freezes the account.
    const live = page.getByTestId('live-alert').filter({ hasText: 'withdrawal whitelist was changed' })
    await live.waitFor()
    expect(await live.textContent()).toContain('Osprey42')
    await live.getByRole('button', { name: "This wasn't me" }).click()
    await page.getByTestId('frozen').waitFor()
    const tryChange = async (p: Page) =>
      p.evaluate(async () => {
        const csrf = document.cookie.match(/bulwark_csrf=([^;]+)/)?.[1] ?? ''
        const r = await fetch('/api/accounts/anti-phishing', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ code: 'Changed1' }),
        })
        return (await r.json()).code as string
      })
    // The other device was signed out by the report; the reporter's own page stays, frozen.
    expect(await tryChange(other)).toBe('UNAUTHENTICATED')
    expect(await tryChange(page)).toBe('ACCOUNT_FROZEN')
    await first.close()
    await second.close()
  })
})
