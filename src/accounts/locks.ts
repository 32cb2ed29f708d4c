/**
 * @module Withdrawal locks after security changes. Each trigger starts a lock of its own length;
 * the account is locked until the latest end of all its locks, so a new trigger extends the lock
 * and nothing shortens it (there is deliberately no way, for support either, to end a lock early).
 * The end instant is exclusive: at `until` exactly, withdrawals are allowed again.
 */

const HOUR = 3_600_000

/** Why a lock started, and for how long. */
export const lockDurations = {
  password_changed: 24 * HOUR,
  two_factor_changed: 24 * HOUR,
  passkeys_changed: 24 * HOUR,
  anti_phishing_changed: 24 * HOUR,
  whitelist_changed: 24 * HOUR,
  new_device_after_password_change: 24 * HOUR,
  email_changed: 72 * HOUR,
  account_recovered: 72 * HOUR,
  /** "This wasn't me": someone else was in the account. */
  reported_intrusion: 72 * HOUR,
} as const
export type LockReason = keyof typeof lockDurations

/** How recent a password change must be for a new-device sign-in to lock withdrawals. */
export const NEW_DEVICE_AFTER_PASSWORD_WINDOW_MS = 24 * HOUR

export type LockRecord = { reason: string; startedAt: Date; until: Date }
export type LockState = { locked: boolean; until: Date | null; reason: string | null }

/** The lock in force at `at` given every lock ever started (pure; see withdrawalLock for the db form). */
export function lockAt(records: readonly LockRecord[], at: Date): LockState {
  let latest: LockRecord | null = null
  for (const r of records) {
    if (r.startedAt.getTime() > at.getTime()) continue
    if (r.until.getTime() <= at.getTime()) continue
    if (!latest || r.until.getTime() > latest.until.getTime()) latest = r
  }
  return latest
    ? { locked: true, until: latest.until, reason: latest.reason }
    : { locked: false, until: null, reason: null }
}

export function lockEnd(reason: LockReason, startedAt: Date): Date {
  return new Date(startedAt.getTime() + lockDurations[reason])
}
