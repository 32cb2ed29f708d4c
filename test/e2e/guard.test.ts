/**
 * A visitor, in real Chromium, opens "Check before you sign", checks a homoglyph of MetaMask and a
 * poisoned lookalike address, and sees "Do not continue" / "Be careful" with the reasons.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

describe('check before you sign', () => {
  it('blocks a lookalike website and warns about a poisoned address without signing in', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/guard`)
    await page.getByRole('heading', { name: 'Check before you sign' }).waitFor()
    // The test server configures no lists, and the page says so rather than implying it checked them.
    expect(await page.getByTestId('guard-lists').textContent()).toMatch(
      /No phishing lists are configured on this server: checks use lookalike rules for \d+ protected brands/,
    )
    await page.getByLabel('Website or link').fill('https://metamаsk.io/connect')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    const verdict = page.getByTestId('guard-verdict')
    await verdict.waitFor()
    expect(await verdict.getAttribute('data-verdict')).toBe('block')
    expect(await verdict.textContent()).toContain('HOMOGLYPH')

    await page.getByRole('tab', { name: 'Address' }).click()
    await page.getByLabel('Destination address').fill('0x4008b8dfcdfc0d5b837b28aa4a890122292b0c3f')
    await page.getByLabel(/Addresses you already use/).fill('0x40e922f5d2de414b94aaabf14e02e1f9814afc3f')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    await page.getByTestId('guard-verdict').filter({ hasText: 'LOOKALIKE_ADDRESS' }).waitFor()
    expect(await page.getByTestId('guard-verdict').getAttribute('data-verdict')).toBe('warn')
    await page.close()
  })
})
