/**
 * The walk of issue 17: every page, as each role (anonymous, a customer, every staff role), on a
 * laptop (1280×800) and a phone (390×844). Each page must fit the screen without horizontal
 * scrolling and log no console error; staff pages must show names and readable values, never a
 * raw UUID or raw JSON. Screenshots go to test-results/pages/ (git-ignored) for a person to judge.
 */
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { staffRoles } from '../../src/platform/rbac.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

const SHOTS = path.resolve('test-results/pages')
const VIEWPORTS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
const RAW_JSON = /[{[]\s*"[^"\n]{1,60}"\s*:/

const PUBLIC_PAGES = [
  '/',
  '/signin',
  '/signup',
  '/password-reset',
  '/guard',
  '/proof-of-reserves',
  '/security/learn',
  '/outbox',
  '/security/policy',
  '/security/report',
  '/security/hall-of-fame',
  '/audits',
  '/training/drill/clicked',
  '/training/drill/reported',
]
const CUSTOMER_PAGES = [
  '/',
  '/guard',
  '/proof-of-reserves',
  '/security',
  '/security/password',
  '/security/email',
  '/security/two-factor',
  '/security/passkeys',
  '/security/anti-phishing',
  '/security/devices',
  '/security/whitelist',
  '/security/api-keys',
  '/security/learn',
  '/p2p',
  '/p2p/ads/new',
  '/p2p/my-ads',
  '/p2p/orders',
  '/p2p/identity',
  '/p2p/payment-details',
  '/support',
  '/verify',
  '/wallet',
  '/wallet/withdraw',
  '/wallet/withdrawals',
  '/travel-rule/destinations',
]
/** Staff pages; the walk checks these for raw UUIDs and raw JSON. */
const STAFF_PAGES = [
  '/staff/members',
  '/staff/audit',
  '/staff/frozen',
  '/staff/outbox',
  '/staff/por/rounds',
  '/staff/risk',
  '/staff/risk/cases',
  '/staff/risk/rules',
  '/staff/p2p/identities',
  '/staff/p2p/disputes',
  '/staff/support',
  '/staff/bounty',
  '/staff/security-audits',
  '/staff/vendors',
  '/staff/training',
  '/staff/identity',
  '/staff/custody',
  '/staff/travel-rule',
]

let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  server = await startTestServer()
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

type Problems = string[]
/** Per page: resolves once no request has been in flight for a moment (at most 4 s). */
const settled = new WeakMap<Page, () => Promise<void>>()

/** A page that records console errors and uncaught exceptions into `problems`. */
async function newPage(problems: Problems, allow: RegExp[] = []): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  const page = await context.newPage()
  // Requests in flight, so a visit can wait for the page's data without networkidle's fixed 500 ms.
  let inFlight = 0
  page.on('request', () => {
    inFlight++
  })
  const done = () => {
    inFlight = Math.max(0, inFlight - 1)
  }
  page.on('requestfinished', done)
  page.on('requestfailed', done)
  settled.set(page, async () => {
    const deadline = Date.now() + 4000
    let quietSince = inFlight === 0 ? Date.now() : 0
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25))
      if (inFlight > 0) quietSince = 0
      else if (quietSince === 0) quietSince = Date.now()
      else if (Date.now() - quietSince >= 120) return
    }
  })
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const text = `${message.text()} (${message.location().url})`
    if (!allow.some((a) => a.test(text))) problems.push(`console: ${text}`)
  })
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`))
  return page
}

async function signInCustomer(page: Page, email: string) {
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** Opens `route`, waits for the page to settle, checks it and saves a screenshot. */
async function visit(page: Page, role: string, viewport: string, route: string, staff: boolean) {
  const problems: string[] = []
  await page.goto(`${server.url}${route}`)
  await page
    .locator('main h1')
    .first()
    .waitFor({ timeout: 10_000 })
    .catch((error: unknown) => {
      throw new Error(`${route} showed no heading as the ${role} on the ${viewport}`, { cause: error })
    })
  await settled.get(page)!()
  const { scrollWidth, innerWidth, text } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    // biome-ignore lint/performance/useDomNodeTextContent: the check is about text a person sees, which innerText is
    text: document.querySelector('main')?.innerText ?? '',
  }))
  if (scrollWidth > innerWidth) problems.push(`${route}: ${scrollWidth}px wide on a ${innerWidth}px screen`)
  if (staff) {
    const uuid = UUID.exec(text)
    if (uuid) problems.push(`${route}: shows a raw UUID ${uuid[0]}`)
    const json = RAW_JSON.exec(text)
    if (json)
      problems.push(
        `${route}: shows raw JSON near ${JSON.stringify(text.slice(json.index, json.index + 60))}`,
      )
  }
  const slug = route.replace(UUID, 'one').replaceAll('/', '_').replace(/^_/, '') || 'home'
  await page.screenshot({ path: path.join(SHOTS, `${role}-${viewport}-${slug}.png`), fullPage: true })
  return problems
}

async function walk(
  page: Page,
  role: string,
  routes: string[],
  staffRoutes: string[],
  consoleProblems: Problems,
  viewports: ReadonlyArray<(typeof VIEWPORTS)[number]> = VIEWPORTS,
) {
  const problems: string[] = []
  for (const viewport of viewports) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height })
    for (const route of routes) problems.push(...(await visit(page, role, viewport.name, route, false)))
    for (const route of staffRoutes) problems.push(...(await visit(page, role, viewport.name, route, true)))
  }
  expect([...problems, ...consoleProblems]).toEqual([])
}

describe('every page reads like a finished product', () => {
  it('fits a phone and a laptop for a visitor who is not signed in, with no console error', async () => {
    const problems: Problems = []
    // Asking "who am I?" without a session answers 401: that is how the app learns nobody is signed in.
    const page = await newPage(problems, [/status of 401.*\/api\/auth\/me/])
    await walk(page, 'anonymous', PUBLIC_PAGES, [], problems)
  }, 120_000)

  it('fits a phone and a laptop for a customer, including an ad and an open order', async () => {
    const problems: Problems = []
    const page = await newPage(problems)
    await signInCustomer(page, 'alice@demo.bulwark')
    problems.length = 0 // the signed-out sign-in page's "who am I?" answered 401; the walk starts now
    const ids = await page.evaluate(async () => {
      const ads = (await (await fetch('/api/p2p/ads')).json()) as { ads: Array<{ id: string }> }
      const orders = (await (await fetch('/api/p2p/orders')).json()) as { orders: Array<{ id: string }> }
      return { ad: ads.ads[0]?.id, order: orders.orders[0]?.id }
    })
    expect(ids.ad && ids.order).toBeTruthy()
    const lessons = ['/security/learn']
    await walk(
      page,
      'customer',
      [...CUSTOMER_PAGES, ...lessons, `/p2p/ads/${ids.ad}`, `/p2p/orders/${ids.order}`],
      [],
      problems,
    )
  }, 240_000)

  // Every role walks the staff pages on a phone (the narrow screen is where layouts break, and the
  // name/UUID/JSON checks do not depend on the width); two roles walk them on a laptop as well,
  // which keeps CI's time in bounds as pages are added.
  const laptopRoles = new Set(['security_admin', 'compliance_officer'])
  for (const role of staffRoles) {
    const viewports = laptopRoles.has(role) ? VIEWPORTS : VIEWPORTS.filter((v) => v.name === 'phone')
    const screens = laptopRoles.has(role) ? 'a phone and a laptop' : 'a phone'
    it(`fits ${screens} for the ${role.replace('_', ' ')}, with names and readable values on staff pages`, async () => {
      const problems: Problems = []
      const page = await newPage(problems)
      await signInDemoStaff(page, server, `${role.replace('_', '.')}@staff.bulwark`)
      problems.length = 0 // the signed-out sign-in page's "who am I?" answered 401; the walk starts now
      await walk(page, role, ['/', '/security/two-factor'], STAFF_PAGES, problems, viewports)
    }, 240_000)
  }

  it('folds the navigation behind a menu button on a phone', async () => {
    const problems: Problems = []
    const page = await newPage(problems)
    await signInCustomer(page, 'bruno@demo.bulwark')
    problems.length = 0
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/`)
    const nav = page.getByRole('navigation', { name: 'Main' })
    const menu = page.getByRole('button', { name: 'Menu' })
    await menu.waitFor()
    expect(await nav.isVisible()).toBe(false)
    const header = await page.locator('header.top').boundingBox()
    expect(header!.height).toBeLessThan(844 * 0.1)
    await menu.click()
    await nav.getByRole('link', { name: 'Security', exact: true }).click()
    await page.getByRole('heading', { level: 1 }).first().waitFor()
    expect(new URL(page.url()).pathname).toBe('/security')
    // The menu closes once the route has changed (a render after the URL does).
    await expect.poll(() => nav.isVisible(), { timeout: 5000 }).toBe(false)
    expect(problems).toEqual([])
  })

  it('tells the buyer of an open order where to pay, warns against other methods, and lets the parties chat', async () => {
    const problems: Problems = []
    const page = await newPage(problems)
    await signInCustomer(page, 'alice@demo.bulwark')
    problems.length = 0
    await page.goto(`${server.url}/`)
    await page.getByRole('link', { name: /Buy 40 USDT/ }).click()
    const pay = page.getByRole('region', { name: 'Where to pay' })
    await pay.getByText('AT611904300234573201').waitFor()
    expect(await pay.textContent()).toContain('Lukas Gruber')
    expect(await pay.getByRole('note').textContent()).toMatch(/Never pay by another method/)
    const chat = page.getByRole('list', { name: 'Order chat' })
    await chat.getByText('SEPA Instant to the IBAN on the order page').waitFor()
    expect(await chat.locator('[data-from="platform"]').textContent()).toMatch(/your anti-phishing code/)
    await page.getByLabel('Message').fill('Paying by SEPA Instant now.')
    await page.getByRole('button', { name: 'Send' }).click()
    await chat.getByText('Paying by SEPA Instant now.').waitFor()
    expect(problems).toEqual([])
  })

  it('puts a validation error next to its field in plain words, and keeps the code out of sight', async () => {
    const problems: Problems = []
    const page = await newPage(problems)
    await signInCustomer(page, 'bruno@demo.bulwark')
    await page.goto(`${server.url}/p2p/ads/new`)
    await page.locator('input[name="price"]').fill('0.93')
    await page.locator('input[name="availableAmount"]').fill('100')
    await page.locator('input[name="minOrder"]').fill('10')
    await page.locator('input[name="maxOrder"]').fill('50')
    await page.getByRole('button', { name: 'Post ad' }).click()
    const methods = page.getByRole('group', { name: 'Payment methods' })
    await methods.getByText('Choose at least one payment method.').waitFor()
    const text = (await page.locator('main').textContent()) ?? ''
    expect(text).not.toMatch(/INVALID_INPUT|Too small|expected array/)
    expect(text).toContain('Check the highlighted fields.')
  })

  it('asks before disabling a staff member, saying what will happen, and does nothing on cancel', async () => {
    const problems: Problems = []
    const page = await newPage(problems)
    await signInDemoStaff(page, server, 'security.admin@staff.bulwark')
    problems.length = 0
    await page.goto(`${server.url}/staff/members`)
    const row = page.locator('tr[data-email="support@staff.bulwark"]')
    const disable = row.getByRole('button', { name: 'Disable' })
    expect(await disable.getAttribute('class')).toContain('danger')
    await disable.click()
    const dialog = page.getByRole('alertdialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toMatch(/signed out everywhere/)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'hidden' })
    expect(await row.textContent()).toContain('active')
    await disable.click()
    await dialog.getByRole('button', { name: 'Disable the account' }).click()
    await row.getByRole('button', { name: 'Enable' }).waitFor()
    expect(await row.textContent()).toContain('disabled')
    expect(problems).toEqual([])
  })
})
