/**
 * @module `bulwark staff create`: creates a staff account from the command line (the first
 * security admin of a fresh install). The password is read from stdin, never from arguments.
 */
import { appendAudit } from '../platform/audit.ts'
import { loadConfig } from '../platform/config.ts'
import { displayNameFromEmail } from '../platform/identity/display-name.ts'
import { passwordPolicyFor } from '../platform/identity/password-policy.ts'
import { createUser } from '../platform/identity/users.ts'
import { isStaffRole, staffRoles } from '../platform/rbac.ts'
import { printJsonLine } from './output.ts'
import { type CliGroup, UsageError } from './types.ts'
import { defineVerb, withDb } from './verb.ts'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

export const staffCommands: CliGroup = {
  summary: 'Staff accounts',
  verbs: {
    create: defineVerb({
      summary: 'Create a staff member; the password is read from standard input',
      usage: `--email E --role (${staffRoles.join('|')}) [--name N] [--json]   (password on stdin)`,
      description:
        'Reads the password from standard input (never an argument, so it stays out of shell history) and applies the same password policy as sign-up. The new member must enrol a second factor before any staff page answers.',
      examples: [
        "printf '%s' \"$PASSWORD\" | bulwark staff create --email ana@exchange.example --role security_admin --name 'Ana Silva'",
      ],
      options: {
        email: {
          type: 'string',
          description: "The staff member's email address (their sign-in).",
          valueName: 'EMAIL',
        },
        role: {
          type: 'string',
          description:
            'Their role: support, risk_analyst, compliance_officer, custody_approver, security_admin or auditor.',
          valueName: 'ROLE',
        },
        name: {
          type: 'string',
          description: "The name shown to other staff (default: taken from the email's mailbox).",
          valueName: 'NAME',
        },
        json: { type: 'boolean' },
      },
      async run({ values }, io) {
        const { email, role } = values
        if (!email || !/^[^@\s]+@[^@\s]+$/.test(email))
          throw new UsageError('--email must be an email address')
        if (!role || !isStaffRole(role))
          throw new UsageError(`--role must be one of ${staffRoles.join(', ')}`)
        const password = (await (io.readStdin ?? readStdin)()).replace(/\r?\n$/, '')
        // The customers' policy, before any second factor exists (the longer minimum applies).
        const verdict = await passwordPolicyFor(loadConfig(io.env)).check(password, {
          email,
          displayName: values.name ?? displayNameFromEmail(email),
          hasSecondFactor: false,
        })
        if (!verdict.ok) throw new UsageError(`the password (stdin) is refused: ${verdict.message}`)
        return withDb(io, async (db) => {
          const user = await createUser(db, {
            email,
            displayName: values.name ?? displayNameFromEmail(email),
            kind: 'staff',
            role,
            password,
          })
          await appendAudit(db, {
            actor: 'cli',
            action: 'staff.created',
            target: `user:${user.id}`,
            details: { email: user.email, role: user.role },
          })
          if (values.json) printJsonLine(io, user)
          else io.stdout(`created ${user.email} (${user.role}) id ${user.id}\n`)
          return 0
        })
      },
    }),
  },
}
