/**
 * @module `bulwark ops …`: operations jobs. `overdue` alerts security admins about third-party
 * audit findings past their due date (the server also runs it every hour); run it from cron on
 * installs where the server is not always up.
 */
import { mailerFor } from '../accounts/index.ts'
import { createOps } from '../ops/index.ts'
import { systemClock } from '../platform/clock.ts'
import { loadConfig } from '../platform/config.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb } from './verb.ts'

export const opsCommands: CliGroup = {
  summary: 'Operations: overdue third-party audit findings',
  verbs: {
    overdue: defineVerb({
      summary: 'Email every security admin the audit findings past their due date (once a day per finding)',
      usage: '[--json]',
      description:
        'Finds open or fixed-but-not-retested findings of third-party security audits whose due date has passed, mails the list to every active security admin (with their anti-phishing code) and records the alert in the audit log. A finding is mailed at most once a day, so running it more often is harmless. Exit 1 when overdue findings exist, so a scheduler can flag it.',
      examples: ['bulwark ops overdue', 'bulwark ops overdue --json'],
      exitCodes: '1: at least one finding is overdue (whether or not it was mailed this time)',
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const config = loadConfig(io.env)
        const handle = await openConfiguredDatabase(config)
        try {
          const ops = createOps({
            db: handle.db,
            clock: systemClock,
            mailer: mailerFor(handle.db, systemClock, config),
            config,
          })
          const result = await ops.audits.alertOverdue('cli')
          if (values.json) printJsonLine(io, result)
          else
            io.stdout(
              `${result.overdue} overdue finding(s); ${result.alerted} newly alerted to ${result.recipients} security admin(s)\n`,
            )
          return result.overdue > 0 ? 1 : 0
        } finally {
          await handle.close()
        }
      },
    }),
  },
}
