/**
 * @module Security alerts: stored, pushed live to open pages, and emailed, each with a "This wasn't
 * me" action. That action freezes the account: it can still be viewed, but nothing can be changed,
 * nothing withdrawn and its API keys stop working, until a support staff member unfreezes it.
 * It also throws the intruder out for good: every session but the reporter's ends (all of them when
 * reported from the email link), the API keys the reported session created or used are revoked,
 * and withdrawals lock for 72 hours. Unfreezing restores none of that.
 */
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
import { quoteUserText } from '../platform/user-text.ts'
import type { LiveAlert } from './alert-hub.ts'
import { type AccountsDeps, HOUR_MS, publicUrl, sendInBackground } from './context.ts'
import { issueEmailLink, redeemEmailLink } from './email-links.ts'
import { type Executor, securityRow, userRow } from './repo.ts'
import { startWithdrawalLock } from './withdrawal-locks.ts'

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
  /** The session whose action raised it: what "This wasn't me" names as the intruder's. */
  origin?: { sessionId: string },
): Promise<LiveAlert> {
  const at = deps.clock.now()
  const row = await deps.db
    .insertInto('security_alerts')
    .values({
      user_id: userId,
      kind,
      at,
      details: JSON.stringify(details),
      wasnt_me_at: null,
      session_id: origin?.sessionId ?? null,
    })
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

export type FreezeParameters = {
  userId: string
  actor: string
  reason: string
  alertId?: string
  /** A "This wasn't me" report: end sessions, revoke the intruder's keys, lock withdrawals. */
  evict?: { keepSessionId: string | null; reportedSessionId: string | null }
}

/**
 * Ends every session of the account but `keepSessionId`, and revokes the API keys the reported
 * session created, or that were used from its IP since it began (when the alert names no session:
 * the keys created in the 24 hours before the alert by any other session). Returns the counts.
 */
async function evictIntruder(
  tx: Executor,
  userId: string,
  alertAt: Date | null,
  { keepSessionId, reportedSessionId }: NonNullable<FreezeParameters['evict']>,
  at: Date,
) {
  const sessions = await tx
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .$if(keepSessionId !== null, (q) => q.where('id', '!=', keepSessionId!))
    .executeTakeFirst()
  const reported = reportedSessionId
    ? await tx
        .selectFrom('sessions')
        .select(['id', 'ip', 'created_at'])
        .where('id', '=', reportedSessionId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
    : undefined
  let keys = tx
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
  if (reported) {
    keys = keys.where((eb) =>
      eb.or([
        eb('created_session_id', '=', reported.id),
        eb.and([eb('last_used_ip', '=', reported.ip), eb('last_used_at', '>=', reported.created_at)]),
      ]),
    )
  } else {
    const since = new Date((alertAt ?? at).getTime() - 24 * HOUR_MS)
    keys = keys.where('created_at', '>=', since)
    if (keepSessionId !== null) {
      keys = keys.where((eb) =>
        eb.or([eb('created_session_id', 'is', null), eb('created_session_id', '!=', keepSessionId)]),
      )
    }
  }
  const revoked = await keys.returning(['id']).execute()
  return { sessionsEnded: Number(sessions.numUpdatedRows), apiKeysRevoked: revoked.map((k) => k.id) }
}

/** Freezes an account: no changes, no withdrawals, API keys suspended. Idempotent. */
export async function freezeAccount(
  deps: AccountsDeps,
  { userId, actor, reason, alertId, evict }: FreezeParameters,
) {
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await securityRow(tx, userId)
    let evicted: Awaited<ReturnType<typeof evictIntruder>> | undefined
    if (evict) {
      const alert = alertId
        ? await tx.selectFrom('security_alerts').select('at').where('id', '=', alertId).executeTakeFirst()
        : undefined
      evicted = await evictIntruder(tx, userId, alert?.at ?? null, evict, at)
      await startWithdrawalLock(tx, userId, 'reported_intrusion', at)
    }
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
      details: { reason, ...(alertId ? { alertId } : {}), ...(evicted ?? {}) },
      at,
    })
  })
  deps.events.publish({ type: 'account_frozen', at: at.toISOString(), account: userId, reason })
}

/**
 * "This wasn't me" from the signed-in customer, on one of their alerts: freezes the account and
 * evicts the intruder, keeping only the reporter's own session.
 */
export async function reportWasntMe(
  deps: AccountsDeps,
  userId: string,
  alertId: string,
  reporterSessionId: string,
) {
  const alert = await deps.db
    .selectFrom('security_alerts')
    .select(['id', 'kind', 'session_id'])
    .where('id', '=', alertId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (!alert) throw errors.notFound('The alert')
  await freezeAccount(deps, {
    userId,
    actor: `user:${userId}`,
    reason: `wasnt_me:${alert.kind}`,
    alertId,
    evict: { keepSessionId: reporterSessionId, reportedSessionId: alert.session_id },
  })
}

/** "This wasn't me" from the link in an alert email (works without signing in; single use). */
export async function reportWasntMeByToken(deps: AccountsDeps, token: string) {
  const row = await redeemEmailLink(deps.db, token, 'wasnt_me', deps.clock.now())
  const alert = row.alert_id
    ? await deps.db
        .selectFrom('security_alerts')
        .select('session_id')
        .where('id', '=', row.alert_id)
        .executeTakeFirst()
    : undefined
  await freezeAccount(deps, {
    userId: row.user_id,
    actor: `user:${row.user_id}`,
    reason: 'wasnt_me:email_link',
    ...(row.alert_id ? { alertId: row.alert_id } : {}),
    evict: { keepSessionId: null, reportedSessionId: alert?.session_id ?? null },
  })
}

/**
 * Support lifts a freeze after review; the note lands in the audit log. Sessions ended and keys
 * revoked by the report stay ended and revoked, and the withdrawal lock runs its course.
 */
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
