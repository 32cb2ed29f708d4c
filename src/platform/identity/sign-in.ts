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
import { AppError, isAppError } from '../errors.ts'
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
  /**
   * Before the password is checked: throws when this email address has used up its wrong
   * guesses (counted per address across IPs, known or unknown alike).
   */
  beforePassword?(email: string, context: SignInContext): Promise<void>
  /** After a refused password (wrong, unknown email, disabled account, or risk-blocked). */
  afterFailure?(email: string, context: SignInContext): Promise<void>
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

/** The risk engine's synchronous decision at sign-in (src/risk), as sign-in needs it. */
export type SignInRisk = {
  engine: {
    assess(event: {
      v: 1
      type: 'signin'
      id: string
      at: number
      account: string
      ip: string
      device?: string
    }): {
      decision: 'allow' | 'review' | 'block'
      reasons: Array<{ code: string }>
    }
  }
}

type SignInDeps = {
  db: Db
  sessions: Sessions
  events: EventBus
  clock: Clock
  signInGate?: SignInGate | undefined
  risk?: SignInRisk | undefined
}

/**
 * A sign-in the risk engine blocks answers exactly like a wrong password (status, code, message),
 * so it does not confirm to a credential stuffer that the password was right; the audit log and
 * the analyst alert say what really happened.
 */
export const signInBlocked = invalidCredentials

/** Creates the session of a completed sign-in, with its audit entry and event. */
export async function startSession(
  { db, sessions, events, clock, risk }: SignInDeps,
  userId: string,
  { userAgent, ip }: { userAgent: string; ip: string },
): Promise<CreateSessionResult> {
  // Every way into a session (password, second factor, passkey) passes the risk engine here.
  const riskEventId = assessSignIn({ db, sessions, events, clock, risk }, userId, clock.now(), { ip })
  if (riskEventId === null) {
    await appendAudit(db, {
      actor: `user:${userId}`,
      action: 'auth.signin_blocked_by_risk',
      target: `user:${userId}`,
      details: { ip },
    })
    throw signInBlocked()
  }
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
    // Already decided by the risk engine at the gate below: stored for the timeline, not re-scored.
    ...(riskEventId ? { id: riskEventId, riskAssessed: true } : {}),
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
    const context = { userAgent, ip, deviceToken }
    if (signInGate?.beforePassword) await signInGate.beforePassword(email, context)
    const user = await findUserByEmail(db, email)
    const ok = await verifyPassword(user?.password_hash ?? null, password)
    const at = clock.now()
    if (!user || !ok || user.status === 'disabled') {
      await signInGate?.afterFailure?.(email, context)
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
    const gate = signInGate ? await signInGate.afterPassword(user, context) : null
    if (gate?.outcome === 'pending') return { status: 'pending', pending: gate }
    const session = await startSession(deps, user.id, { userAgent, ip }).catch(async (error: unknown) => {
      // A risk block counts against the address like a wrong password (it answers like one).
      if (isAppError(error) && error.code === 'INVALID_CREDENTIALS')
        await signInGate?.afterFailure?.(email, context)
      throw error
    })
    if (gate) await signInGate!.onSession(user.id, session.sessionId, gate, context)
    return {
      status: 'signed_in',
      user: presentUser(user),
      session,
      ...(gate ? { deviceToken: gate.deviceToken } : {}),
    }
  }
}

/**
 * Asks the risk engine about a sign-in whose credentials checked out. Returns the id of the
 * assessed event, null when the engine blocks it, or undefined when no engine is configured.
 *
 * Policy: a person who presented every factor is refused only when an operator's rule takes part
 * in the block (e.g. a sanctioned counterparty, a written "block after N failures" rule). A block
 * that comes from the unsupervised behaviour model alone becomes an analyst alert instead: the
 * model is good at noticing unusual sequences, not at deciding to lock people out.
 */
function assessSignIn(
  deps: SignInDeps,
  userId: string,
  at: Date,
  context: { ip: string },
): string | null | undefined {
  if (!deps.risk) return undefined
  const id = crypto.randomUUID()
  const decision = deps.risk.engine.assess({
    v: 1,
    type: 'signin',
    id,
    at: at.getTime(),
    account: userId,
    ...context,
  })
  const ruleBlocks = decision.decision === 'block' && decision.reasons.some((r) => r.code.startsWith('rule.'))
  return ruleBlocks ? null : id
}
