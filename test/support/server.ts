/**
 * @module A real Bulwark server for browser tests: its own PGlite data directory, migrations, the
 * demo exchange, the built web app, listening on a random loopback port; the sign-ins a browser
 * test does (demo staff: password, then the code of the demo TOTP secret; demo customers: password,
 * then the code of their own authenticator if they set one up), and API calls made from a page.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { buildApp } from '../../src/app.ts'
import { DEMO_PASSWORD, demoStaffTotpCode, seedDemoIfEmpty } from '../../src/demo/seed.ts'
import { webDir } from '../../src/main.ts'
import { type Clock, systemClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { openDatabase } from '../../src/platform/db/index.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'

export type StartTestServerOptions = { env?: Record<string, string>; clock?: Clock; seed?: boolean }

export async function startTestServer(options: StartTestServerOptions = {}) {
  if (!existsSync(path.join(webDir, 'index.html'))) {
    throw new Error('The web app is not built: run `npm run build` (npm test does it first).')
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-e2e-'))
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PORT: '0',
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '1000',
    ...options.env,
  })
  const handle = await openDatabase({ dataDir })
  await migrateToLatest(handle.db as never)
  const clock = options.clock ?? systemClock
  if (options.seed ?? true) await seedDemoIfEmpty({ db: handle.db, clock, config, dataDir })
  const app = await buildApp({ config, db: handle.db, clock, webDir, logger: false })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: address,
    app,
    db: handle.db,
    config,
    clock,
    async close() {
      await app.close()
      await handle.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
export type TestServer = Awaited<ReturnType<typeof startTestServer>>

/** The last TOTP step used per server and staff email: a code is accepted once (±1 step window). */
const usedSteps = new Map<string, number>()

/**
 * Signs a demo staff member in on `page` the way a person does: email and demo password, then the
 * code from the demo TOTP secret at the server's clock. Codes are single-use, so a second sign-in
 * of the same person within one 30 s step uses the next step's code (accepted one step early); a
 * third needs the clock moved on (a manual clock: advance it 30 s).
 */
export async function signInDemoStaff(page: Page, server: TestServer, email: string): Promise<void> {
  const key = `${server.url} ${email}`
  const current = Math.floor(server.clock.now().getTime() / 30_000)
  const step = Math.max((usedSteps.get(key) ?? -1) + 1, current)
  if (step > current + 1) throw new Error(`no unused TOTP code left for ${email} now: move the clock on 30 s`)
  usedSteps.set(key, step)
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByLabel('Authenticator code').fill(demoStaffTotpCode(new Date(step * 30_000)))
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/**
 * Signs a demo customer in on `page`: email and demo password, then, for a customer who turned on
 * an authenticator with `totpSecret`, its code at the server's clock. A code is accepted once: a
 * test signing the same customer in again within 30 s moves its manual clock on first.
 */
export async function signInDemoCustomer(page: Page, server: TestServer, email: string, totpSecret?: string) {
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  if (totpSecret) {
    await page.getByLabel('Authenticator code').fill(totpCodeAt(totpSecret, server.clock.now()))
    await page.getByRole('button', { name: 'Continue' }).click()
  }
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** Calls the API from the page, the way the web app does (session cookie + CSRF header). */
export async function apiFromPage<T>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const csrf = decodeURIComponent(/(?:^|;\s*)bulwark_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? '')
      const response = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
      })
      return response.json()
    },
    { method, url, body },
  ) as Promise<T>
}
