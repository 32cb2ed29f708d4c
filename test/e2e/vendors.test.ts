/**
 * The vendor register in real Chromium (issue #18 part 5): a security admin registers a vendor that
 * handles KYC documents, the register shows its reminders, and a compliance officer approves it.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

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

async function staff(email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await signInDemoStaff(page, server, email)
  return page
}

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

describe('vendor register in the browser', () => {
  it('a security admin registers a vendor with a certification expiring soon; a compliance officer approves it', async () => {
    const admin = await staff('security.admin@staff.bulwark')
    await admin.goto(`${server.url}/staff/vendors`)
    await admin.getByRole('heading', { name: 'Vendors', exact: true }).waitFor()
    await admin.getByLabel('Name', { exact: true }).fill('KYC Checks Ltd')
    await admin.getByLabel('Service').fill('Document verification at sign-up')
    await admin.getByLabel('personal').check()
    await admin.getByLabel('kyc documents').check()
    await admin.getByLabel('Risk tier').selectOption('high')
    await admin.getByLabel('Encrypts our data at rest').check()
    await admin.getByLabel('Enforces MFA for its staff').check()
    await admin.getByLabel('Certification', { exact: true }).fill('ISO/IEC 27001')
    await admin.getByLabel('Certification expires on').fill(inDays(10))
    await admin.getByLabel('Contract expires on').fill(inDays(365))
    await admin.getByLabel('Next review on').fill(inDays(180))
    await admin.getByRole('button', { name: 'Register vendor' }).click()
    await admin.getByText('Vendor registered; it waits for approval.').waitFor()
    const row = admin.getByRole('row', { name: /KYC Checks Ltd/ })
    await row.getByText('certification expires within 30 days').waitFor()
    await row.getByText('pending').waitFor()

    const officer = await staff('compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/vendors`)
    await officer.getByLabel('Decision note for KYC Checks Ltd').fill('Certificate and questionnaire checked')
    await officer.getByRole('button', { name: 'Approve' }).click()
    await officer
      .getByRole('row', { name: /KYC Checks Ltd/ })
      .getByText(/approved \(Certificate and questionnaire checked\)/)
      .waitFor()
  }, 120_000)
})
