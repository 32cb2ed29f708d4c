/**
 * @module An app on a real test database, with a movable clock and helpers to sign in the way a
 * browser does (cookies + CSRF header).
 */
import { buildApp } from '../../src/app.ts'
import { createManualClock, type ManualClock } from '../../src/platform/clock.ts'
import { loadConfig } from '../../src/platform/config.ts'
import type { Db } from '../../src/platform/db/index.ts'
import { createEventBus, type PlatformEvent } from '../../src/platform/events.ts'
import { createUser } from '../../src/platform/identity/users.ts'
import type { StaffRole } from '../../src/platform/rbac.ts'
import type { RiskService } from '../../src/risk/service.ts'
import { createTestDatabase } from './db.ts'

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
    ...env,
  })
  const events = createEventBus()
  const published: PlatformEvent[] = []
  events.subscribe((e) => {
    published.push(e)
  })
  const app = await buildApp({
    config,
    db: database.db,
    clock,
    events,
    logger: false,
    ...(options.risk ? { risk: options.risk(database.db, clock) } : {}),
  })
  let counter = 0

  async function signIn(email: string, password = TEST_PASSWORD): Promise<TestSession> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/signin',
      payload: { email, password },
    })
    if (response.statusCode !== 200) throw new Error(`sign-in failed for ${email}: ${response.body}`)
    const cookies = response.cookies as Array<{ name: string; value: string }>
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const csrf = cookies.find((c) => c.name === 'bulwark_csrf')!.value
    return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } }
  }

  async function createStaff(role: StaffRole) {
    const email = `${role}-${++counter}@test.bulwark`
    const user = await createUser(database.db, {
      email,
      displayName: role,
      kind: 'staff',
      role,
      password: TEST_PASSWORD,
    })
    return { user, email, session: await signIn(email) }
  }

  async function createCustomer(name = 'customer') {
    const email = `${name}-${++counter}@test.bulwark`
    const user = await createUser(database.db, {
      email,
      displayName: name,
      kind: 'customer',
      password: TEST_PASSWORD,
    })
    return { user, email, session: await signIn(email) }
  }

  return {
    app,
    db: database.db,
    engine: database.engine,
    clock,
    config,
    events: published,
    signIn,
    createStaff,
    createCustomer,
    async close() {
      await app.close()
      await database.close()
    },
  }
}
export type TestApp = Awaited<ReturnType<typeof createTestApp>>
