/**
 * A visitor, in real Chromium, opens "Check before you sign", sees the shipped lists named, checks a
 * homoglyph of MetaMask (red "Do not continue"), an official Uniswap site ("official site of
 * Uniswap") and a poisoned lookalike address ("Be careful"), with the reasons.
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
    // The test server configures no lists: the shipped ones load in the background on a fresh start.
    for (let i = 0; i < 100; i++) {
      const lists = (await (await fetch(`${server.url}/api/guard/lists`)).json()) as {
        loadedAt: string | null
      }
      if (lists.loadedAt) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const page = await browser.newPage()
    await page.goto(`${server.url}/guard`)
    await page.getByRole('heading', { name: 'Check before you sign' }).waitFor()
    // The page names what it checks against: the shipped lists, with source, licence and date.
    expect(await page.getByTestId('guard-lists').textContent()).toMatch(
      /Checked against [\d,]+ listed phishing domains/,
    )
    const sources = (await page.getByTestId('guard-sources').textContent()) ?? ''
    for (const name of [
      'MetaMask eth-phishing-detect',
      'Uniswap default token list',
      'OFAC sanctioned digital currency addresses',
    ])
      expect(sources).toContain(name)
    expect(sources).toContain('licence DBAD')
    await page.getByLabel('Website or link').fill('https://metamаsk.io/connect')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    const verdict = page.getByTestId('guard-verdict')
    await verdict.waitFor()
    expect(await verdict.getAttribute('data-verdict')).toBe('block')
    expect(await verdict.textContent()).toContain('HOMOGLYPH')
    // "Do not continue" is white on red.
    const label = page.getByTestId('guard-verdict-label')
    expect(await label.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(179, 38, 30)')
    expect(await label.textContent()).toContain('Do not continue — imitates MetaMask')

    await page.getByLabel('Website or link').fill('https://app.uniswap.org/swap')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    await page.getByTestId('guard-verdict').filter({ hasText: 'official site of Uniswap' }).waitFor()
    expect(await page.getByTestId('guard-verdict').getAttribute('data-verdict')).toBe('allow')
    expect(await page.getByTestId('guard-verdict').textContent()).not.toContain('imitates')

    await page.getByRole('tab', { name: 'Address' }).click()
    await page.getByLabel('Destination address').fill('0x4008b8dfcdfc0d5b837b28aa4a890122292b0c3f')
    await page.getByLabel(/Addresses you already use/).fill('0x40e922f5d2de414b94aaabf14e02e1f9814afc3f')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    await page.getByTestId('guard-verdict').filter({ hasText: 'LOOKALIKE_ADDRESS' }).waitFor()
    expect(await page.getByTestId('guard-verdict').getAttribute('data-verdict')).toBe('warn')
    await page.close()
  })
})
