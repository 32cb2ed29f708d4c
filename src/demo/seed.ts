/**
 * @module The demo exchange seeded on first start: staff of each role, a few customers, and
 * some activity. Every demo account shares one password, printed at start-up. Domains add their
 * own demo data by appending a seeder to `domainSeeders`.
 */
import { seedP2pDemo } from '../p2p/demo.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { countUsers, createUser } from '../platform/identity/users.ts'
import { type StaffRole, staffRoles } from '../platform/rbac.ts'
import { seedPorDemo } from '../por/demo-rounds.ts'
import { seedRiskDemo } from '../risk/demo.ts'

export const DEMO_PASSWORD = 'correct-horse-bulwark-demo'

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

/** Seeds the demo exchange when the database has no people yet. Returns whether it seeded. */
export async function seedDemoIfEmpty({
  db,
  clock,
  dataDir,
}: {
  db: Db
  clock: Clock
  dataDir?: string
}): Promise<boolean> {
  if ((await countUsers(db)) > 0) return false
  const users: Record<string, string> = {}
  for (const s of demoStaff) {
    const user = await createUser(db, {
      email: s.email,
      displayName: s.displayName,
      kind: 'staff',
      role: s.role,
      password: DEMO_PASSWORD,
    })
    users[s.key] = user.id
  }
  for (const c of demoCustomers) {
    const user = await createUser(db, {
      email: c.email,
      displayName: c.displayName,
      kind: 'customer',
      password: DEMO_PASSWORD,
    })
    users[c.key] = user.id
  }
  await appendAudit(db, {
    actor: 'system',
    action: 'demo.seeded',
    target: '',
    details: { people: Object.keys(users).length },
  })
  await appendAudit(db, {
    actor: `staff:${users.security_admin}`,
    action: 'staff.role_changed',
    target: `user:${users.support}`,
    details: { from: 'auditor', to: 'support', note: 'demo history' },
  })
  for (const seeder of domainSeeders) await seeder({ db, clock, users, ...(dataDir ? { dataDir } : {}) })
  return true
}
