/**
 * @module Withdrawal locks stored per trigger. `withdrawalLock(deps, userId, at)` is the public
 * question other domains ask ("may this account withdraw at `at`, and if not until when?").
 */
import { appendAudit } from '../platform/audit.ts'
import { type LockReason, type LockState, lockAt, lockEnd } from './locks.ts'
import type { Executor } from './repo.ts'

/** Starts a lock for `reason` at `at` (inside the caller's transaction when given one). */
export async function startWithdrawalLock(
  db: Executor,
  userId: string,
  reason: LockReason,
  at: Date,
): Promise<Date> {
  const until = lockEnd(reason, at)
  await db.insertInto('withdrawal_locks').values({ user_id: userId, reason, started_at: at, until }).execute()
  await appendAudit(db, {
    actor: 'system',
    action: 'accounts.withdrawal_locked',
    target: `user:${userId}`,
    details: { reason, until: until.toISOString() },
    at,
  })
  return until
}

export type ProtectionChangeParameters = {
  userId: string
  /** The trigger, which sets how long withdrawals stay locked. */
  lock: LockReason
  /** The audit action, e.g. `accounts.passkey_added`. */
  action: string
  details?: Record<string, unknown>
  at: Date
}

/**
 * What every change a customer makes to their account's protection records, inside the change's
 * transaction: the withdrawal lock it triggers and the audit entry naming the customer as actor.
 *
 * @example
 * await recordProtectionChange(tx, { userId, lock: 'passkeys_changed', action: 'accounts.passkey_added', details: { name }, at })
 */
export async function recordProtectionChange(
  tx: Executor,
  { userId, lock, action, details, at }: ProtectionChangeParameters,
): Promise<void> {
  await startWithdrawalLock(tx, userId, lock, at)
  await appendAudit(tx, {
    actor: `user:${userId}`,
    action,
    target: `user:${userId}`,
    ...(details ? { details } : {}),
    at,
  })
}

/**
 * The withdrawal lock in force for a user at `at`: locked until the latest end among its locks.
 * @example const lock = await withdrawalLock({ db }, userId, clock.now()); if (lock.locked) …
 */
export async function withdrawalLock(deps: { db: Executor }, userId: string, at: Date): Promise<LockState> {
  const rows = await deps.db
    .selectFrom('withdrawal_locks')
    .select(['reason', 'started_at', 'until'])
    .where('user_id', '=', userId)
    .where('until', '>', at)
    .execute()
  return lockAt(
    rows.map((r) => ({ reason: r.reason, startedAt: r.started_at, until: r.until })),
    at,
  )
}
