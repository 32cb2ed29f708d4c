/**
 * @module Failed credential checks counted per account across IPs, so spreading guesses over many
 * addresses does not multiply them: 10 wrong sign-ins per email address in 15 minutes, 5 wrong
 * re-authentications per account in 15 minutes. Sign-in counts by email address (known or not), so
 * an unknown address is limited exactly like a real one and the answer reveals nothing.
 */
import { AppError } from '../platform/errors.ts'
import { tokenDigest } from '../platform/identity/tokens.ts'
import { normaliseEmail } from '../platform/identity/users.ts'
import { MINUTE_MS } from './context.ts'
import type { Executor } from './repo.ts'

export const FAILURE_WINDOW_MS = 15 * MINUTE_MS
export const failureLimits = { signin: 10, reauth: 5 } as const
export type CredentialKind = keyof typeof failureLimits

export const tooManySignInAttempts = () =>
  new AppError(
    'TOO_MANY_ATTEMPTS',
    429,
    'Too many wrong sign-ins for this email address. Wait 15 minutes, then try again.',
  )

export const reauthRateLimited = () =>
  new AppError(
    'REAUTH_RATE_LIMITED',
    429,
    'Too many wrong confirmations. Wait 15 minutes before trying again, or sign out and back in.',
  )

/** The subject sign-in failures are counted under: the normalised address, hashed. */
export function signInSubject(email: string): string {
  return `email:${tokenDigest(normaliseEmail(email))}`
}

/** How many failures of `kind` for `subject` lie within the window ending at `at`. */
export async function recentFailures(
  db: Executor,
  kind: CredentialKind,
  subject: string,
  at: Date,
): Promise<number> {
  const row = await db
    .selectFrom('credential_failures')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('kind', '=', kind)
    .where('subject', '=', subject)
    .where('at', '>', new Date(at.getTime() - FAILURE_WINDOW_MS))
    .where('at', '<=', at)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** True when `subject` has used up its failures of `kind` for now. */
export async function overFailureLimit(db: Executor, kind: CredentialKind, subject: string, at: Date) {
  return (await recentFailures(db, kind, subject, at)) >= failureLimits[kind]
}

/** Records one failure (and drops this subject's failures that left the window). */
export async function recordCredentialFailure(
  db: Executor,
  kind: CredentialKind,
  subject: string,
  at: Date,
): Promise<void> {
  await db
    .deleteFrom('credential_failures')
    .where('kind', '=', kind)
    .where('subject', '=', subject)
    .where('at', '<=', new Date(at.getTime() - FAILURE_WINDOW_MS))
    .execute()
  await db.insertInto('credential_failures').values({ kind, subject, at }).execute()
}
