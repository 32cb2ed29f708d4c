/**
 * @module `bulwark audit verify`: recomputes the audit log's hash chain and reports "intact" or the
 * first entry that was changed, removed or reordered (exit 1).
 */
import { appendAudit, verifyAuditChain } from '../platform/audit.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb, withDb } from './verb.ts'

export const auditCommands: CliGroup = {
  summary: 'The tamper-evident audit log',
  verbs: {
    verify: defineVerb({
      summary: 'Verify the hash chain of the audit log',
      usage: '[--json]',
      options: { json: { type: 'boolean' } },
      run: ({ values }, io) =>
        withDb(io, async (db) => {
          const result = await verifyAuditChain(db)
          if (result.intact) {
            await appendAudit(db, {
              actor: 'cli',
              action: 'audit.verified',
              target: '',
              details: { intact: true, entries: result.entries },
            })
          }
          if (values.json) printJsonLine(io, result)
          else if (result.intact)
            io.stdout(
              `intact: ${result.entries} entries${result.head ? `, head ${result.head.seq} ${result.head.hash}` : ''}\n`,
            )
          else io.stdout(`BROKEN at entry ${result.seq} (${result.problem}): ${result.message}\n`)
          return result.intact ? 0 : 1
        }),
    }),
  },
}
