/**
 * @module `bulwark staff create`: creates a staff account from the command line (the first
 * security admin of a fresh install). The password is read from stdin, never from arguments.
 */
import { parseArgs } from 'node:util'
import { appendAudit } from '../platform/audit.ts'
import { loadConfig } from '../platform/config.ts'
import { createUser } from '../platform/identity/users.ts'
import { isStaffRole, staffRoles } from '../platform/rbac.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { type CliGroup, UsageError } from './types.ts'

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
    create: {
      summary: 'Create a staff member; the password is read from standard input',
      usage: `--email E --role (${staffRoles.join('|')}) [--name N] [--json]   (password on stdin)`,
      async run(args, io) {
        const { values } = parseArgs({
          args,
          options: {
            email: { type: 'string' },
            role: { type: 'string' },
            name: { type: 'string' },
            json: { type: 'boolean' },
          },
        })
        if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email))
          throw new UsageError('--email must be an email address')
        if (!values.role || !isStaffRole(values.role))
          throw new UsageError(`--role must be one of ${staffRoles.join(', ')}`)
        const password = (await (io.readStdin ?? readStdin)()).replace(/\r?\n$/, '')
        if (password.length < 12 || password.length > 128)
          throw new UsageError('the password (stdin) must be 12 to 128 characters')
        const handle = await openConfiguredDatabase(loadConfig(io.env))
        try {
          const user = await createUser(handle.db, {
            email: values.email,
            displayName: values.name ?? values.email,
            kind: 'staff',
            role: values.role,
            password,
          })
          await appendAudit(handle.db, {
            actor: 'cli',
            action: 'staff.created',
            target: `user:${user.id}`,
            details: { email: user.email, role: user.role },
          })
          io.stdout(
            values.json
              ? `${JSON.stringify(user)}\n`
              : `created ${user.email} (${user.role}) id ${user.id}\n`,
          )
          return 0
        } finally {
          await handle.close()
        }
      },
    },
  },
}
