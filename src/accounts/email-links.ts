/**
 * @module Single-use links sent by email (confirm an address, reset a password, approve a device,
 * "This wasn't me", confirm an email change). Only the token's SHA-256 is stored; the token itself
 * travels in the link's fragment.
 */
import { AppError } from '../platform/errors.ts'
import { randomToken, tokenDigest } from '../platform/identity/tokens.ts'
import type { Executor } from './repo.ts'
import type { EmailTokensTable } from './tables.ts'

export type EmailLinkPurpose = EmailTokensTable['purpose']

export const linkInvalid = () =>
  new AppError('LINK_INVALID', 400, 'This link has expired or was already used.')

export type IssueEmailLinkParameters = {
  userId: string
  purpose: EmailLinkPurpose
  at: Date
  validForMs: number
  /** For 'device_approval': the device the link approves. */
  deviceId?: string
  /** For 'wasnt_me': the alert the link answers. */
  alertId?: string
  /** For 'email_change': the address being confirmed. */
  newEmail?: string
}

/**
 * Stores a new link token and returns it (to be put in the email, never stored in clear).
 *
 * @example
 * const token = await issueEmailLink(deps.db, { userId, purpose: 'password_reset', at, validForMs: RESET_MS })
 */
export async function issueEmailLink(
  db: Executor,
  { userId, purpose, at, validForMs, deviceId, alertId, newEmail }: IssueEmailLinkParameters,
): Promise<string> {
  const token = randomToken(32)
  await db
    .insertInto('email_tokens')
    .values({
      token_digest: tokenDigest(token),
      user_id: userId,
      purpose,
      device_id: deviceId ?? null,
      alert_id: alertId ?? null,
      ...(newEmail === undefined ? {} : { new_email: newEmail }),
      created_at: at,
      expires_at: new Date(at.getTime() + validForMs),
      used_at: null,
    })
    .execute()
  return token
}

/**
 * Marks an unused, unexpired link of this purpose as used and returns what it was issued for, or
 * throws LINK_INVALID. Marking and checking are one statement, so a link works once even when it is
 * opened twice at the same moment.
 */
export async function redeemEmailLink(db: Executor, token: string, purpose: EmailLinkPurpose, at: Date) {
  const row = await db
    .updateTable('email_tokens')
    .set({ used_at: at })
    .where('token_digest', '=', tokenDigest(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning(['user_id', 'device_id', 'alert_id', 'new_email'])
    .executeTakeFirst()
  if (!row) throw linkInvalid()
  return row
}
