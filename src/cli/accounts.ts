/**
 * @module `bulwark accounts …`: account-protection operations from the command line — the frozen
 * accounts queue, the withdrawal lock and whitelist decision of a customer, and the mail outbox.
 * Unfreezing stays in the web app (a support staff member, named in the audit log).
 */
import { parseArgs } from 'node:util'
import { canWithdrawTo, withdrawalLock } from '../accounts/index.ts'
import { loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { findUserByEmail } from '../platform/identity/users.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import type { CliGroup } from './types.ts'
import { type CliIo, type CliVerb, UsageError } from './types.ts'

async function withDb<T>(io: CliIo, fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openConfiguredDatabase(loadConfig(io.env))
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function customerId(db: Db, email: string | undefined): Promise<string> {
  if (!email) throw new UsageError('--email is required')
  const user = await findUserByEmail(db, email)
  if (!user) throw new UsageError(`no account with the email ${email}`)
  return user.id
}

const frozen: CliVerb = {
  summary: 'List accounts frozen by "This wasn\'t me", waiting for support',
  usage: '[--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } })
    const rows = await withDb(io, (db) =>
      db
        .selectFrom('users')
        .leftJoin('account_security', 'account_security.user_id', 'users.id')
        .select(['users.id', 'users.email', 'account_security.frozen_at', 'account_security.frozen_reason'])
        .where('users.status', '=', 'frozen')
        .execute(),
    )
    const list = rows.map((r) => ({
      id: r.id,
      email: r.email,
      frozenAt: r.frozen_at?.toISOString() ?? null,
      reason: r.frozen_reason,
    }))
    if (values.json) io.stdout(`${JSON.stringify(list)}\n`)
    else if (list.length === 0) io.stdout('no frozen accounts\n')
    else for (const a of list) io.stdout(`${a.email}\t${a.frozenAt ?? ''}\t${a.reason ?? ''}\n`)
    return 0
  },
}

const lock: CliVerb = {
  summary: 'Show the withdrawal lock of a customer (exit 1 when locked)',
  usage: '--email E [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, json: { type: 'boolean' } } })
    const state = await withDb(io, async (db) =>
      withdrawalLock({ db }, await customerId(db, values.email), new Date()),
    )
    const out = { locked: state.locked, until: state.until?.toISOString() ?? null, reason: state.reason }
    if (values.json) io.stdout(`${JSON.stringify(out)}\n`)
    else io.stdout(state.locked ? `locked until ${out.until} (${out.reason})\n` : 'not locked\n')
    return state.locked ? 1 : 0
  },
}

const check: CliVerb = {
  summary: 'Would a withdrawal to this address be allowed now? (exit 1 when not)',
  usage: '--email E --network N --address A [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        email: { type: 'string' },
        network: { type: 'string' },
        address: { type: 'string' },
        json: { type: 'boolean' },
      },
    })
    if (!values.network || !values.address) throw new UsageError('--network and --address are required')
    const decision = await withDb(io, async (db) =>
      canWithdrawTo({ db }, await customerId(db, values.email), values.network!, values.address!, new Date()),
    )
    if (values.json) io.stdout(`${JSON.stringify(decision)}\n`)
    else io.stdout(decision.allowed ? 'allowed\n' : `refused: ${decision.code} — ${decision.message}\n`)
    return decision.allowed ? 0 : 1
  },
}

const outbox: CliVerb = {
  summary: 'Print the mail outbox (installs without SMTP_URL), newest first',
  usage: '[--to E] [--limit N] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        to: { type: 'string' },
        limit: { type: 'string', default: '10' },
        json: { type: 'boolean' },
      },
    })
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1-1000')
    const rows = await withDb(io, (db) => {
      let q = db.selectFrom('mail_outbox').selectAll().orderBy('sent_at', 'desc').limit(limit)
      if (values.to) q = q.where('to_address', '=', values.to.trim().toLowerCase())
      return q.execute()
    })
    const list = rows.map((r) => ({
      to: r.to_address,
      subject: r.subject,
      sentAt: r.sent_at.toISOString(),
      text: r.text_body,
    }))
    if (values.json) io.stdout(`${JSON.stringify(list)}\n`)
    else for (const m of list) io.stdout(`--- ${m.sentAt} to ${m.to}: ${m.subject}\n${m.text}\n`)
    return 0
  },
}

export const accountsCommands: CliGroup = {
  summary: 'Account protection: frozen accounts, withdrawal locks and checks, mail outbox',
  verbs: { frozen, lock, check, outbox },
}
