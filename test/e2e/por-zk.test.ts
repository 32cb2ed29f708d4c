/**
 * The zk proof of liabilities in real Chromium: a custody approver resumes the proving job of a built round from
 * the staff rounds page after its server was killed (a server job; the page shows it interrupted, then batches
 * done / total, users/s and the recorded hashes); once it is published,
 * a customer's "Verify my assets" also checks their batch's UltraHonk proof in the page with bb.js (wasm from our
 * server) and shows the result and the time taken; a tampered proof, key or setup hash is refused with the
 * failing check named.
 */

import { spawnSync } from 'node:child_process'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { sql } from 'kysely'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD } from '../../src/demo/seed.ts'
import { systemClock } from '../../src/platform/clock.ts'
import { createRounds } from '../../src/por/rounds.ts'
import { INSECURE_FILE_NAME, insecureTestSetup } from '../../src/por/zk/setup.ts'
import { launchBrowser } from '../support/browser.ts'
import { signInDemoStaff, startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
let browser: Browser
let rounds: ReturnType<typeof createRounds>
const ids: Record<string, string> = {}

async function userId(email: string) {
  return (
    await server.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()
  ).id
}

beforeAll(async () => {
  insecureTestSetup(4097)
  server = await startTestServer({
    env: { POR_ZK_SETUP_FILE: join(tmpdir(), 'bulwark-zk-setup-4097', INSECURE_FILE_NAME) },
  })
  browser = await launchBrowser()
  rounds = createRounds({ db: server.db, clock: systemClock, dataDir: server.config.DATA_DIR })
  for (const [who, email] of [
    ['alice', 'alice@demo.bulwark'],
    ['builder', 'custody.approver@staff.bulwark'],
    ['reviewer', 'auditor@staff.bulwark'],
    ['publisher', 'compliance.officer@staff.bulwark'],
  ] as const)
    ids[who] = await userId(email)
  const file = (text: string) => Readable.from([Buffer.from(text)])
  await rounds.create('zk-1', ids.builder!)
  await rounds.importFile(
    'zk-1',
    'assets',
    file('symbol,decimals,price_usd,haircut\nBTC,8,65000,0.9\nUSDT,6,1,1\n'),
    ids.builder!,
  )
  const others = Array.from({ length: 5 }, (_, i) => `customer-${i},0.01,${i}`).join('\n')
  await rounds.importFile(
    'zk-1',
    'liabilities',
    file(`user_id,BTC,USDT\n${ids.alice},0.5,250.75\n${others}\n`),
    ids.builder!,
  )
  await rounds.build('zk-1', ids.builder!)
}, 300_000)
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function verifyAsAlice(tamper?: (page: Page) => Promise<void>) {
  const page = await browser.newPage()
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill('alice@demo.bulwark')
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: /Welcome, Alice/ }).waitFor()
  if (tamper) await tamper(page)
  await page.goto(`${server.url}/proof-of-reserves`)
  await page.getByRole('heading', { name: /Latest round zk-1/ }).waitFor()
  await page.getByRole('button', { name: 'Verify my assets' }).click()
  const result = page.locator(
    '[data-testid="zk-check"] [data-zk="verified"], [data-testid="zk-check"] [data-zk="failed"]',
  )
  await result.waitFor({ timeout: 180_000 })
  return { page, result }
}

describe('zk proof of liabilities in the browser', () => {
  it('lets staff resume a proving job its server left interrupted, and shows its progress and recorded hashes', async () => {
    // A job left as a server killed with kill -9 leaves it: running, under a process of this host that is gone.
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await sql`
      insert into por_zk_jobs (round_id, state, batch_size, cores, started_at, started_by, owner, heartbeat_at)
      values ('zk-1', 'running', 2, 1, now(), ${`staff:${ids.builder}`}, ${`${hostname()}:${dead}:0`}, now())
    `.execute(server.db)
    const page = await browser.newPage()
    await signInDemoStaff(page, server, 'custody.approver@staff.bulwark')
    await page.goto(`${server.url}/staff/por/rounds`)
    const panel = page.getByRole('region', { name: 'Zero-knowledge proof of round zk-1' })
    await expect
      .poll(async () => panel.getByTestId('zk-progress').textContent(), { timeout: 30_000 })
      .toMatch(/^\s*interrupted — resume: 0 \/ … batches.*resume proving/)
    // Preset to the interrupted job's own batch size (2, not the default 256): only that size keeps its proofs.
    await expect.poll(async () => panel.getByLabel('Users per batch').inputValue()).toBe('2')
    await panel.getByRole('button', { name: 'Resume proving' }).click()
    const progress = panel.getByTestId('zk-progress')
    await progress.waitFor()
    // 6 users in batches of 2: three batch proofs; the page polls the job while the server proves.
    const seen: string[] = []
    await expect
      .poll(
        async () => {
          const text = (await progress.textContent()) ?? ''
          if (seen.at(-1) !== text) seen.push(text)
          return /^\s*(done|failed|stopped):/.test(text)
        },
        { timeout: 300_000, interval: 250 },
      )
      .toBe(true)
    expect(seen.at(-1), seen.join(' | ')).toMatch(/^\s*done: 3 \/ 3 batches \(100%\)/)
    // The page shows the job's speed (users/s) once a batch is done: while running, or on the done
    // line when the three small batches finish between two polls (batch-by-batch progress is tested
    // through the route in src/por/zk/job.db.test.ts).
    expect(
      seen.some((t) =>
        /(running: [1-3] \/ 3 batches \(\d+%\)|done: 3 \/ 3 batches \(100%\)), [\d.]+ users\/s/.test(t),
      ),
      seen.join(' | '),
    ).toBe(true)
    await panel.getByTestId('zk-recorded').waitFor()
    expect(await panel.getByTestId('zk-recorded').textContent()).toMatch(
      /Recorded: verification key [0-9a-f]{16}…, setup [0-9a-f]{16}… \(INSECURE test setup: proves nothing\), top root 0x/,
    )
    await page.close()
    await rounds.review('zk-1', ids.reviewer!)
    await rounds.publish('zk-1', ids.publisher!)
  }, 600_000)

  it("verifies the customer's batch proof in the page with bb.js, beside the Merkle check, with the time taken", async () => {
    const wasm: string[] = []
    const { page, result } = await verifyAsAlice(async (p) => {
      p.on('request', (r) => {
        if (/wasm/.test(r.url())) wasm.push(new URL(r.url()).origin)
      })
    })
    expect(await page.getByTestId('verification').getByRole('status').textContent()).toContain(
      'Verified in your browser',
    )
    const text = await result.textContent()
    expect(text).toMatch(/^Batch proof verified in your browser in \d+ ms \(proof check \d+ ms\)/)
    console.log(`[por-zk e2e] ${text?.slice(0, 80)}`)
    for (const name of [
      'setup-hash',
      'verification-key',
      'binding',
      'batch-file',
      'user-leaf',
      'batch-root',
      'proof',
    ])
      expect(
        await page.locator(`[data-testid="zk-check"] [data-check="${name}"]`).getAttribute('data-ok'),
      ).toBe('true')
    // The wasm came from our own server, not a CDN.
    expect(wasm).toEqual([server.url])
    await page.close()
  }, 300_000)

  it('refuses a tampered batch proof, naming the proof check', async () => {
    const { page, result } = await verifyAsAlice(async (p) => {
      await p.route('**/api/por/rounds/zk-1/zk/batch-*.json', async (route) => {
        const response = await route.fetch()
        const batch = await response.json()
        const bytes = Buffer.from(batch.proof, 'base64')
        bytes[1000] = (bytes[1000] ?? 0) ^ 1
        batch.proof = bytes.toString('base64')
        await route.fulfill({ response, json: batch })
      })
    })
    expect(await result.getAttribute('data-zk')).toBe('failed')
    expect(await result.textContent()).toMatch(
      /^Batch proof FAILED \(proof\): batch \d+: UltraHonk proof does not verify/,
    )
    await page.close()
  }, 300_000)

  it('refuses a verification key other than the published one, naming verification-key', async () => {
    const { page, result } = await verifyAsAlice(async (p) => {
      await p.route('**/api/por/rounds/zk-1/zk/vk.bin', async (route) => {
        const response = await route.fetch()
        const vk = Buffer.from(await response.body())
        vk[100] = (vk[100] ?? 0) ^ 1
        await route.fulfill({ response, body: vk })
      })
    })
    expect(await result.textContent()).toMatch(/^Batch proof FAILED \(verification-key\)/)
    await page.close()
  }, 300_000)

  it('refuses proofs made under another setup than the published one, naming setup-hash', async () => {
    const { page, result } = await verifyAsAlice(async (p) => {
      await p.route('**/api/por/rounds/zk-1/zk/manifest.json', async (route) => {
        const response = await route.fetch()
        const manifest = await response.json()
        manifest.setupHash = 'ab'.repeat(32)
        await route.fulfill({ response, json: manifest })
      })
    })
    expect(await result.textContent()).toMatch(/^Batch proof FAILED \(setup-hash\): the proofs' setup abab/)
    await page.close()
  }, 300_000)
})
