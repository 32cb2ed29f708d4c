/**
 * @module `bulwark audit verify`: recomputes the audit log's hash chain and reports "intact" or the
 * first entry that was changed, removed or reordered (exit 1).
 */
import { parseArgs } from 'node:util'
import { appendAudit, verifyAuditChain } from '../platform/audit.ts'
import { loadConfig } from '../platform/config.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import type { CliGroup } from './types.ts'

export const auditCommands: CliGroup = {
  summary: 'The tamper-evident audit log',
  verbs: {
    verify: {
      summary: 'Verify the hash chain of the audit log',
      usage: '[--json]',
      async run(args, io) {
        const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } })
        const handle = await openConfiguredDatabase(loadConfig(io.env))
        try {
          const result = await verifyAuditChain(handle.db)
          if (result.intact) {
            await appendAudit(handle.db, {
              actor: 'cli',
              action: 'audit.verified',
              target: '',
              details: { intact: true, entries: result.entries },
            })
          }
          if (values.json) io.stdout(`${JSON.stringify(result)}\n`)
          else if (result.intact)
            io.stdout(
              `intact: ${result.entries} entries${result.head ? `, head ${result.head.seq} ${result.head.hash}` : ''}\n`,
            )
          else io.stdout(`BROKEN at entry ${result.seq} (${result.problem}): ${result.message}\n`)
          return result.intact ? 0 : 1
        } finally {
          await handle.close()
        }
      },
    },
  },
}
