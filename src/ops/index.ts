/**
 * @module Operations: the support desk, the bug bounty and the third-party audit register. Other
 * domains and the CLI import from here.
 */
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import type { Mailer } from '../platform/mail.ts'
import { createAuditRegister } from './audits/register.ts'
import { createBounty } from './bounty/reports.ts'
import { parseSlaTargets } from './support/sla.ts'
import { createSupport } from './support/tickets.ts'

export type { AuditRegister } from './audits/register.ts'
export { cvss4Score, severityOf } from './bounty/cvss4.ts'
export type { Bounty } from './bounty/reports.ts'
export type { Support } from './support/tickets.ts'

export type OpsDeps = { db: Db; clock: Clock; mailer: Mailer; config: Config }

/** The three operations services over one database and mailer. */
export function createOps(deps: OpsDeps) {
  const publicUrl = (deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`).replace(/\/$/, '')
  return {
    support: createSupport({
      db: deps.db,
      clock: deps.clock,
      mailer: deps.mailer,
      sla: parseSlaTargets(deps.config.SUPPORT_SLA_HOURS),
      publicUrl,
    }),
    bounty: createBounty({ db: deps.db, clock: deps.clock, mailer: deps.mailer, publicUrl }),
    audits: createAuditRegister({ db: deps.db, clock: deps.clock, mailer: deps.mailer }),
  }
}
export type Ops = ReturnType<typeof createOps>
