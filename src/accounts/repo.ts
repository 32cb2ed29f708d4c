/**
 * @module Database access shared by the account-protection services.
 */

import type { Transaction } from 'kysely'
import type { Database, Db } from '../platform/db/index.ts'
import { errors } from '../platform/errors.ts'
import { accountFrozen } from '../platform/http/frozen.ts'
import { emailLookups } from '../platform/identity/personal-fields.ts'

export type Executor = Db | Transaction<Database>

/** The user's security settings, created with defaults on first use. */
export async function securityRow(db: Executor, userId: string) {
  const existing = await db
    .selectFrom('account_security')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (existing) return existing
  await db
    .insertInto('account_security')
    .values({
      user_id: userId,
      origin: 'operator',
      email_confirmed_at: null,
      anti_phishing_code: null,
      totp_secret: null,
      totp_enabled_at: null,
      totp_last_step: null,
      totp_failures: 0,
      totp_locked_until: null,
      whitelist_enabled: false,
      whitelist_disable_requested_at: null,
      password_changed_at: null,
      devices_reviewed_at: null,
      password_score: null,
      frozen_at: null,
      frozen_reason: null,
    })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute()
  return db.selectFrom('account_security').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow()
}

export async function userRow(db: Executor, userId: string) {
  const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
  if (!row) throw errors.notFound('The account')
  return row
}

/** The anti-phishing code of the account behind an email, for the mailer. */
export async function antiPhishingCodeForEmail(db: Db, email: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .innerJoin('account_security', 'account_security.user_id', 'users.id')
    .select('account_security.anti_phishing_code')
    .where('users.email_lookup', 'in', emailLookups(db, email))
    .executeTakeFirst()
  return row?.anti_phishing_code ?? null
}

/** Refuses any change to a frozen account (it may only be viewed until support reviews it). */
export function assertNotFrozen(user: { status: string }): void {
  if (user.status === 'frozen') throw accountFrozen()
}
