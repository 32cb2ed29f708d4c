/**
 * The P2P restriction scenario of issue 6, in real Chromium against a real server with the demo
 * market: Bruno (verified in Germany) posts a sell ad restricted to Germany and Austria; Chloé
 * (verified in France) opens it and sees the blocked prompt; "Show local ads only" hides it; Alice
 * (verified in Austria) places an order and marks it paid; Bruno releases with his authenticator
 * code and the balances move; Bruno adds France to the allowlist and Chloé can now order. The
 * server runs on a manual clock so TOTP steps advance without waiting.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { createManualClock } from '../../src/platform/clock.ts'
import { launchBrowser } from '../support/browser.ts'
import {
  apiFromPage,
  signInDemoCustomer,
  signInDemoStaff,
  startTestServer,
  type TestServer,
} from '../support/server.ts'

const clock = createManualClock(new Date())
let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  server = await startTestServer({ clock })
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function signIn(email: string): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  page.on('dialog', (dialog) => void dialog.accept())
  if (email.endsWith('@staff.bulwark')) {
    await signInDemoStaff(page, server, email)
    return page
  }
  await signInDemoCustomer(page, server, email)
  return page
}

/** Signs a customer with an authenticator app in: password, then the code at the server's clock. */
async function signInWithCode(email: string, secret: string): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  page.on('dialog', (dialog) => void dialog.accept())
  await signInDemoCustomer(page, server, email, secret)
  clock.advance(30_000)
  return page
}

async function usdtBalance(page: Page) {
  const row = page.locator('table.p2p-balances tr[data-asset="USDT"]')
  return {
    available: (await row.locator('.p2p-available').textContent())?.trim(),
    escrow: (await row.locator('.p2p-escrow').textContent())?.trim(),
  }
}

describe('P2P ads restricted by country or region, in the browser', () => {
  it('blocks a buyer from France, serves a buyer from Austria, and opens to France after an edit', async () => {
    // Bruno, verified in Germany, turns on an authenticator app (needed to post ads and release).
    const enrolling = await signIn('bruno@demo.bulwark')
    const { secret } = await apiFromPage<{ secret: string }>(enrolling, 'POST', '/api/accounts/totp/setup')
    await apiFromPage(enrolling, 'POST', '/api/accounts/totp/confirm', {
      code: totpCodeAt(secret, clock.now()),
    })
    // Turning 2FA on starts the 24 h withdrawal lock like any protection change, and selling is value
    // leaving the account: he posts his ad the next day, signing in with his code.
    clock.advance(24 * 3_600_000 + 60_000)
    const bruno = await signInWithCode('bruno@demo.bulwark', secret)

    // He posts a sell ad restricted to Germany and Austria, picking both with the search box.
    await bruno.goto(`${server.url}/p2p/ads/new`)
    await bruno.locator('input[name=price]').fill('0.92')
    await bruno.locator('input[name=availableAmount]').fill('300')
    await bruno.locator('input[name=minOrder]').fill('10')
    await bruno.locator('input[name=maxOrder]').fill('500')
    await bruno.getByRole('checkbox', { name: 'SEPA', exact: true }).check()
    await bruno.locator('textarea[name=terms]').fill('SEPA from an account in your own name.')
    const search = bruno.getByPlaceholder('Search countries and regions')
    await search.fill('germ')
    await bruno.getByRole('checkbox', { name: 'Germany' }).check()
    await search.fill('austria')
    await bruno.getByRole('checkbox', { name: 'Austria' }).check()
    expect(await bruno.getByLabel('Selected countries and regions').textContent()).toMatch(/Austria.*Germany/)
    await bruno.getByRole('button', { name: 'Post ad' }).click()
    const myAd = bruno.locator('article.p2p-myad').first()
    await myAd.waitFor()
    const adId = (await myAd.getAttribute('data-ad-id'))!
    expect(await myAd.textContent()).toContain('Austria, Germany')

    // Chloé, verified in France, opens the ad and is told why she cannot take it and what to do.
    const chloe = await signIn('chloe@demo.bulwark')
    await chloe.goto(`${server.url}/p2p/ads/${adId}`)
    const prompt = chloe.getByRole('alert')
    await prompt.waitFor()
    expect(await prompt.textContent()).toMatch(/only for users verified in Austria and Germany.*France/)
    expect(await chloe.getByRole('button', { name: 'Buy USDT' }).count()).toBe(0)
    // The server refuses too (not only the page).
    const refused = await apiFromPage<{ code: string }>(chloe, 'POST', `/api/p2p/ads/${adId}/orders`, {
      amount: '20',
    })
    expect(refused.code).toBe('P2P_REGION_NOT_ALLOWED')

    // In the market the ad is shown disabled with the reason; "Show local ads only" hides it.
    await prompt.getByRole('button', { name: 'Show local ads only' }).click()
    await chloe.waitForURL(/\/p2p\?local=1/)
    const localOnly = chloe.getByRole('checkbox', { name: 'Show local ads only' })
    expect(await localOnly.isChecked()).toBe(true)
    await chloe.locator('table.p2p-ads tbody tr').first().waitFor()
    expect(await chloe.locator(`tr[data-ad-id="${adId}"]`).count()).toBe(0)
    await localOnly.uncheck()
    const disabledRow = chloe.locator(`tr[data-ad-id="${adId}"]`)
    await disabledRow.waitFor()
    expect(await disabledRow.getByRole('button', { name: 'Buy USDT' }).isDisabled()).toBe(true)
    expect(await disabledRow.locator('.p2p-reason').textContent()).toMatch(/France/)

    // Alice, verified in Austria, orders 100 USDT and marks it paid.
    const alice = await signIn('alice@demo.bulwark')
    await alice.goto(`${server.url}/p2p/ads/${adId}`)
    await alice.locator('input[name=amount]').fill('100')
    await alice.getByRole('button', { name: 'Buy USDT' }).click()
    await alice.waitForURL(/\/p2p\/orders\/[0-9a-f-]{36}$/)
    const orderUrl = alice.url()
    await alice.getByText('Waiting for payment').waitFor()
    expect(await alice.getByText('92 EUR').count()).toBeGreaterThan(0)
    await alice.getByRole('button', { name: 'I have paid' }).click()
    await alice.getByText('Paid, waiting for release').waitFor()

    // Bruno sees 100 USDT in escrow and releases with his authenticator code.
    await bruno.goto(orderUrl)
    await bruno.locator('table.p2p-balances').waitFor()
    expect(await usdtBalance(bruno)).toEqual({ available: '4900', escrow: '100' })
    await bruno.getByLabel('Authenticator code').fill(totpCodeAt(secret, clock.now()))
    await bruno.getByRole('button', { name: 'Release USDT' }).click()
    await bruno.getByText('Completed', { exact: true }).waitFor()
    await bruno.waitForFunction(
      () => document.querySelector('tr[data-asset="USDT"] .p2p-escrow')?.textContent === '0',
    )
    expect(await usdtBalance(bruno)).toEqual({ available: '4900', escrow: '0' })
    await alice.reload()
    await alice.getByText('Completed', { exact: true }).waitFor()
    await alice.locator('table.p2p-balances').waitFor()
    expect(await usdtBalance(alice)).toEqual({ available: '600', escrow: '0' })

    // Bruno adds France to the allowlist.
    await bruno.goto(`${server.url}/p2p/ads/${adId}/edit`)
    await bruno.getByPlaceholder('Search countries and regions').fill('fran')
    await bruno.getByRole('checkbox', { name: 'France' }).check()
    await bruno.getByRole('button', { name: 'Save changes' }).click()
    await bruno.locator('article.p2p-myad').first().waitFor()
    expect(await bruno.locator('article.p2p-myad').first().textContent()).toContain(
      'Austria, France, Germany',
    )

    // Chloé can now order.
    await chloe.goto(`${server.url}/p2p/ads/${adId}`)
    await chloe.locator('input[name=amount]').fill('50')
    await chloe.getByRole('button', { name: 'Buy USDT' }).click()
    await chloe.waitForURL(/\/p2p\/orders\/[0-9a-f-]{36}$/)
    await chloe.getByText('Waiting for payment').waitFor()
    expect(await chloe.getByRole('alert').count()).toBe(0)
  })

  it('keeps unverified users off restricted ads, and lets compliance verify them and support resolve a dispute', async () => {
    // Dmitri's country is still under review: restricted ads are closed to him, open ones are not.
    const dmitri = await signIn('dmitri@demo.bulwark')
    const market = await apiFromPage<{ ads: Array<{ id: string; allowedCountries: string[] }> }>(
      dmitri,
      'GET',
      '/api/p2p/ads?asset=USDT&fiat=EUR',
    )
    const restricted = market.ads.find((a) => a.allowedCountries.length > 0)!
    const open = market.ads.find((a) => a.allowedCountries.length === 0)!
    await dmitri.goto(`${server.url}/p2p/ads/${restricted.id}`)
    const prompt = dmitri.getByRole('alert')
    await prompt.waitFor()
    expect(await prompt.textContent()).toMatch(/not verified yet/)
    await prompt.getByRole('link', { name: 'Verify your country or region' }).waitFor()
    await dmitri.goto(`${server.url}/p2p/ads/${open.id}`)
    await dmitri.locator('input[name=amount]').waitFor()

    // Compliance verifies Dmitri, who submitted Czechia in the demo.
    const officer = await signIn('compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/p2p/identities`)
    const row = officer.locator('tr[data-email="dmitri@demo.bulwark"]')
    await row.waitFor()
    expect(await row.textContent()).toContain('Czechia')
    await row.getByRole('button', { name: 'Verify' }).click()
    await officer
      .getByRole('status')
      .filter({ hasText: 'dmitri@demo.bulwark: verified in Czechia' })
      .waitFor()

    // Alice orders 40 USDT on Lukas's ad (the demo's own order expired while the first test waited
    // out Bruno's lock): she pays, waits 15 minutes, appeals.
    const alice = await signIn('alice@demo.bulwark')
    const { ads } = await apiFromPage<{ ads: Array<{ id: string; advertiser: { displayName: string } }> }>(
      alice,
      'GET',
      '/api/p2p/ads?side=sell&asset=USDT&fiat=EUR',
    )
    const lukasAd = ads.find((a) => a.advertiser.displayName.startsWith('Lukas'))!
    const { order } = await apiFromPage<{ order: { id: string } }>(
      alice,
      'POST',
      `/api/p2p/ads/${lukasAd.id}/orders`,
      { amount: '40' },
    )
    await alice.goto(`${server.url}/p2p/orders/${order.id}`)
    await alice.getByRole('button', { name: 'I have paid' }).click()
    await alice.getByText('Paid, waiting for release').waitFor()
    clock.advance(15 * 60_000)
    await alice.reload()
    await alice
      .getByLabel('Something wrong? Describe it for support')
      .fill('Paid 36.80 EUR by SEPA, no release.')
    await alice.getByRole('button', { name: 'Appeal' }).click()
    await alice.getByText('under appeal').waitFor()

    // Support releases it to Alice.
    const support = await signIn('support@staff.bulwark')
    await support.goto(`${server.url}/staff/p2p/disputes`)
    const card = support.locator('article.card').filter({ hasText: 'no release' })
    await card.waitFor()
    await card.getByLabel('Resolution note').fill('SEPA statement shows the payment')
    await card.getByRole('button', { name: 'Release to buyer' }).click()
    await support.getByRole('status').filter({ hasText: 'Released 40 USDT to Alice Martin' }).waitFor()
  })
})
