/**
 * A demo install says on every page that it is a demo whose mail is public; a staff member without
 * a second factor is led from a staff page to enrolment, and gets the page once TOTP is on.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createUser } from '../../src/platform/identity/users.ts'
import { launchBrowser } from '../support/browser.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  server = await startTestServer()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('demo install and staff second factor in the browser', () => {
  it('shows the demo banner on every page, and the outbox says it is public', async () => {
    const page = await browser.newPage()
    for (const path of ['/', '/guard', '/signin', '/proof-of-reserves', '/outbox']) {
      await page.goto(`${server.url}${path}`)
      const banner = page.getByTestId('demo-banner')
      await banner.waitFor()
      expect(await banner.textContent(), path).toContain('Every email it sends is public')
    }
    expect(await page.getByTestId('outbox-public-note').textContent()).toContain('this outbox is public')
    await page.close()
  })

  it('leads a staff member without a second factor to enrol, then opens the staff page', async () => {
    const email = 'new.auditor@staff.bulwark'
    const password = 'a fresh staff passphrase for e2e'
    await createUser(server.db, {
      email,
      displayName: 'New Auditor',
      kind: 'staff',
      role: 'auditor',
      password,
    })
    const page = await browser.newPage()
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()

    await page.goto(`${server.url}/staff/audit`)
    await page.getByRole('heading', { name: 'Turn on two-factor authentication' }).waitFor()
    await page.getByRole('link', { name: 'Set up an authenticator app' }).click()
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim()
    await page.getByLabel('Code shown by the app').fill(totpCodeAt(secret, server.clock.now()))
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByTestId('recovery-codes').waitFor()

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click()
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor()
    expect(await page.getByTestId('staff-second-factor').count()).toBe(0)
    await page.close()
  })
})
