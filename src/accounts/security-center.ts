/**
 * @module The Security center checklist: six items, each with a one-click path to fix it, and a
 * score (percentage done). Also the account-protection summary the pages and API show.
 */
import { type AccountsDeps, HOUR_MS } from './context.ts'
import { securityRow } from './repo.ts'
import { secondFactors } from './two-factor.ts'
import { listWhitelist } from './whitelist.ts'
import { withdrawalLock } from './withdrawal-locks.ts'

const DEVICE_REVIEW_MAX_AGE_MS = 90 * 24 * HOUR_MS

export type ChecklistItem = { id: string; label: string; done: boolean; fixPath: string }

export async function securityOverview(deps: AccountsDeps, userId: string) {
  const now = deps.clock.now()
  const security = await securityRow(deps.db, userId)
  const factors = await secondFactors(deps, userId)
  const whitelist = await listWhitelist(deps.db, userId, now)
  const lock = await withdrawalLock(deps, userId, now)
  const reviewed =
    security.devices_reviewed_at &&
    now.getTime() - security.devices_reviewed_at.getTime() < DEVICE_REVIEW_MAX_AGE_MS
  const items: ChecklistItem[] = [
    {
      id: 'two_factor',
      label: 'Two-factor authentication (authenticator app)',
      done: factors.totp,
      fixPath: '/security/two-factor',
    },
    { id: 'passkey', label: 'A passkey', done: factors.passkeys > 0, fixPath: '/security/passkeys' },
    {
      id: 'anti_phishing',
      label: 'Anti-phishing code',
      done: security.anti_phishing_code !== null,
      fixPath: '/security/anti-phishing',
    },
    {
      id: 'whitelist',
      label: 'Withdrawal whitelist on',
      done: whitelist.requested && whitelist.turnsOffAt === null,
      fixPath: '/security/whitelist',
    },
    {
      id: 'strong_password',
      label: 'Strong password',
      done: (security.password_score ?? 0) >= 3,
      fixPath: '/security/password',
    },
    {
      id: 'devices_reviewed',
      label: 'Devices reviewed in the last 90 days',
      done: Boolean(reviewed),
      fixPath: '/security/devices',
    },
  ]
  return {
    score: Math.round((items.filter((i) => i.done).length / items.length) * 100),
    checklist: items,
    antiPhishingCode: security.anti_phishing_code,
    twoFactor: {
      totp: factors.totp,
      passkeys: factors.passkeys,
      lockedUntil:
        security.totp_locked_until && security.totp_locked_until > now
          ? security.totp_locked_until.toISOString()
          : null,
    },
    emailConfirmed: security.email_confirmed_at !== null,
    frozen: security.frozen_at !== null,
    withdrawalLock: { locked: lock.locked, until: lock.until?.toISOString() ?? null, reason: lock.reason },
  }
}

export async function listAlerts(deps: AccountsDeps, userId: string) {
  const security = await securityRow(deps.db, userId)
  const rows = await deps.db
    .selectFrom('security_alerts')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('at', 'desc')
    .limit(50)
    .execute()
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    at: r.at.toISOString(),
    details: r.details,
    wasntMeAt: r.wasnt_me_at?.toISOString() ?? null,
    antiPhishingCode: security.anti_phishing_code,
  }))
}
