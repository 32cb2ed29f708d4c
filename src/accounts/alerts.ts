/**
 * @module Security alerts: stored, pushed live to open pages, and emailed, each with a "This wasn't
 * me" action. That action freezes the account: it can still be viewed, but nothing can be changed,
 * nothing withdrawn and its API keys stop working, until a support staff member unfreezes it.
 */
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
import { quoteUserText } from '../platform/user-text.ts'
import type { LiveAlert } from './alert-hub.ts'
import { type AccountsDeps, HOUR_MS, publicUrl, sendInBackground } from './context.ts'
import { issueEmailLink, redeemEmailLink } from './email-links.ts'
import { securityRow, userRow } from './repo.ts'

/** Alert details that carry text a person typed (an API key label, a passkey name). */
const USER_TYPED_DETAILS = new Set(['label', 'name'])

export const alertTitles = {
  new_device_signin: 'New sign-in from a device we had not seen',
  two_factor_failures: 'Several wrong two-factor codes were entered',
  password_changed: 'Your password was changed',
  password_reset: 'Your password was reset by email',
  two_factor_enabled: 'Two-factor authentication was turned on',
  two_factor_disabled: 'Two-factor authentication was turned off',
  recovery_codes_regenerated: 'New recovery codes were generated',
  passkey_added: 'A passkey was added',
  passkey_removed: 'A passkey was removed',
  anti_phishing_changed: 'Your anti-phishing code was changed',
  whitelist_changed: 'Your withdrawal whitelist was changed',
  api_key_created: 'An API key was created',
  email_changed: 'The email address of your account was changed',
} as const
export type AlertKind = keyof typeof alertTitles

/** How long the "This wasn't me" link in an alert email works. */
const WASNT_ME_LINK_MS = 7 * 24 * HOUR_MS

/**
 * Records an alert, pushes it to the customer's open pages and emails it (with the anti-phishing
 * code and a single-use "This wasn't me" link). Email failures are recorded in the audit log,
 * never thrown: the change the alert reports has already happened.
 */
export async function raiseAlert(
  deps: AccountsDeps,
  userId: string,
  kind: AlertKind,
  details: Record<string, unknown> = {},
  /** Another mailbox that must hear of it too (the old address after an email change). */
  alsoTo?: string,
): Promise<LiveAlert> {
  const at = deps.clock.now()
  const row = await deps.db
    .insertInto('security_alerts')
    .values({ user_id: userId, kind, at, details: JSON.stringify(details), wasnt_me_at: null })
    .returning(['id'])
    .executeTakeFirstOrThrow()
  const security = await securityRow(deps.db, userId)
  const alert: LiveAlert = {
    id: row.id,
    kind,
    at: at.toISOString(),
    title: alertTitles[kind],
    details,
    antiPhishingCode: security.anti_phishing_code,
  }
  deps.hub.publish(userId, alert)
  const user = await userRow(deps.db, userId)
  const token = await issueEmailLink(deps.db, {
    userId,
    purpose: 'wasnt_me',
    alertId: row.id,
    at,
    validForMs: WASNT_ME_LINK_MS,
  })
  // Labels and names a person typed are quoted and said to be theirs (see platform/user-text.ts).
  const lines = Object.entries(details).map(([k, v]) =>
    USER_TYPED_DETAILS.has(k)
      ? `  ${k}: ${quoteUserText(String(v))} (typed by whoever made the change)`
      : `  ${k}: ${String(v)}`,
  )
  // The change the alert reports has happened; a mail failure must not turn it into an error.
  const mail = {
    subject: `Security alert: ${alertTitles[kind]}`,
    text: [
      `${alertTitles[kind]} (${at.toISOString()}).`,
      ...(lines.length ? ['', ...lines] : []),
      '',
      'If this was you, there is nothing to do.',
      `If this wasn't you, freeze your account now: ${publicUrl(deps.config)}/security/wasnt-me#${token}`,
    ].join('\n'),
  }
  for (const to of new Set([user.email, ...(alsoTo ? [alsoTo] : [])])) sendInBackground(deps, { to, ...mail })
  return alert
}

export type FreezeParameters = { userId: string; actor: string; reason: string; alertId?: string }

/** Freezes an account: no changes, no withdrawals, API keys suspended. Idempotent. */
export async function freezeAccount(
  deps: AccountsDeps,
  { userId, actor, reason, alertId }: FreezeParameters,
) {
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await securityRow(tx, userId)
    await tx.updateTable('users').set({ status: 'frozen', updated_at: at }).where('id', '=', userId).execute()
    await tx
      .updateTable('account_security')
      .set({ frozen_at: at, frozen_reason: reason })
      .where('user_id', '=', userId)
      .execute()
    if (alertId) {
      await tx
        .updateTable('security_alerts')
        .set({ wasnt_me_at: at })
        .where('id', '=', alertId)
        .where('user_id', '=', userId)
        .execute()
    }
    await appendAudit(tx, {
      actor,
      action: 'accounts.frozen',
      target: `user:${userId}`,
      details: { reason, ...(alertId ? { alertId } : {}) },
      at,
    })
  })
  deps.events.publish({ type: 'account_frozen', at: at.toISOString(), account: userId, reason })
}

/** "This wasn't me" from the signed-in customer, on one of their alerts. */
export async function reportWasntMe(deps: AccountsDeps, userId: string, alertId: string) {
  const alert = await deps.db
    .selectFrom('security_alerts')
    .select(['id', 'kind'])
    .where('id', '=', alertId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (!alert) throw errors.notFound('The alert')
  await freezeAccount(deps, {
    userId,
    actor: `user:${userId}`,
    reason: `wasnt_me:${alert.kind}`,
    alertId,
  })
}

/** "This wasn't me" from the link in an alert email (works without signing in; single use). */
export async function reportWasntMeByToken(deps: AccountsDeps, token: string) {
  const row = await redeemEmailLink(deps.db, token, 'wasnt_me', deps.clock.now())
  await freezeAccount(deps, {
    userId: row.user_id,
    actor: `user:${row.user_id}`,
    reason: 'wasnt_me:email_link',
    ...(row.alert_id ? { alertId: row.alert_id } : {}),
  })
}

/** Support lifts a freeze after review; the note lands in the audit log. */
export async function unfreezeAccount(deps: AccountsDeps, staffId: string, userId: string, note: string) {
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    const user = await tx.selectFrom('users').select(['status']).where('id', '=', userId).executeTakeFirst()
    if (user?.status !== 'frozen') throw errors.notFound('A frozen account with this id')
    await tx.updateTable('users').set({ status: 'active', updated_at: at }).where('id', '=', userId).execute()
    await tx
      .updateTable('account_security')
      .set({ frozen_at: null, frozen_reason: null })
      .where('user_id', '=', userId)
      .execute()
    await appendAudit(tx, {
      actor: `staff:${staffId}`,
      action: 'accounts.unfrozen',
      target: `user:${userId}`,
      details: { note },
      at,
    })
  })
  deps.events.publish({ type: 'account_unfrozen', at: at.toISOString(), account: userId })
}
