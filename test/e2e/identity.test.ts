/**
 * Identity verification in real Chromium on a phone-sized viewport: Dmitri (demo customer whose
 * typed country waits for review) opens /verify, adds a document photo and a selfie, mistypes the
 * MRZ and is told at once, corrects it, sends, and reads "Under review". The compliance officer
 * opens /staff/identity, sees the decrypted images, the fields and the reasons, approves with a
 * note; Dmitri's page then says verified and his P2P country is the document's (Czechia).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DISTORTIONS, renderDocument } from '../../eval/identity-render.ts'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { composeMrz } from '../../src/identity/mrz-compose.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function newPage(phone: boolean): Promise<Page> {
  const context = await browser.newContext(phone ? { viewport: { width: 390, height: 844 } } : {})
  contexts.push(context)
  return context.newPage()
}

const yy = (years: number) => String((new Date().getUTCFullYear() + years) % 100).padStart(2, '0')
const MRZ = composeMrz({
  format: 'TD3',
  issuingState: 'CZE',
  documentNumber: '40922105',
  nationality: 'CZE',
  birthDate: '880214',
  sex: 'M',
  expiryDate: `${yy(6)}0630`,
  surname: 'Novak',
  givenNames: 'Dmitri',
})

describe('identity verification in the browser', () => {
  it('takes a customer from /verify to "under review" on a phone, and a compliance officer approves it', async () => {
    const customer = await newPage(true)
    await customer.goto(`${server.url}/signin`)
    await customer.getByLabel('Email').fill('dmitri@demo.bulwark')
    await customer.getByLabel('Password').fill(DEMO_PASSWORD)
    await customer.getByRole('button', { name: 'Sign in' }).click()
    await customer.waitForURL((url) => url.pathname !== '/signin')
    await customer.goto(`${server.url}/verify`)
    await customer.getByRole('heading', { name: 'Verify your identity' }).waitFor()

    // Real images: a screenshot of the page itself stands in for both photos.
    const photo = await customer.screenshot({ type: 'png' })
    await customer
      .getByLabel(/Photo of the page with your picture/)
      .setInputFiles({ name: 'passport.png', mimeType: 'image/png', buffer: photo })
    await customer.getByRole('img', { name: 'Your document' }).waitFor()
    await customer.getByLabel(/Your face, looking at the camera/).setInputFiles({
      name: 'selfie.png',
      mimeType: 'image/png',
      buffer: photo,
    })
    await customer.getByRole('img', { name: 'Your selfie' }).waitFor()

    const mrzBox = customer.getByLabel(/The lines of letters and < signs/)
    await mrzBox.fill(MRZ.replace('40922105', '40922106'))
    await expect.poll(() => customer.locator('#mrz-hint').textContent()).toContain('do not add up')
    await mrzBox.fill(MRZ)
    await expect.poll(() => customer.locator('#mrz-hint').textContent()).toContain('Passport: 2 lines')
    await customer.getByLabel('Surname').fill('Novák')
    await customer.getByLabel('Given names').fill('Dmitri')

    // Faces are off on this server (the default): no head-turn check is offered.
    expect(await customer.getByRole('button', { name: 'Start the head-turn check' }).count()).toBe(0)
    expect(await customer.getByText('3. A head-turn check').count()).toBe(0)

    // Nothing overflows the phone's width.
    const overflow = await customer.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)

    await customer.getByRole('button', { name: 'Send for verification' }).click()
    await customer.locator('[data-status="review"]').waitFor()
    expect(await customer.locator('[data-status="review"]').textContent()).toContain('Under review')

    const officer = await newPage(false)
    await signInDemoStaff(officer, server, 'compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/identity`)
    const item = officer.locator('article[data-email="dmitri@demo.bulwark"]')
    await item.waitFor()
    expect(await item.textContent()).toContain('NOVAK')
    expect(await item.locator('[data-code="FACE_NOT_VERIFIED"]').count()).toBe(1)
    const selfie = item.getByRole('img', { name: 'Selfie of dmitri@demo.bulwark' })
    await expect.poll(() => selfie.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)

    await item.getByLabel('Note for dmitri@demo.bulwark').fill('selfie matches the passport photo')
    await item.getByRole('button', { name: 'Approve' }).click()
    await officer.getByText('dmitri@demo.bulwark: approved.').waitFor()

    await customer.reload()
    await customer.locator('[data-status="approved"]').waitFor()
    expect(await customer.locator('[data-status="approved"]').textContent()).toContain('(CZ)')
    const me = await customer.evaluate(async () => (await fetch('/api/p2p/me')).json())
    expect(me.identity).toMatchObject({ status: 'verified', country: 'CZ' })
  })

  it('reads the MRZ from the document photo when the customer leaves the lines empty', async () => {
    const renderer = await newPage(false)
    const expiry = `${yy(4)}0915`
    const photo = await renderDocument(
      renderer,
      {
        format: 'TD3',
        issuingState: 'AUT',
        documentNumber: 'P4471234',
        nationality: 'AUT',
        birthDate: '910507',
        sex: 'F',
        expiryDate: expiry,
        surname: 'Martin',
        givenNames: 'Alice',
      },
      DISTORTIONS[0]!,
      5,
    )
    const customer = await newPage(true)
    await customer.goto(`${server.url}/signin`)
    await customer.getByLabel('Email').fill('alice@demo.bulwark')
    await customer.getByLabel('Password').fill(DEMO_PASSWORD)
    await customer.getByRole('button', { name: 'Sign in' }).click()
    await customer.waitForURL((url) => url.pathname !== '/signin')
    await customer.goto(`${server.url}/verify`)
    await customer
      .getByLabel(/Photo of the page with your picture/)
      .setInputFiles({ name: 'passport.png', mimeType: photo.contentType, buffer: photo.bytes })
    await customer.getByRole('img', { name: 'Your document' }).waitFor()
    await customer.getByLabel(/Your face, looking at the camera/).setInputFiles({
      name: 'selfie.png',
      mimeType: photo.contentType,
      buffer: photo.bytes,
    })
    await customer.getByLabel('Surname').fill('Martin')
    await customer.getByRole('button', { name: 'Send for verification' }).click()
    await customer.locator('[data-status="review"]').waitFor()

    const officer = await newPage(false)
    await signInDemoStaff(officer, server, 'compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/identity`)
    const item = officer.locator('article[data-email="alice@demo.bulwark"]')
    await item.waitFor()
    const text = await item.textContent()
    expect(text).toContain('P4471234')
    expect(text).toContain('MARTIN')
    expect(text).toMatch(/OCR confidence: 0\.\d\d/)
    expect(await item.locator('[data-code="VISUAL_MISMATCH"]').count()).toBe(0)
  })
})
