/**
 * A security admin, in real Chromium, signs in, changes a colleague's role, finds the entry in
 * the audit log and runs the chain verification. The server has a KEK (DATA_KEK), so personal values
 * in audit entries are sealed in the database and shown opened on the page.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
beforeAll(async () => {
  server = await startTestServer({ env: { DATA_KEK: '5a'.repeat(32) } })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('staff console in the browser', () => {
  it('signs in, changes a role, sees the audit entry and verifies the chain', async () => {
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'security.admin@staff.bulwark')
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor()

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click()
    await page.getByRole('heading', { name: 'Staff', exact: true }).waitFor()
    await page.getByLabel('Role of support@staff.bulwark').selectOption('auditor')
    await page.getByRole('status').filter({ hasText: 'role changed to auditor' }).waitFor()

    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByLabel('Action').fill('staff.role_changed')
    await page.getByRole('button', { name: 'Filter' }).click()
    // Details read as key/value pairs, the people by name, never as raw JSON or ids.
    const row = page.locator('table.audit tbody tr').filter({ hasText: /To\s*auditor/ })
    await row.first().waitFor()
    expect(await row.first().textContent()).toMatch(/From\s*support/)
    expect(await row.first().textContent()).toContain('Security Admin')

    await page.getByRole('button', { name: 'Verify the chain' }).click()
    const result = page.getByTestId('verify-result')
    await result.waitFor()
    expect(await result.textContent()).toMatch(/^Intact: all \d+ entries check out/)
    await page.close()
  })

  it('shows the personal values of audit entries opened, though the database holds them sealed', async () => {
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'auditor@staff.bulwark')
    await page.goto(`${server.url}/staff/audit`)
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor()
    await page.getByLabel('Action').fill('auth.signin')
    await page.getByRole('button', { name: 'Filter' }).click()
    // The auditor's own sign-in, from this browser: its address and browser name.
    const row = page.locator('table.audit tbody tr').filter({ hasText: '127.0.0.1' })
    await row.first().waitFor()
    expect(await row.first().textContent()).toContain('Mozilla/5.0')
    const stored = await server.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'auth.signin')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    const details = stored.details as { ip: string; userAgent: string }
    expect(details.ip).toMatch(/^enc1:/)
    expect(details.userAgent).toMatch(/^enc1:/)
    expect(JSON.stringify(details)).not.toContain('127.0.0.1')
    await page.close()
  })

  it('shows the signed audit head and checks that the log only grew since an older one', async () => {
    const older = await (await fetch(`${server.url}/api/audit/head`)).text()
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'security.admin@staff.bulwark')
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor()
    const head = page.getByTestId('tree-head')
    await head.waitFor()
    expect(await head.textContent()).toMatch(/^Signed head: \d+ entries, root [0-9a-f]{16}…/)

    await page.getByLabel('An older signed head (JSON)').fill(older)
    await page.getByRole('button', { name: 'Check the log only grew since' }).click()
    const result = page.getByTestId('since-result')
    await result.waitFor()
    expect(await result.textContent()).toMatch(/^Consistent: the \d+ entries of the head are unchanged/)

    const forged = { ...JSON.parse(older), size: JSON.parse(older).size + 1 }
    await page.getByLabel('An older signed head (JSON)').fill(JSON.stringify(forged))
    await page.getByRole('button', { name: 'Check the log only grew since' }).click()
    await page
      .getByTestId('since-result')
      .filter({ hasText: /^Inconsistent: The head’s signature does not verify/ })
      .waitFor()
    await page.close()
  })

  it('shows a customer no staff pages', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Email').fill('alice@demo.bulwark')
    await page.getByLabel('Password').fill(DEMO_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: /Welcome, Alice/ }).waitFor()
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0)
    await page.goto(`${server.url}/staff/audit`)
    await page.getByRole('heading', { name: 'Not available' }).waitFor()
    await page.close()
  })
})
