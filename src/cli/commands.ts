/**
 * @module Every CLI group, by name. Add one line per group.
 */
import { auditCommands } from './audit.ts'
import { dbCommands } from './db.ts'
import { serveCommand } from './serve.ts'
import { staffCommands } from './staff.ts'
import type { CliGroup } from './types.ts'

export const commands: Record<string, CliGroup> = {
  serve: serveCommand,
  db: dbCommands,
  audit: auditCommands,
  staff: staffCommands,
}
