/**
 * @module Email + password sign-in. The answer for a wrong password, an unknown email and a
 * disabled account is the same (and costs the same time), so it does not reveal who has an
 * account. Every attempt is in the audit log and published as an event for risk scoring.
 */

import { appendAudit } from '../audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import type { EventBus } from '../events.ts'
import { verifyPassword } from './passwords.ts'
import type { CreateSessionResult, Sessions } from './sessions.ts'
import { findUserByEmail, presentUser, type UserView } from './users.ts'

export type SignInParameters = { email: string; password: string; userAgent: string; ip: string }
export type SignInResult = { user: UserView; session: CreateSessionResult }

export const invalidCredentials = () =>
  new AppError('INVALID_CREDENTIALS', 401, 'The email or password is incorrect.')

export function createSignIn({
  db,
  sessions,
  events,
  clock,
}: {
  db: Db
  sessions: Sessions
  events: EventBus
  clock: Clock
}) {
  return async function signIn({ email, password, userAgent, ip }: SignInParameters): Promise<SignInResult> {
    const user = await findUserByEmail(db, email)
    const ok = await verifyPassword(user?.password_hash ?? null, password)
    const at = clock.now()
    if (!user || !ok || user.status === 'disabled') {
      await appendAudit(db, {
        actor: user ? `user:${user.id}` : 'anonymous',
        action: 'auth.signin_failed',
        target: user ? `user:${user.id}` : '',
        details: {
          email: email.slice(0, 254).toLowerCase(),
          ip,
          reason: !user ? 'unknown_email' : !ok ? 'wrong_password' : 'disabled',
        },
      })
      events.publish({
        type: 'signin_failed',
        at: at.toISOString(),
        ...(user ? { account: user.id } : {}),
        ip,
      })
      throw invalidCredentials()
    }
    const session = await sessions.create({ userId: user.id, userAgent, ip })
    await appendAudit(db, {
      actor: `user:${user.id}`,
      action: 'auth.signin',
      target: `user:${user.id}`,
      details: { ip, userAgent: userAgent.slice(0, 200) },
    })
    events.publish({
      type: 'signin',
      at: at.toISOString(),
      account: user.id,
      ip,
      userAgent: userAgent.slice(0, 200),
    })
    return { user: presentUser(user), session }
  }
}
