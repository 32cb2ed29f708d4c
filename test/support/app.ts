/**
 * @module An app on a real test database, with a movable clock and helpers to sign in the way a
 * browser does (cookies + CSRF header).
 */

import { totpCodeAt } from '../../src/accounts/totp.ts'
import { buildApp } from '../../src/app.ts'
import { createManualClock, type ManualClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { loadKek } from '../../src/platform/crypto/field-encryption.ts'
import type { Db } from '../../src/platform/db/index.ts'
import { createEventBus, type PlatformEvent } from '../../src/platform/events.ts'
import { withPersonalFields } from '../../src/platform/identity/personal-fields.ts'
import { createUser } from '../../src/platform/identity/users.ts'
import type { StaffRole } from '../../src/platform/rbac.ts'
import type { RiskService } from '../../src/risk/service.ts'
import { createTestDatabase } from './db.ts'

/** Ed25519 seed for audit tree heads in tests only (never a real key). */
export const TEST_AUDIT_SIGNING_KEY = '7e57'.repeat(16)

export const TEST_PASSWORD = 'test-password-long-enough'

export type TestSession = { cookie: string; csrf: string; headers: Record<string, string> }

export type TestAppOptions = {
  /** Build the app's risk service (default: the bundled engine). */
  risk?: (db: Db, clock: ManualClock) => RiskService
}

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}) {
  const database = await createTestDatabase()
  const clock: ManualClock = createManualClock(new Date())
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
    OPS_PUBLIC_RATE_LIMIT_MAX: '100000',
    // A fixed test-only audit signing key, so no test writes a generated one into ./data.
    AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    ...env,
  })
  const events = createEventBus()
  const published: PlatformEvent[] = []
  events.subscribe((e) => {
    published.push(e)
  })
  // The handle the app uses: with a DATA_KEK, people's emails and names are sealed through it and
  // opened in what it reads, so tests create people and read rows as the app does.
  const db = await withPersonalFields(database.db, loadKek(config))
  const app = await buildApp({
    config,
    db,
    clock,
    events,
    logger: false,
    ...(options.risk ? { risk: options.risk(db, clock) } : {}),
  })
  let counter = 0

  /** TOTP secrets of the staff createStaff enrolled, with the last step used (codes are single-use). */
  const staffTotp = new Map<string, { secret: string; lastStep: number }>()

  /**
   * The next unused authenticator code for an enrolled staff member. Codes are single-use and the
   * server accepts one step either side of now; when those are used up, the test clock moves on to
   * the next 30 s step, as a person waits for the next code.
   */
  function nextStaffCode(email: string): string {
    const totp = staffTotp.get(email)
    if (!totp) throw new Error(`${email} has no TOTP enrolled by createStaff`)
    const current = () => Math.floor(clock.now().getTime() / 30_000)
    const step = Math.max(totp.lastStep + 1, current() - 1)
    if (step > current() + 1) clock.advance((step - 1 - current()) * 30_000)
    totp.lastStep = step
    return totpCodeAt(totp.secret, new Date(step * 30_000))
  }

  /**
   * Tells signIn the TOTP secret a test enrolled for a customer through the routes, so that later
   * sign-ins answer the second step with the next unused code (as for staff).
   */
  function rememberTotp(email: string, secret: string): void {
    staffTotp.set(email, { secret, lastStep: Math.floor(clock.now().getTime() / 30_000) })
  }

  /** The browser's cookies after sign-in: the session, CSRF and device cookies set on the way. */
  function sessionOf(...responses: Array<{ cookies: unknown }>): TestSession {
    const byName = new Map<string, string>()
    for (const r of responses)
      for (const c of r.cookies as Array<{ name: string; value: string }>) byName.set(c.name, c.value)
    const cookies = [...byName].map(([name, value]) => ({ name, value }))
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const csrf = cookies.find((c) => c.name === 'bulwark_csrf')!.value
    return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } }
  }

  /** Signs in like the web app: password, then (staff from createStaff) the authenticator code. */
  async function signIn(email: string, password = TEST_PASSWORD): Promise<TestSession> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password },
    })
    if (response.statusCode === 202 && response.json().status === 'second_factor_required') {
      const device = (response.cookies as Array<{ name: string; value: string }>).find(
        (c) => c.name === 'bulwark_device',
      )!
      const second = await app.inject({
        method: 'POST',
        url: '/api/auth/signin/second-factor',
        headers: { cookie: `${device.name}=${device.value}` },
        payload: { ticket: response.json().ticket, totpCode: nextStaffCode(email) },
      })
      if (second.statusCode !== 200) throw new Error(`second factor failed for ${email}: ${second.body}`)
      return sessionOf(response, second)
    }
    if (response.statusCode !== 200) throw new Error(`sign-in failed for ${email}: ${response.body}`)
    return sessionOf(response)
  }

  /**
   * A staff member of `role`, signed in. Staff routes answer only staff with a second factor, so by
   * default the member enrols TOTP through the Security routes (as the web app does) and signs in
   * again with password + code; `{ secondFactor: false }` leaves them with a password-only session.
   */
  async function createStaff(role: StaffRole, { secondFactor = true }: { secondFactor?: boolean } = {}) {
    const email = `${role}-${++counter}@test.bulwark`
    const user = await createUser(db, {
      email,
      displayName: role,
      kind: 'staff',
      role,
      password: TEST_PASSWORD,
    })
    const first = await signIn(email)
    if (!secondFactor) return { user, email, session: first }
    const setup = await app.inject({
      method: 'POST',
      url: '/api/accounts/totp/setup',
      headers: first.headers,
    })
    if (setup.statusCode !== 200) throw new Error(`TOTP set-up failed for ${email}: ${setup.body}`)
    const totp = { secret: setup.json().secret as string, lastStep: -1 }
    staffTotp.set(email, totp)
    const confirm = await app.inject({
      method: 'POST',
      url: '/api/accounts/totp/confirm',
      headers: first.headers,
      payload: { code: nextStaffCode(email) },
    })
    if (confirm.statusCode !== 200) throw new Error(`TOTP confirm failed for ${email}: ${confirm.body}`)
    await app.inject({ method: 'POST', url: '/api/auth/signout', headers: first.headers })
    return { user, email, session: await signIn(email), totpSecret: totp.secret }
  }

  async function createCustomer(name = 'customer') {
    const email = `${name}-${++counter}@test.bulwark`
    const user = await createUser(db, {
      email,
      displayName: name,
      kind: 'customer',
      password: TEST_PASSWORD,
    })
    return { user, email, session: await signIn(email) }
  }

  return {
    app,
    db,
    /** The same database without opening sealed values: what is stored at rest. */
    storedDb: database.db,
    engine: database.engine,
    clock,
    config,
    events: published,
    signIn,
    nextStaffCode,
    rememberTotp,
    createStaff,
    createCustomer,
    async close() {
      await app.close()
      await database.close()
    },
  }
}
export type TestApp = Awaited<ReturnType<typeof createTestApp>>
