/**
 * @module Re-authentication: a signed-in customer proves again, with the current password or an
 * existing second factor, that they are at the keyboard. The session is then replaced by a new one
 * (new token and CSRF token, the old one ended, as at sign-in: ASVS 7.2.4) that counts as fresh for
 * 5 minutes (see platform/http/reauth.ts); the account's records that point at the session (its
 * device, alerts, API keys it created) move to the new one. Five wrong proofs per account in 15 minutes, from any
 * IP, refuse further attempts with REAUTH_RATE_LIMITED.
 */
import type { Transaction } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Database } from '../platform/db/index.ts'
import { AppError, errors, isAppError } from '../platform/errors.ts'
import { verifyPassword } from '../platform/identity/passwords.ts'
import type { CreateSessionResult } from '../platform/identity/sessions.ts'
import { overFailureLimit, reauthRateLimited, recordCredentialFailure } from './attempts.ts'
import type { AccountsDeps } from './context.ts'
import { userRow } from './repo.ts'
import { type SecondFactorInput, verifySecondFactor } from './two-factor.ts'

export type ReauthParameters = { password?: string | undefined } & SecondFactorInput

export const reauthInvalid = () =>
  new AppError('REAUTH_INVALID', 403, 'That password or code is not correct. Try again.')

/**
 * Checks one proof for the session's user and replaces the session with a re-authenticated one.
 * @example const { session } = await reauthenticate(deps, { userId, sessionId, ip, userAgent }, { password })
 */
export async function reauthenticate(
  deps: AccountsDeps,
  { userId, sessionId, ip, userAgent }: { userId: string; sessionId: string; ip: string; userAgent: string },
  input: ReauthParameters,
): Promise<{ method: string; session: CreateSessionResult }> {
  const subject = `user:${userId}`
  const at = deps.clock.now()
  if (await overFailureLimit(deps.db, 'reauth', subject, at)) {
    await appendAudit(deps.db, {
      actor: subject,
      action: 'accounts.reauth_rate_limited',
      target: subject,
      details: { ip },
      at,
    })
    throw reauthRateLimited()
  }
  const method = await checkProof(deps, userId, input)
  if (method === null) {
    await recordCredentialFailure(deps.db, 'reauth', subject, at)
    await appendAudit(deps.db, {
      actor: subject,
      action: 'accounts.reauth_failed',
      target: subject,
      details: { ip },
      at,
    })
    throw reauthInvalid()
  }
  const session = await deps.sessions.rotate(sessionId, { userAgent, ip }, movePointersToSession)
  if (!session) throw errors.unauthenticated()
  await appendAudit(deps.db, {
    actor: subject,
    action: 'accounts.reauthenticated',
    target: subject,
    details: { method, ip },
    at,
  })
  return { method, session }
}

/**
 * The device binding, alerts and API keys of the ended session now name its successor; run inside
 * the rotation's transaction, so a crash cannot leave them pointing at an ended session.
 */
async function movePointersToSession(tx: Transaction<Database>, from: string, to: string) {
  await tx.updateTable('session_devices').set({ session_id: to }).where('session_id', '=', from).execute()
  await tx.updateTable('security_alerts').set({ session_id: to }).where('session_id', '=', from).execute()
  await tx
    .updateTable('api_keys')
    .set({ created_session_id: to })
    .where('created_session_id', '=', from)
    .execute()
}

/** The method that proved it, or null for a wrong proof. Other refusals (2FA locked) are thrown. */
async function checkProof(deps: AccountsDeps, userId: string, input: ReauthParameters) {
  if (input.password !== undefined) {
    const user = await userRow(deps.db, userId)
    return (await verifyPassword(user.password_hash, input.password)) ? 'password' : null
  }
  if (!input.totpCode && !input.recoveryCode && !input.passkeyResponse) {
    throw errors.invalidInput('Give your password, a two-factor code or a passkey.', { field: 'password' })
  }
  try {
    return (await verifySecondFactor(deps, userId, input)).method
  } catch (error) {
    if (isAppError(error) && error.code === 'SECOND_FACTOR_INVALID') return null
    throw error
  }
}
