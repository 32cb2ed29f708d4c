/**
 * Staff security training in real Chromium (issue #18 part 4): a support agent opens the training
 * page, reads a module due for their role, fails the quiz, then passes it; the security admin sees
 * the completion chart per role, sends the agent a phishing drill and sees the click recorded.
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
    const click = /https?:\/\/\S+(\/api\/training\/drills\/click\?token=\S+)/.exec(mail.text_body)![1]!
    await agent.goto(`${server.url}${click}`)
    await agent.getByText(/phishing drill/).waitFor()
    await securityAdmin.getByRole('button', { name: 'Refresh results' }).click()
    const row = securityAdmin.getByRole('row', { name: new RegExp(agentRow.display_name) })
    await expect.poll(async () => (await row.locator('td').nth(2).textContent()) !== 'no').toBe(true)
    expect(await row.locator('td').nth(3).textContent()).toBe('no')
  }, 120_000)
})
