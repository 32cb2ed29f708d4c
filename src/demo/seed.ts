/**
 * @module The demo exchange seeded on first start: staff of each role, a few customers, and
 * some activity. Every demo account shares one password, printed at start-up; every demo staff
 * member has TOTP on with one shared secret (staff routes need a second factor), also printed.
 * The people, their TOTP and the `demo_install` mark are written in one transaction, so a database
 * is a demo (public outbox, banner) only when this seed created it. Domains add their own demo
 * data by appending a seeder to `domainSeeders`.
 */

import { securityRow } from '../accounts/repo.ts'
import { createSealer } from '../accounts/sealing.ts'
import { totpCodeAt, totpUri } from '../accounts/totp.ts'
import { seedP2pDemo } from '../p2p/demo.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { countUsers, createUser } from '../platform/identity/users.ts'
import { type StaffRole, staffRoles } from '../platform/rbac.ts'
import { markDemoInstall } from '../platform/settings.ts'
import { seedPorDemo } from '../por/demo-rounds.ts'
import { seedRiskDemo } from '../risk/demo.ts'

export const DEMO_PASSWORD = 'correct-horse-bulwark-demo'

/**
 * The TOTP secret of every demo staff member (base32, 160 bits). Public like the demo password:
 * add it to an authenticator app, or print the current code with `npx bulwark demo totp`.
 */
export const DEMO_STAFF_TOTP_SECRET = 'BULWARKDEMOSTAFFSECRETTOTP234567'

/** The current authenticator code of the demo staff accounts. */
export function demoStaffTotpCode(at: Date): string {
  return totpCodeAt(DEMO_STAFF_TOTP_SECRET, at)
}

/** The otpauth:// URI of the demo staff secret, for an authenticator app. */
export function demoStaffTotpUri(): string {
  return totpUri(DEMO_STAFF_TOTP_SECRET, 'demo staff', 'Bulwark demo')
}

export type DemoLogin = { email: string; kind: 'customer' | 'staff'; role: string | null }
export type DemoSeeder = (ctx: {
  db: Db
  clock: Clock
  users: Record<string, string>
  /** DATA_DIR, for seeders that write files (proof-of-reserves trees); absent: they skip that part. */
  dataDir?: string
}) => Promise<void>

export const demoCustomers = [
  { key: 'alice', email: 'alice@demo.bulwark', displayName: 'Alice Martin' },
  { key: 'bruno', email: 'bruno@demo.bulwark', displayName: 'Bruno Keller' },
  { key: 'chloe', email: 'chloe@demo.bulwark', displayName: 'Chloé Dubois' },
  { key: 'dmitri', email: 'dmitri@demo.bulwark', displayName: 'Dmitri Novak' },
] as const

export const demoStaff = staffRoles.map((role: StaffRole) => ({
  key: role,
  email: `${role.replace('_', '.')}@staff.bulwark`,
  displayName: role
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' '),
  role,
}))

/** Seeders other domains register (P2P ads, PoR rounds, risk alerts…), run after people exist. */
export const domainSeeders: DemoSeeder[] = []
domainSeeders.push(seedP2pDemo)
domainSeeders.push(seedPorDemo)
domainSeeders.push(seedRiskDemo)

export function demoLogins(): DemoLogin[] {
  return [
    ...demoStaff.map((s) => ({ email: s.email, kind: 'staff' as const, role: s.role })),
    ...demoCustomers.map((c) => ({ email: c.email, kind: 'customer' as const, role: null })),
  ]
}

/**
 * Seeds the demo exchange when the database has no people yet. Returns whether it seeded.
 * `config` gives the key sealing the staff TOTP secret (the server must read it back).
 */
export async function seedDemoIfEmpty({
  db,
  clock,
  config,
  dataDir,
}: {
  db: Db
  clock: Clock
  config: Pick<Config, 'ACCOUNTS_SEALING_KEY' | 'EXCHANGE_ID'>
  dataDir?: string
}): Promise<boolean> {
  if ((await countUsers(db)) > 0) return false
  const sealer = createSealer(config.ACCOUNTS_SEALING_KEY, config.EXCHANGE_ID)
  const now = clock.now()
  // One transaction: the demo mark exists exactly when the seed created these people in an empty
  // database. The ten argon2 hashes run inside it; nobody else uses a database being created.
  const users = await db.transaction().execute(async (tx) => {
    if ((await countUsers(tx)) > 0) return null
    const created: Record<string, string> = {}
    for (const s of demoStaff) {
      const user = await createUser(tx, {
        email: s.email,
        displayName: s.displayName,
        kind: 'staff',
        role: s.role,
        password: DEMO_PASSWORD,
      })
      created[s.key] = user.id
      await securityRow(tx, user.id)
      await tx
        .updateTable('account_security')
        .set({ totp_secret: sealer.seal(DEMO_STAFF_TOTP_SECRET), totp_enabled_at: now, totp_last_step: null })
        .where('user_id', '=', user.id)
        .execute()
    }
    for (const c of demoCustomers) {
      const user = await createUser(tx, {
        email: c.email,
        displayName: c.displayName,
        kind: 'customer',
        password: DEMO_PASSWORD,
      })
      created[c.key] = user.id
    }
    await markDemoInstall(tx, now)
    await appendAudit(tx, {
      actor: 'system',
      action: 'demo.seeded',
      target: '',
      details: { people: Object.keys(created).length, staffTotp: true },
    })
    await appendAudit(tx, {
      actor: `staff:${created.security_admin}`,
      action: 'staff.role_changed',
      target: `user:${created.support}`,
      details: { from: 'auditor', to: 'support', note: 'demo history' },
    })
    return created
  })
  if (!users) return false
  for (const seeder of domainSeeders) await seeder({ db, clock, users, ...(dataDir ? { dataDir } : {}) })
  return true
}
