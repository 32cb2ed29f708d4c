/**
 * @module `bulwark demo totp`: the current authenticator code of the demo staff accounts (they all
 * share the public demo TOTP secret printed at start-up), for trying staff pages without an app.
 */
import { DEMO_STAFF_TOTP_SECRET, demoStaffTotpCode, demoStaffTotpUri } from '../demo/seed.ts'
import { systemClock } from '../platform/clock.ts'
import { printJsonLine } from './output.ts'
import type { CliGroup } from './types.ts'
import { defineVerb } from './verb.ts'

export const demoCommands: CliGroup = {
  summary: 'The demo exchange',
  verbs: {
    totp: defineVerb({
      summary: 'Print the current TOTP code of the demo staff accounts (valid about 30 s)',
      usage: '[--json]',
      description:
        'The demo staff accounts have a second factor enrolled with a published demo secret; this prints the code to type at sign-in. Demo installs only.',
      examples: ['bulwark demo totp'],
      options: { json: { type: 'boolean' } },
      async run({ values }, io) {
        const now = systemClock.now()
        const code = demoStaffTotpCode(now)
        if (values.json) {
          printJsonLine(io, {
            code,
            secret: DEMO_STAFF_TOTP_SECRET,
            uri: demoStaffTotpUri(),
            at: now.toISOString(),
          })
        } else io.stdout(`${code}\n`)
        return 0
      },
    }),
  },
}
