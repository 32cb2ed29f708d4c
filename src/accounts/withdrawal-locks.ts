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
