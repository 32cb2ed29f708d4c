/**
 * The head-turn liveness check on /verify in real Chromium, with Chromium's fake camera playing a
 * video this test writes (`--use-fake-device-for-media-stream --use-file-for-fake-video-capture`,
 * a YUV4MPEG2 file from test/support/liveness.ts: a face from the Human library's own demo image
 * turned on a cylinder). The challenge is random, so the test starts it first through the API in
 * the customer's own session, writes the video for it, and the page resumes that challenge. A
 * video turning the way asked passes and the verification is approved; the same turns in another
 * order fail and go to review; a still picture fed as the camera is rejected with a retry message.
 * Playing a file, Chromium's fake camera names itself by the file's path, which the server flags as a
 * virtual camera; it accepts these exact names only because IDENTITY_LIVENESS_ACCEPT_CAMERAS lists
 * them (tests only).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import type { LivenessStep } from '../../src/identity/liveness/assess.ts'
import { CHROMIUM_PATH, launchBrowser } from '../support/browser.ts'
import { documentOf, selfieOf } from '../support/faces.ts'
import { specimenPassportMrz } from '../support/identity.ts'
import { writeHeadTurnY4m } from '../support/liveness.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

/** The page shows each prompt this long (web/src/identity/HeadTurnCheck.tsx, STEP_MS). */
const STEP_MS = 3000
const PERSON = 4

let server: TestServer
const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-liveness-'))
const browsers: Browser[] = []
const videoFile = (documentNumber: string) => path.join(dir, `${documentNumber}.y4m`)
const DOCUMENTS = ['LIVE00001', 'LIVE00002', 'LIVE00003', 'LIVE00004'] as const

beforeAll(async () => {
  server = await startTestServer({
    env: { IDENTITY_FACES: 'true', IDENTITY_LIVENESS_ACCEPT_CAMERAS: DOCUMENTS.map(videoFile).join(',') },
  })
})
afterAll(async () => {
  for (const b of browsers) await b.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * Chromium whose camera plays `video` (read when the page opens the camera, so written later), or
 * (`refused`) one that answers the page's camera request as a customer clicking "Block" does.
 */
async function cameraBrowser(video: string, camera: 'allowed' | 'refused' = 'allowed'): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-dev-shm-usage',
      camera === 'allowed' ? '--use-fake-ui-for-media-stream' : '--deny-permission-prompts',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
  })
  browsers.push(browser)
  return browser
}

const passport = (documentNumber: string) =>
  specimenPassportMrz(new Date(), { documentNumber, yearsValid: 6 })

/**
 * Signs `email` in on a phone-sized page, starts a head-turn check through the API in that session,
 * writes the camera video with `video(steps)`, and opens /verify with the photos and the MRZ filled in.
 */
async function prepare(
  email: string,
  documentNumber: string,
  video: (file: string, steps: LivenessStep[]) => void,
  camera: 'allowed' | 'refused' = 'allowed',
): Promise<{ page: Page; steps: LivenessStep[]; challengeId: string }> {
  const file = videoFile(documentNumber)
  const browser = await cameraBrowser(file, camera)
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => url.pathname !== '/signin')
  const challenge = await page.evaluate(async () => {
    const csrf = decodeURIComponent(document.cookie.match(/(?:^|;\s*)(?:__Host-)?bulwark_csrf=([^;]+)/)![1]!)
    const response = await fetch('/api/identity/liveness/challenges', {
      method: 'POST',
      headers: { 'x-csrf-token': csrf, accept: 'application/json' },
    })
    return (await response.json()).challenge as { id: string; steps: LivenessStep[] }
  })
  video(file, challenge.steps)

  await page.goto(`${server.url}/verify`)
  await page.getByRole('heading', { name: 'Verify your identity' }).waitFor()
  await page.getByLabel(/Photo of the page with your picture/).setInputFiles({
    name: 'passport.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from(documentOf(PERSON)),
  })
  await page.getByRole('img', { name: 'Your document' }).waitFor()
  await page.getByLabel(/Your face, looking at the camera/).setInputFiles({
    name: 'selfie.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from(selfieOf(PERSON)),
  })
  await page.getByRole('img', { name: 'Your selfie' }).waitFor()
  await page.getByLabel(/The lines of letters and < signs/).fill(passport(documentNumber))
  return { page, steps: challenge.steps, challengeId: challenge.id }
}

/** Runs the check on the page and returns the per-step lines it shows. */
async function runCheck(page: Page, expected: 'passed' | 'failed'): Promise<string[]> {
  await page.getByRole('button', { name: 'Start the head-turn check' }).click()
  await page.locator('[data-prompt]').waitFor()
  expect(await page.locator('[data-prompt]').textContent()).toBe('Look straight at the camera')
  await page.locator(`[data-liveness="${expected}"]`).waitFor({ timeout: 240_000 })
  return page.getByRole('list', { name: 'Head-turn check steps' }).getByRole('listitem').allTextContents()
}

async function verificationOf(email: string) {
  return server.db
    .selectFrom('identity_verifications')
    .innerJoin('users', 'users.id', 'identity_verifications.user_id')
    .select(['identity_verifications.status', 'identity_verifications.reasons'])
    .where('users.email', '=', email)
    .orderBy('identity_verifications.created_at', 'desc')
    .executeTakeFirstOrThrow()
}

const opposite = (steps: LivenessStep[]) =>
  steps.map((s): LivenessStep => (s === 'left' ? 'right' : s === 'right' ? 'left' : s))

describe('the head-turn check on /verify with a fake camera', () => {
  it('passes a video turning the way asked, on a phone, and the verification is approved', async () => {
    const email = 'alice@demo.bulwark'
    const { page, steps, challengeId } = await prepare(email, 'LIVE00001', (file, asked) =>
      writeHeadTurnY4m(file, PERSON, asked, { stepMs: STEP_MS }),
    )
    const lines = await runCheck(page, 'passed')
    expect(lines).toHaveLength(steps.length)
    expect(lines.every((l) => l.endsWith('Done.'))).toBe(true)
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)

    await page.getByRole('button', { name: 'Send for verification' }).click()
    await page.locator('[data-status="approved"]').waitFor({ timeout: 120_000 })
    const stored = await server.db
      .selectFrom('identity_liveness_challenges')
      .select(['status', 'camera_label', 'verification_id'])
      .where('id', '=', challengeId)
      .executeTakeFirstOrThrow()
    // The page resumed the challenge the test started; Chromium's fake camera is named by its file.
    expect(stored).toMatchObject({ status: 'passed', camera_label: videoFile('LIVE00001') })
    expect(stored.verification_id).not.toBeNull()
    expect((await verificationOf(email)).reasons).toEqual([])
  }, 400_000)

  it('fails a video doing the turns in another order than asked, and the verification goes to review', async () => {
    const email = 'bruno@demo.bulwark'
    const { page, steps } = await prepare(email, 'LIVE00002', (file, asked) =>
      writeHeadTurnY4m(file, PERSON, opposite(asked), { stepMs: STEP_MS }),
    )
    const lines = await runCheck(page, 'failed')
    expect(lines[0]).toBe('Look straight at the camera: Done.')
    expect(lines.slice(1).every((l) => l.includes('You turned the other way'))).toBe(true)
    expect(await page.getByRole('button', { name: 'Do the check again' }).isVisible()).toBe(true)

    await page.getByRole('button', { name: 'Send for verification' }).click()
    await page.locator('[data-status="review"]').waitFor({ timeout: 120_000 })
    const codes = (await verificationOf(email)).reasons.map((r) => r.code)
    expect(codes).toContain('FACE_LIVENESS_FAILED')
    expect(codes).not.toContain('FACE_LIVENESS_VIRTUAL_CAMERA')

    // The compliance officer sees the steps asked and seen, and how the selfie compares with them.
    const officerBrowser = await launchBrowser()
    browsers.push(officerBrowser)
    const officer = await (await officerBrowser.newContext()).newPage()
    await signInDemoStaff(officer, server, 'compliance.officer@staff.bulwark')
    await officer.goto(`${server.url}/staff/identity`)
    const item = officer.locator(`article[data-email="${email}"]`)
    await item.waitFor()
    const reason = await item.locator('[data-code="FACE_LIVENESS_FAILED"]').textContent()
    expect(reason).toContain(`Asked ${steps.join(', ')}`)
    expect(reason).toContain('turned the other way')
    expect(await item.textContent()).toMatch(/Selfie vs head-turn check: 0\.\d\d/)
  }, 400_000)

  it('rejects a still picture fed as the camera and tells the customer to use their camera live', async () => {
    const email = 'chloe@demo.bulwark'
    const { page } = await prepare(email, 'LIVE00003', (file, asked) =>
      writeHeadTurnY4m(file, PERSON, asked, { stepMs: STEP_MS, still: true }),
    )
    const lines = await runCheck(page, 'failed')
    expect(lines.slice(1).every((l) => l.includes('We did not see you turn'))).toBe(true)

    await page.getByRole('button', { name: 'Send for verification' }).click()
    const result = page.locator('[data-status="rejected"]')
    await result.waitFor({ timeout: 120_000 })
    expect(await result.textContent()).toContain('same still picture during the whole head-turn check')
    const codes = (await verificationOf(email)).reasons.map((r) => r.code)
    expect(codes).toEqual(expect.arrayContaining(['FACE_LIVENESS_STILL', 'FACE_LIVENESS_FAILED']))
  }, 400_000)
  it('tells a customer who refuses the camera how to go on, and the verification can still be sent, to review', async () => {
    const email = 'dmitri@demo.bulwark'
    const { page } = await prepare(email, 'LIVE00004', () => {}, 'refused')
    await page.getByRole('button', { name: 'Start the head-turn check' }).click()
    const refused = page.getByText(/The camera could not be opened/)
    await refused.waitFor()
    expect(await refused.textContent()).toContain('Allow this page to use your camera')
    expect(await page.locator('[data-prompt]').count()).toBe(0)

    await page.getByRole('button', { name: 'Send for verification' }).click()
    await page.locator('[data-status="review"]').waitFor({ timeout: 120_000 })
    const codes = (await verificationOf(email)).reasons.map((r) => r.code)
    expect(codes).toContain('FACE_LIVENESS_MISSING')
  }, 400_000)
})
