/**
 * @module Every CLI group, by name. Add one line per group.
 */
import { accountsCommands } from './accounts.ts'
import { auditCommands } from './audit.ts'
import { backupCommands } from './backup.ts'
import { custodyCommands } from './custody.ts'
import { dataCommands } from './data.ts'
import { dbCommands } from './db.ts'
import { demoCommands } from './demo.ts'
import { guardCommands } from './guard.ts'
import { opsCommands } from './ops.ts'
import { p2pCommands } from './p2p.ts'
import { porCommands } from './por.ts'
import { riskCommands } from './risk.ts'
import { serveCommand } from './serve.ts'
import { staffCommands } from './staff.ts'
import { travelRuleCommands } from './travel-rule.ts'
import type { CliGroup } from './types.ts'

export const commands: Record<string, CliGroup> = {
  serve: serveCommand,
  db: dbCommands,
  audit: auditCommands,
  backup: backupCommands,
  data: dataCommands,
  accounts: accountsCommands,
  staff: staffCommands,
  risk: riskCommands,
  guard: guardCommands,
  por: porCommands,
  p2p: p2pCommands,
  custody: custodyCommands,
  ops: opsCommands,
  'travel-rule': travelRuleCommands,
  demo: demoCommands,
}
