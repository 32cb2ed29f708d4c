/**
 * Staff security training in real Chromium (issue #18 part 4): a support agent opens the training
 * page, reads a module due for their role, fails the quiz, then passes it; the security admin sees
 * the completion chart per role, sends the agent a phishing drill and sees the click recorded. The
 * drill's links land on web pages: a "this was a phishing drill" lesson for the lure, a thank-you
 * page for the report. The security admin writes a module in the authoring form and edits it; the
 * agent then sees the edited module and passes its quiz with the answer the form marked right.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTraining } from '../../src/ops/training/training.ts'
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

describe('security training in the browser', () => {
  it('a support agent takes a module, fails the quiz, then passes it; the admin sees completion per role and runs a phishing drill', async () => {
    const admin = await server.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'security.admin@staff.bulwark')
      .executeTakeFirstOrThrow()
    await createTraining({ db: server.db, clock: server.clock }).create(admin.id, {
      title: 'Spotting phishing',
      body: 'Every Bulwark email starts with your anti-phishing code.',
      quiz: [
        {
          prompt: 'What does every Bulwark email start with?',
          choices: ['A logo', 'Your anti-phishing code'],
          answer: 1,
        },
        { prompt: 'A link asks for your password. You…', choices: ['sign in', 'report it'], answer: 1 },
      ],
      passMark: 100,
      due: [{ role: 'support', dueOn: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) }],
    })

    const agent = await staff('support@staff.bulwark')
    await agent.goto(`${server.url}/staff/training`)
    const module = agent.getByRole('region', { name: 'Spotting phishing' })
    await module.getByText('due', { exact: true }).waitFor()
    await module.getByLabel('A logo').check()
    await module.getByLabel('report it').check()
    await module.getByRole('button', { name: 'Submit answers' }).click()
    await module.getByText(/Not passed: 50%/).waitFor()
    await module.getByLabel('Your anti-phishing code').check()
    await module.getByRole('button', { name: 'Submit answers' }).click()
    await module.getByText('Passed with 100%.').waitFor()
    await module.getByText('passed', { exact: true }).waitFor()

    const securityAdmin = await staff('security.admin@staff.bulwark')
    await securityAdmin.goto(`${server.url}/staff/training`)
    const chart = securityAdmin.getByRole('img', { name: 'Training completion per role' })
    await chart.waitFor()
    const titles = await chart.locator('title').allTextContents()
    expect(titles.find((t) => t.startsWith('support:'))).toMatch(
      /^support: [1-9]\d* of \d+ complete, 0 overdue$/,
    )

    await securityAdmin.setViewportSize({ width: 390, height: 844 })
    expect(
      await securityAdmin.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    ).toBe(true)
    await securityAdmin.setViewportSize({ width: 1280, height: 800 })

    const agentRow = await server.db
      .selectFrom('users')
      .select(['display_name', 'email'])
      .where('email', '=', 'support@staff.bulwark')
      .executeTakeFirstOrThrow()
    await securityAdmin.getByLabel('Email subject').fill('Your mailbox is full')
    await securityAdmin.getByLabel(new RegExp(`^${agentRow.display_name} \\(support\\)`)).check()
    await securityAdmin.getByRole('button', { name: 'Send drill' }).click()
    await securityAdmin.getByText('Drill sent to 1 staff.').waitFor()
    const mail = await server.db
      .selectFrom('mail_outbox')
      .select('text_body')
      .where('to_address', '=', agentRow.email)
      .where('subject', '=', 'Your mailbox is full')
      .executeTakeFirstOrThrow()
    const link = (page: string) =>
      new RegExp(`https?://\\S+(/training/drill/${page}#[A-Za-z0-9_-]+)`).exec(mail.text_body)![1]!
    await agent.goto(`${server.url}${link('clicked')}`)
    await agent.getByRole('heading', { name: 'This was a phishing drill', level: 1 }).waitFor()
    await agent.getByRole('heading', { name: 'What should have given it away' }).waitFor()
    await agent.getByText('Your click is recorded for the drill results.').waitFor()
    await securityAdmin.getByRole('button', { name: 'Refresh results' }).click()
    const row = securityAdmin.getByRole('row', { name: new RegExp(agentRow.display_name) })
    await expect.poll(async () => (await row.locator('td').nth(2).textContent()) !== 'no').toBe(true)
    expect(await row.locator('td').nth(3).textContent()).toBe('no')

    await agent.goto(`${server.url}${link('reported')}`)
    await agent.getByRole('heading', { name: 'Thank you for reporting it', level: 1 }).waitFor()
    await agent.getByText('Your report is recorded for the drill results.').waitFor()
    await securityAdmin.getByRole('button', { name: 'Refresh results' }).click()
    await expect.poll(async () => (await row.locator('td').nth(3).textContent()) !== 'no').toBe(true)

    // A link cut short records nothing and says so.
    await agent.goto(`${server.url}/training/drill/clicked`)
    await agent.getByText(/This drill link is incomplete or unknown/).waitFor()
  }, 120_000)

  it('a security admin writes a module in the authoring form and edits it; the agent passes its quiz', async () => {
    const admin = await staff('security.admin@staff.bulwark')
    await admin.goto(`${server.url}/staff/training`)
    const authoring = admin.getByRole('region', { name: 'Module authoring' })
    await authoring.getByLabel('Title').fill('Wallet drainers')
    await authoring.getByLabel('Content').fill('A signature request can move every token you hold.')
    await authoring.getByLabel('Question 1 prompt').fill('A site asks for unlimited token approval. You…')
    await authoring.getByLabel('Question 1 choices (one per line)').fill('approve\nrefuse and report')
    await authoring.getByLabel('Question 1 correct answer').selectOption({ label: 'refuse and report' })
    await authoring.getByLabel('Pass mark (%)').fill('100')
    await authoring.getByLabel('support', { exact: true }).check()
    await authoring.getByLabel('Due in days').fill('10')
    await authoring.getByRole('button', { name: 'Create module' }).click()
    await authoring.getByText('Saved “Wallet drainers”.').waitFor()

    await authoring.getByRole('button', { name: 'Edit Wallet drainers' }).click()
    await expect.poll(() => authoring.getByLabel('Title').inputValue()).toBe('Wallet drainers')
    expect(await authoring.getByLabel('Question 1 correct answer').inputValue()).toBe('1')
    await authoring.getByLabel('Title').fill('Wallet drainers and approvals')
    await authoring.getByRole('button', { name: 'Save module' }).click()
    await authoring.getByText('Saved “Wallet drainers and approvals”.').waitFor()
    await authoring.getByRole('cell', { name: 'Wallet drainers and approvals', exact: true }).waitFor()

    const agent = await staff('support@staff.bulwark')
    await agent.goto(`${server.url}/staff/training`)
    const module = agent.getByRole('region', { name: 'Wallet drainers and approvals' })
    await module.getByText('A signature request can move every token you hold.').waitFor()
    await module.getByLabel('refuse and report').check()
    await module.getByRole('button', { name: 'Submit answers' }).click()
    await module.getByText('Passed with 100%.').waitFor()
  }, 120_000)
})
