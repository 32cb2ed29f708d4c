/**
 * Operations in real Chromium, one journey per part of issue #18: a customer on a phone opens a
 * support ticket with a screenshot and support answers it (with an internal note the customer never
 * sees); a researcher reads the security policy, reports a vulnerability without an account and
 * confirms it, security triages it with CVSS 4.0, a second person approves the reward and the report
 * reaches the hall of fame; a security admin records a third-party audit whose completed findings
 * the public audits page counts.
 */
import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')

beforeAll(async () => {
  server = await startTestServer({ env: { OPS_PUBLIC_RATE_LIMIT_MAX: '100' } })
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function newPage(phone = false): Promise<Page> {
  const context = await browser.newContext(phone ? PHONE : {})
  contexts.push(context)
  return context.newPage()
}

async function staff(email: string): Promise<Page> {
  const page = await newPage()
  await signInDemoStaff(page, server, email)
  return page
}

/** The same signed-in session on a phone (signing in there would wait for the folded-away menu). */
async function onPhone(page: Page): Promise<Page> {
  const context = await browser.newContext({ ...PHONE, storageState: await page.context().storageState() })
  contexts.push(context)
  return context.newPage()
}

async function fitsTheScreen(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow, `horizontal scroll on ${page.url()}`).toBeLessThanOrEqual(0)
}

describe('support desk in the browser', () => {
  it('a customer on a phone opens a ticket with a screenshot; support answers, and the internal note stays internal', async () => {
    const customer = await newPage(true)
    await customer.goto(`${server.url}/signin`)
    await customer.getByLabel('Email').fill('alice@demo.bulwark')
    await customer.getByLabel('Password').fill(DEMO_PASSWORD)
    await customer.getByRole('button', { name: 'Sign in' }).click()
    // On a phone the menu (and its Sign out button) folds away: wait for the redirect instead.
    await customer.waitForURL((url) => url.pathname !== '/signin')
    await customer.goto(`${server.url}/support`)
    await customer.getByRole('heading', { name: 'Support', exact: true }).waitFor()
    await fitsTheScreen(customer)
    await customer.getByLabel('Topic').selectOption('funds')
    await customer.getByLabel('Subject').fill('Withdrawal stuck')
    await customer.getByLabel('Message').fill('My withdrawal has been pending since this morning.')
    await customer
      .getByLabel(/Attachments/)
      .setInputFiles({ name: 'pending.png', mimeType: 'image/png', buffer: PNG })
    await customer.getByRole('button', { name: 'Send request' }).click()
    await customer.getByRole('heading', { name: /Withdrawal stuck/ }).waitFor()
    await customer.getByRole('link', { name: /pending\.png/ }).waitFor()
    await fitsTheScreen(customer)

    const agent = await staff('support@staff.bulwark')
    await agent.goto(`${server.url}/staff/support`)
    await agent.getByRole('link', { name: 'Withdrawal stuck' }).click()
    await agent.getByRole('heading', { name: /Withdrawal stuck/ }).waitFor()
    await agent.getByText('alice@demo.bulwark').first().waitFor()
    await agent.getByLabel('Message').fill('Checked the hot wallet queue: signing was paused.')
    await agent.getByLabel(/Internal note/).check()
    await agent.getByRole('button', { name: 'Add internal note' }).click()
    await agent.getByText('Note added.').waitFor()
    await agent.getByLabel(/Internal note/).uncheck()
    await agent.getByLabel('Message').fill('Your withdrawal is on its way now.')
    await agent.getByRole('button', { name: 'Send answer' }).click()
    await agent.getByText('Answer sent.').waitFor()

    await customer.reload()
    await customer.getByText('Your withdrawal is on its way now.').waitFor()
    expect(await customer.getByText('hot wallet queue').count()).toBe(0)
    await customer.getByText('Waiting for you').waitFor()
  })
})

describe('bug bounty in the browser', () => {
  it('a researcher reports without an account; security triages with CVSS 4.0, a second person approves the reward, the report is disclosed', async () => {
    const researcher = await newPage(true)
    await researcher.goto(`${server.url}/security/policy`)
    // The page is SECURITY.md itself: every section of the file is a heading of the page.
    const sections = [...readFileSync('SECURITY.md', 'utf8').matchAll(/^## (.+)$/gm)].map((m) => m[1]!)
    expect(sections).toContain('Rewards')
    for (const section of sections) await researcher.getByRole('heading', { name: section }).waitFor()
    await researcher.getByRole('cell', { name: 'Critical (9.0–10.0)' }).waitFor()
    await fitsTheScreen(researcher)

    await researcher.getByRole('link', { name: 'Report a vulnerability' }).click()
    await researcher.getByLabel('Your email').fill('mallory@researcher.example')
    await researcher.getByLabel(/Name or handle/).fill('mallory')
    await researcher.getByLabel('Title').fill('Ticket attachments of other customers')
    await researcher
      .getByLabel(/Description/)
      .fill('Changing the ticket id in the download URL returned another customer attachment.')
    await researcher.getByRole('button', { name: 'Send report' }).click()
    await researcher.getByText('Check your email').waitFor()
    await fitsTheScreen(researcher)
    const mail = await server.db
      .selectFrom('mail_outbox')
      .select('text_body')
      .where('to_address', '=', 'mallory@researcher.example')
      .executeTakeFirstOrThrow()
    const link = /(http\S+\/security\/report\/confirm#\S+)/.exec(mail.text_body)![1]!
    await researcher.goto(link.replace(/^https?:\/\/[^/]+/, server.url))
    await researcher.getByText(/is confirmed and with our security team/).waitFor()

    const admin = await staff('security.admin@staff.bulwark')
    await admin.goto(`${server.url}/staff/bounty`)
    const card = admin.locator('article').filter({ hasText: 'Ticket attachments of other customers' })
    await card
      .getByLabel('CVSS 4.0 vector')
      .fill('CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N')
    await card
      .getByRole('status')
      .filter({ hasText: /Score: \d\.\d/ })
      .waitFor()
    await card.getByRole('button', { name: 'Triage with this score' }).click()
    await card.getByRole('button', { name: 'Mark fixed' }).click()
    await card.getByLabel('Reward in USD').fill('2000')
    await card.getByRole('button', { name: 'Propose reward' }).click()
    await card.getByText('waiting for a second approver').waitFor()

    const officer = await staff('compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/bounty`)
    await officer
      .locator('article')
      .filter({ hasText: 'Ticket attachments' })
      .getByRole('button', { name: 'Approve reward' })
      .click()
    await officer
      .locator('article')
      .filter({ hasText: 'Ticket attachments' })
      .getByText('(rewarded)')
      .waitFor()

    await admin.reload()
    await card
      .getByLabel('Public write-up')
      .fill('Attachment downloads did not check the ticket owner. Fixed; thanks to mallory.')
    await card.getByRole('button', { name: 'Disclose' }).click()
    await card.getByText('(disclosed)').waitFor()

    await researcher.goto(`${server.url}/security/hall-of-fame`)
    await researcher.getByRole('cell', { name: 'mallory', exact: true }).waitFor()
    await researcher.getByRole('heading', { name: /Ticket attachments of other customers/ }).waitFor()
    expect(await researcher.getByText('mallory@researcher.example').count()).toBe(0)
    await fitsTheScreen(researcher)
  })
})

describe('third-party audit register in the browser', () => {
  it('a security admin records an audit with its report and findings; the public page counts open and closed findings', async () => {
    const admin = await staff('security.admin@staff.bulwark')
    await admin.goto(`${server.url}/staff/security-audits`)
    await admin.getByLabel('Firm').fill('SlowMist')
    await admin.getByLabel('Scope').fill('Custody withdrawals')
    await admin.getByLabel('Started on').fill('2026-09-01')
    await admin.getByLabel('Ended on').fill('2026-10-01')
    await admin.getByLabel('Report file').setInputFiles({
      name: 'slowmist.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.7 report'),
    })
    await admin.getByRole('button', { name: 'Record audit' }).click()
    await admin.getByText('Audit recorded.').waitFor()
    await admin.getByRole('link', { name: 'SlowMist' }).click()
    await admin.getByRole('heading', { name: 'Audit by SlowMist' }).waitFor()
    await admin.getByText(/SHA-256/).waitFor()
    for (const title of ['Hot wallet key in logs', 'Missing withdrawal rate limit']) {
      await admin.getByLabel('Finding', { exact: true }).fill(title)
      await admin.getByLabel('Owner').fill('custody team')
      await admin.getByLabel('Due on').fill('2026-10-15')
      await admin.getByRole('button', { name: 'Add finding' }).click()
      await admin.getByRole('heading', { name: new RegExp(title) }).waitFor()
    }
    const finding = admin.locator('article').filter({ hasText: 'Hot wallet key in logs' })
    await finding.getByText('overdue').waitFor()
    await finding.getByLabel('Fix commit').fill('8debcf2')
    await finding.getByRole('button', { name: 'Mark fixed' }).click()
    await finding.getByText('fix 8debcf2').waitFor()
    await finding.getByRole('button', { name: 'Retest passed' }).click()
    await finding.getByText(/Retest pass by/).waitFor()

    await admin.goto(`${server.url}/staff/security-audits`)
    await admin.getByRole('button', { name: 'Alert overdue findings now' }).click()
    await admin.getByText('1 overdue finding(s); 1 newly mailed to 1 security admin(s).').waitFor()

    const visitor = await newPage(true)
    await visitor.goto(`${server.url}/audits`)
    const row = visitor.getByRole('row').filter({ hasText: 'SlowMist' })
    await row.waitFor()
    expect((await row.getByRole('cell').allTextContents()).slice(3, 5)).toEqual(['1', '1'])
    await fitsTheScreen(visitor)
  })
})

describe('operations staff pages on a phone', () => {
  it('fit a 390 px screen without horizontal scrolling', async () => {
    const agent = await onPhone(await staff('support@staff.bulwark'))
    await agent.goto(`${server.url}/staff/support`)
    await agent.getByRole('heading', { name: 'SLA attainment' }).waitFor()
    await fitsTheScreen(agent)
    await agent.getByRole('link', { name: 'Withdrawal stuck' }).click()
    await agent.getByText('Your withdrawal is on its way now.').waitFor()
    await fitsTheScreen(agent)

    const officer = await onPhone(await staff('compliance.officer@staff.bulwark'))
    for (const [path, heading] of [
      ['/staff/bounty', 'Bug bounty reports'],
      ['/staff/security-audits', 'Security audits'],
    ] as const) {
      await officer.goto(`${server.url}${path}`)
      await officer.getByRole('heading', { name: heading, exact: true }).waitFor()
      await fitsTheScreen(officer)
    }
    await officer.getByRole('link', { name: 'SlowMist' }).click()
    await officer.getByRole('heading', { name: 'Audit by SlowMist' }).waitFor()
    await fitsTheScreen(officer)
  })
})
