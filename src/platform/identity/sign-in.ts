/**
 * @module Email + password sign-in. The answer for a wrong password, an unknown email and a
 * disabled account is the same (and costs the same time), so it does not reveal who has an
 * account. Every attempt is in the audit log and published as an event for risk scoring.
 * After the password, an optional `gate` (account protection: email confirmation, second factor,
 * new-device approval) may hold the sign-in back with a pending answer instead of a session.
 */

import { appendAudit } from '../audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import type { EventBus } from '../events.ts'
import { verifyPassword } from './passwords.ts'
import type { CreateSessionResult, Sessions } from './sessions.ts'
import { findUserByEmail, presentUser, type UserView } from './users.ts'

/** The long-lived cookie naming the browser ("device") a sign-in comes from. */
export const DEVICE_COOKIE = 'bulwark_device'

export type SignInContext = { userAgent: string; ip: string; deviceToken: string | undefined }
export type SignInGateAllow = { outcome: 'allow'; deviceToken: string; deviceId: string; newDevice: boolean }
export type SignInGatePending = {
  outcome: 'pending'
  deviceToken: string
  status: 'second_factor_required' | 'device_approval_required'
  ticket: string
  methods: string[]
  message: string
}
/** What account protection decides once the password is right. */
export type SignInGate = {
  afterPassword(
    user: { id: string; email: string; status: string },
    context: SignInContext,
  ): Promise<SignInGateAllow | SignInGatePending>
  /** Called with the new session of an allowed sign-in (binds it to its device). */
  onSession(
    userId: string,
    sessionId: string,
    allowed: SignInGateAllow,
    context: SignInContext,
  ): Promise<void>
}

export type SignInParameters = {
  email: string
  password: string
  userAgent: string
  ip: string
  deviceToken?: string | undefined
}
export type SignInResult =
  | { status: 'signed_in'; user: UserView; session: CreateSessionResult; deviceToken?: string }
  | { status: 'pending'; pending: SignInGatePending }

export const invalidCredentials = () =>
  new AppError('INVALID_CREDENTIALS', 401, 'The email or password is incorrect.')

type SignInDeps = {
  db: Db
  sessions: Sessions
  events: EventBus
  clock: Clock
  signInGate?: SignInGate | undefined
}

/** Creates the session of a completed sign-in, with its audit entry and event. */
export async function startSession(
  { db, sessions, events, clock }: SignInDeps,
  userId: string,
  { userAgent, ip }: { userAgent: string; ip: string },
): Promise<CreateSessionResult> {
  const session = await sessions.create({ userId, userAgent, ip })
  await appendAudit(db, {
    actor: `user:${userId}`,
    action: 'auth.signin',
    target: `user:${userId}`,
    details: { ip, userAgent: userAgent.slice(0, 200) },
  })
  events.publish({
    type: 'signin',
    at: clock.now().toISOString(),
    account: userId,
    ip,
    userAgent: userAgent.slice(0, 200),
  })
  return session
}

export function createSignIn(deps: SignInDeps) {
  const { db, events, clock, signInGate } = deps
  return async function signIn({
    email,
    password,
    userAgent,
    ip,
    deviceToken,
  }: SignInParameters): Promise<SignInResult> {
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
    const context = { userAgent, ip, deviceToken }
    const gate = signInGate ? await signInGate.afterPassword(user, context) : null
    if (gate?.outcome === 'pending') return { status: 'pending', pending: gate }
    const session = await startSession(deps, user.id, { userAgent, ip })
    if (gate) await signInGate!.onSession(user.id, session.sessionId, gate, context)
    return {
      status: 'signed_in',
      user: presentUser(user),
      session,
      ...(gate ? { deviceToken: gate.deviceToken } : {}),
    }
  }
}
