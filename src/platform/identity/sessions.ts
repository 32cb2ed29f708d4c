/**
 * @module Sessions: 256-bit random tokens handed out as httpOnly SameSite cookies and stored only as
 * their SHA-256. A new token (and CSRF token) is issued at every sign-in and re-authentication, and
 * the one presented is ended (no fixation); sessions end after an idle period and at an absolute
 * expiry; "sign out everywhere" revokes them all.
 */
import type { Transaction } from 'kysely'
import type { Clock } from '../clock.ts'
import type { Database, Db } from '../db/index.ts'
import { randomToken, tokenDigest } from './tokens.ts'

export type SessionPolicy = { idleMinutes: number; absoluteHours: number }

export type SessionUser = {
  id: string
  email: string
  kind: 'customer' | 'staff'
  role: string | null
  displayName: string
  status: 'active' | 'disabled' | 'frozen'
  sessionId: string
  csrfToken: string
}

export type CreateSessionParameters = { userId: string; userAgent: string; ip: string }
export type CreateSessionResult = { token: string; csrfToken: string; sessionId: string; expiresAt: Date }

/**
 * How often `last_seen_at` is written: at most once a minute to keep it cheap, and at most a quarter
 * of the idle timeout, so a session in active use never looks idle (with a 1-minute idle timeout a
 * 60 s throttle let requests every 30 s go unrecorded until the session expired mid-use).
 */
export function touchIntervalMs(idleMinutes: number): number {
  return Math.min(60_000, Math.floor((idleMinutes * 60_000) / 4))
}

export function createSessions({ db, clock, policy }: { db: Db; clock: Clock; policy: SessionPolicy }) {
  const touchInterval = touchIntervalMs(policy.idleMinutes)
  return {
    async create({ userId, userAgent, ip }: CreateSessionParameters): Promise<CreateSessionResult> {
      const token = randomToken(32)
      const csrfToken = randomToken(24)
      const now = clock.now()
      const expiresAt = new Date(now.getTime() + policy.absoluteHours * 3_600_000)
      const sessionId = tokenDigest(token)
      await db
        .insertInto('sessions')
        .values({
          id: sessionId,
          user_id: userId,
          csrf_token: csrfToken,
          user_agent: userAgent.slice(0, 512),
          ip,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
          revoked_at: null,
        })
        .execute()
      return { token, csrfToken, sessionId, expiresAt }
    },

    /** Resolves a cookie token to its user, or null when unknown, revoked, idle or expired. */
    async resolve(token: string): Promise<SessionUser | null> {
      if (token.length < 20 || token.length > 100) return null
      const now = clock.now()
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select([
          'sessions.id as sessionId',
          'sessions.csrf_token',
          'sessions.last_seen_at',
          'sessions.expires_at',
          'sessions.revoked_at',
          'users.id',
          'users.email',
          'users.kind',
          'users.role',
          'users.display_name',
          'users.status',
        ])
        .where('sessions.id', '=', tokenDigest(token))
        .executeTakeFirst()
      if (!row || row.revoked_at !== null) return null
      if (row.expires_at.getTime() <= now.getTime()) return null
      if (now.getTime() - row.last_seen_at.getTime() > policy.idleMinutes * 60_000) return null
      if (row.status === 'disabled') return null
      if (now.getTime() - row.last_seen_at.getTime() >= touchInterval) {
        await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.sessionId).execute()
      }
      return {
        id: row.id,
        email: row.email,
        kind: row.kind,
        role: row.role,
        displayName: row.display_name,
        status: row.status,
        sessionId: row.sessionId,
        csrfToken: row.csrf_token,
      }
    },

    async revoke(sessionId: string): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ revoked_at: clock.now() })
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .execute()
    },

    /**
     * Whether the session proved a credential within `windowMs`: its sign-in, or the last
     * re-authentication (see http/reauth.ts). False for an unknown or revoked session.
     */
    async provedWithin(sessionId: string, windowMs: number): Promise<boolean> {
      const row = await db
        .selectFrom('sessions')
        .select(['created_at', 'reauthenticated_at', 'revoked_at'])
        .where('id', '=', sessionId)
        .executeTakeFirst()
      if (!row || row.revoked_at !== null) return false
      const proved = Math.max(row.created_at.getTime(), row.reauthenticated_at?.getTime() ?? 0)
      return clock.now().getTime() - proved <= windowMs
    },

    /**
     * Replaces a session after a fresh proof of a credential (POST /api/auth/reauth): a new token and
     * CSRF token for the same user, marked re-authenticated now, keeping the old session's absolute
     * expiry; the old session is ended. Null when the session is unknown, revoked or expired.
     * `carryOver` runs in the same transaction, so records that name the session (a domain's device
     * binding, alerts…) move to the new one together with the rotation or not at all.
     * @example const next = await sessions.rotate(user.sessionId, { userAgent, ip })
     */
    async rotate(
      sessionId: string,
      { userAgent, ip }: Omit<CreateSessionParameters, 'userId'>,
      carryOver?: (tx: Transaction<Database>, from: string, to: string) => Promise<void>,
    ): Promise<CreateSessionResult | null> {
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const old = await tx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .returning(['user_id', 'expires_at'])
          .executeTakeFirst()
        if (!old) return null
        const token = randomToken(32)
        const csrfToken = randomToken(24)
        const id = tokenDigest(token)
        await tx
          .insertInto('sessions')
          .values({
            id,
            user_id: old.user_id,
            csrf_token: csrfToken,
            user_agent: userAgent.slice(0, 512),
            ip,
            created_at: now,
            last_seen_at: now,
            expires_at: old.expires_at,
            revoked_at: null,
            reauthenticated_at: now,
          })
          .execute()
        await carryOver?.(tx, sessionId, id)
        return { token, csrfToken, sessionId: id, expiresAt: old.expires_at }
      })
    },

    /** Ends every session of a user; returns how many were open. */
    async revokeAll(userId: string): Promise<number> {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: clock.now() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },
  }
}
export type Sessions = ReturnType<typeof createSessions>
