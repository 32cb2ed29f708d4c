/**
 * @module `bulwark accounts …`: account-protection operations from the command line — the frozen
 * accounts queue, the withdrawal lock and whitelist decision of a customer, and the mail outbox.
 * Unfreezing stays in the web app (a support staff member, named in the audit log).
 */
import { canWithdrawTo, withdrawalLock } from '../accounts/index.ts'
import type { Db } from '../platform/db/index.ts'
import { findUserByEmail } from '../platform/identity/users.ts'
import { printJsonLine } from './output.ts'
import { type CliGroup, UsageError } from './types.ts'
import { defineVerb, required, withDb } from './verb.ts'

async function customerId(db: Db, flag: string | undefined): Promise<string> {
  const email = required(flag, '--email')
  const user = await findUserByEmail(db, email)
  if (!user) throw new UsageError(`no account with the email ${email}`)
  return user.id
}

const frozen = defineVerb({
  summary: 'List accounts frozen by "This wasn\'t me", waiting for support',
  usage: '[--json]',
  examples: ['bulwark accounts frozen', 'bulwark accounts frozen --json'],
  options: { json: { type: 'boolean' } },
  async run({ values }, io) {
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
    if (values.json) printJsonLine(io, list)
    else if (list.length === 0) io.stdout('no frozen accounts\n')
    else for (const a of list) io.stdout(`${a.email}\t${a.frozenAt ?? ''}\t${a.reason ?? ''}\n`)
    return 0
  },
})

const lock = defineVerb({
  summary: 'Show the withdrawal lock of a customer (exit 1 when locked)',
  usage: '--email E [--json]',
  examples: ['bulwark accounts lock --email alice@demo.bulwark'],
  options: {
    email: { type: 'string', description: "The customer's email address.", valueName: 'EMAIL' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const state = await withDb(io, async (db) =>
      withdrawalLock({ db }, await customerId(db, values.email), new Date()),
    )
    const out = { locked: state.locked, until: state.until?.toISOString() ?? null, reason: state.reason }
    if (values.json) printJsonLine(io, out)
    else io.stdout(state.locked ? `locked until ${out.until} (${out.reason})\n` : 'not locked\n')
    return state.locked ? 1 : 0
  },
})

const check = defineVerb({
  summary: 'Would a withdrawal to this address be allowed now? (exit 1 when not)',
  usage: '--email E --network N --address A [--json]',
  examples: [
    'bulwark accounts check --email alice@demo.bulwark --network ethereum --address 0x52908400098527886E0F7030069857D2E4169EE7',
  ],
  options: {
    email: { type: 'string', description: "The customer's email address.", valueName: 'EMAIL' },
    network: {
      type: 'string',
      description: 'The withdrawal network: ethereum, bitcoin, tron, ….',
      valueName: 'NETWORK',
    },
    address: {
      type: 'string',
      description: 'The destination address, checked in canonical form against the whitelist.',
      valueName: 'ADDRESS',
    },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const { network, address } = values
    if (!network || !address) throw new UsageError('--network and --address are required')
    const decision = await withDb(io, async (db) =>
      canWithdrawTo({ db }, await customerId(db, values.email), network, address, new Date()),
    )
    if (values.json) printJsonLine(io, decision)
    else io.stdout(decision.allowed ? 'allowed\n' : `refused: ${decision.code} — ${decision.message}\n`)
    return decision.allowed ? 0 : 1
  },
})

const outbox = defineVerb({
  summary: 'Print the mail outbox (installs without SMTP_URL), newest first',
  usage: '[--to E] [--limit N] [--json]',
  examples: ['bulwark accounts outbox --to alice@demo.bulwark --limit 3'],
  options: {
    to: { type: 'string', description: 'Only messages to this address.', valueName: 'EMAIL' },
    limit: {
      type: 'string',
      default: '10',
      description: 'How many messages, newest first (1-1000).',
      valueName: 'N',
    },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
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
    if (values.json) printJsonLine(io, list)
    else for (const m of list) io.stdout(`--- ${m.sentAt} to ${m.to}: ${m.subject}\n${m.text}\n`)
    return 0
  },
})

export const accountsCommands: CliGroup = {
  summary: 'Account protection: frozen accounts, withdrawal locks and checks, mail outbox',
  verbs: { frozen, lock, check, outbox },
}
