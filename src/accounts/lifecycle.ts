/**
 * @module The account's life: sign-up with email confirmation, password reset by email (which
 * never bypasses the second factor), password change and the anti-phishing code. Sign-up and reset
 * answer the same whether or not the email has an account, and do the same work either way.
 */
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import { assertDisplayName } from '../platform/identity/display-name.ts'
import { passwordPolicyFor } from '../platform/identity/password-policy.ts'
import { hashPassword, verifyPassword } from '../platform/identity/passwords.ts'
import { emailLookups, sealEmail, sealPendingEmail } from '../platform/identity/personal-fields.ts'
import { tokenDigest } from '../platform/identity/tokens.ts'
import { findUserByEmail, insertUser, normaliseEmail } from '../platform/identity/users.ts'
import { framedUserText } from '../platform/user-text.ts'
import { raiseAlert } from './alerts.ts'
import { assertAntiPhishingCode } from './anti-phishing.ts'
import { type AccountsDeps, HOUR_MS, MINUTE_MS, publicUrl, sendInBackground } from './context.ts'
import { issueEmailLink, linkInvalid, redeemEmailLink } from './email-links.ts'
import { assertNotFrozen, securityRow, userRow } from './repo.ts'
import { type SecondFactorInput, secondFactors, verifySecondFactor } from './two-factor.ts'
import { recordProtectionChange } from './withdrawal-locks.ts'

const CONFIRM_MS = 24 * HOUR_MS
const RESET_MS = 30 * MINUTE_MS

export type SignUpParameters = { email: string; displayName: string; password: string; ip: string }

/**
 * Runs work the answer must not wait for (and must not reveal by its duration): what differs
 * between an email with and without an account happens here, after the caller has answered. A
 * failure lands in the audit log.
 */
function afterAnswer(deps: Pick<AccountsDeps, 'db'>, what: string, work: () => Promise<void>): void {
  // setImmediate, not a bare call: with the embedded database a query runs on this thread, and
  // started now it would delay the answer being written.
  setImmediate(() => runAfterAnswer(deps, what, work))
}

function runAfterAnswer(deps: Pick<AccountsDeps, 'db'>, what: string, work: () => Promise<void>): void {
  work().catch((error: unknown) =>
    appendAudit(deps.db, {
      actor: 'system',
      action: 'accounts.background_failed',
      target: '',
      details: { what, error: error instanceof Error ? error.message.slice(0, 200) : 'unknown' },
    }).catch(() => {
      // The audit log is unreachable too; nothing more can be done.
    }),
  )
}

/**
 * Registers a customer and emails a confirmation link. When the email already has an account, that
 * mailbox gets a "you already have an account" note instead; the caller sees the same answer, after
 * the same work: the password policy, one argon2id hash, one insert and one audit entry. Everything
 * that differs (the security row, the link, the mail) runs after the answer.
 */
export async function signUp(deps: AccountsDeps, { email, displayName, password, ip }: SignUpParameters) {
  const name = assertDisplayName(displayName)
  const normal = normaliseEmail(email)
  const verdict = await passwordPolicyFor(deps.config).assertAcceptable(password, {
    email: normal,
    displayName: name,
    hasSecondFactor: false,
  })
  const passwordHash = await hashPassword(password)
  const created = await insertUser(deps.db, {
    email: normal,
    displayName: name,
    kind: 'customer',
    role: null,
    passwordHash,
  })
  const at = deps.clock.now()
  await appendAudit(deps.db, {
    actor: created ? `user:${created.id}` : 'anonymous',
    action: created ? 'accounts.signed_up' : 'accounts.signup_existing_email',
    target: created ? `user:${created.id}` : '',
    details: { ip },
    at,
  })
  if (!created) {
    afterAnswer(deps, 'signup_existing_email', async () =>
      sendInBackground(deps, {
        to: normal,
        subject: 'Someone tried to open a Bulwark account with your email',
        text: `Someone (IP ${ip}) tried to sign up with this email at ${at.toISOString()}, but you already have an account.\n\nIf it was you, sign in or reset your password: ${publicUrl(deps.config)}/password-reset\nIf not, you can ignore this message.`,
      }),
    )
    return
  }
  afterAnswer(deps, 'signup', async () => {
    await securityRow(deps.db, created.id)
    await deps.db
      .updateTable('account_security')
      .set({ origin: 'signup', password_score: verdict.score, password_changed_at: null })
      .where('user_id', '=', created.id)
      .execute()
    deps.events.publish({ type: 'signup', at: at.toISOString(), account: created.id, ip })
    const token = await issueEmailLink(deps.db, {
      userId: created.id,
      purpose: 'confirm_email',
      at,
      validForMs: CONFIRM_MS,
    })
    sendInBackground(deps, {
      to: normal,
      subject: 'Confirm your email for Bulwark',
      text: `Welcome to Bulwark.\n\nConfirm your email to finish opening your account (link valid 24 hours):\n${publicUrl(deps.config)}/signup/confirm#${token}\n\n${framedUserText('The name given for this account', name, 'whoever opened the account')}\nIf you did not open a Bulwark account, ignore this email.`,
    })
  })
}

/** Confirms the email named by a confirmation link (single use). */
export async function confirmEmail(deps: AccountsDeps, token: string) {
  const at = deps.clock.now()
  const row = await redeemEmailLink(deps.db, token, 'confirm_email', at)
  await deps.db
    .updateTable('account_security')
    .set({ email_confirmed_at: at })
    .where('user_id', '=', row.user_id)
    .execute()
  await appendAudit(deps.db, {
    actor: `user:${row.user_id}`,
    action: 'accounts.email_confirmed',
    target: `user:${row.user_id}`,
    at,
  })
}

/**
 * Emails a reset link when the account exists. The answer comes after the same work either way (one
 * lookup, one audit entry); the link and the mail are made after the answer.
 */
export async function requestPasswordReset(deps: AccountsDeps, email: string, ip: string) {
  const user = await findUserByEmail(deps.db, email)
  const at = deps.clock.now()
  const known = user !== undefined && user.status !== 'disabled'
  await appendAudit(deps.db, {
    actor: 'anonymous',
    action: known ? 'accounts.password_reset_requested' : 'accounts.password_reset_unknown',
    target: known ? `user:${user.id}` : '',
    details: { ip },
    at,
  })
  if (!known) return
  afterAnswer(deps, 'password_reset', async () => {
    const token = await issueEmailLink(deps.db, {
      userId: user.id,
      purpose: 'password_reset',
      at,
      validForMs: RESET_MS,
    })
    sendInBackground(deps, {
      to: user.email,
      subject: 'Reset your Bulwark password',
      text: `Someone (IP ${ip}) asked to reset your password at ${at.toISOString()}.\n\nIf it was you, choose a new password within 30 minutes: ${publicUrl(deps.config)}/password-reset#${token}\nYou will also need your two-factor code or passkey if you set one up. Withdrawals stay locked for 72 hours after a reset.\n\nIf it was not you, ignore this email: your password has not changed.`,
    })
  })
}

/**
 * Sets a new password from a reset link. When the account has a second factor, the factor is
 * required too (a mailbox alone never takes over a protected account). Ends every session and
 * locks withdrawals for 72 h (account recovery).
 */
export async function completePasswordReset(
  deps: AccountsDeps,
  { token, password, ...factor }: { token: string; password: string } & SecondFactorInput,
) {
  const at = deps.clock.now()
  const pending = await deps.db
    .selectFrom('email_tokens')
    .select(['user_id'])
    .where('token_digest', '=', tokenDigest(token))
    .where('purpose', '=', 'password_reset')
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst()
  if (!pending) throw linkInvalid()
  const user = await userRow(deps.db, pending.user_id)
  const factors = await secondFactors(deps, user.id)
  const { score } = await passwordPolicyFor(deps.config).assertAcceptable(password, {
    email: user.email,
    displayName: user.display_name,
    hasSecondFactor: factors.any,
  })
  if (factors.any) await verifySecondFactor(deps, user.id, factor)
  const passwordHash = await hashPassword(password)
  await deps.db.transaction().execute(async (tx) => {
    const used = await tx
      .updateTable('email_tokens')
      .set({ used_at: at })
      .where('token_digest', '=', tokenDigest(token))
      .where('used_at', 'is', null)
      .executeTakeFirst()
    if (Number(used.numUpdatedRows) !== 1) throw linkInvalid()
    await tx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: at })
      .where('id', '=', user.id)
      .execute()
    await tx
      .updateTable('account_security')
      .set({ password_changed_at: at, password_score: score, email_confirmed_at: at })
      .where('user_id', '=', user.id)
      .execute()
    await tx
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .execute()
    await recordProtectionChange(tx, {
      userId: user.id,
      lock: 'account_recovered',
      action: 'accounts.password_reset',
      at,
    })
  })
  deps.events.publish({ type: 'password_changed', at: at.toISOString(), account: user.id, reason: 'reset' })
  await raiseAlert(deps, user.id, 'password_reset')
}

/** Changes the password of a signed-in customer: current password, plus second factor when on. */
export async function changePassword(
  deps: AccountsDeps,
  userId: string,
  keepSessionId: string,
  {
    currentPassword,
    newPassword,
    ...factor
  }: { currentPassword: string; newPassword: string } & SecondFactorInput,
) {
  const user = await userRow(deps.db, userId)
  assertNotFrozen(user)
  if (!(await verifyPassword(user.password_hash, currentPassword))) {
    throw new AppError('PASSWORD_INCORRECT', 403, 'Your current password is not correct.')
  }
  const factors = await secondFactors(deps, userId)
  const { score } = await passwordPolicyFor(deps.config).assertAcceptable(newPassword, {
    email: user.email,
    displayName: user.display_name,
    hasSecondFactor: factors.any,
  })
  if (factors.any) await verifySecondFactor(deps, userId, factor)
  const passwordHash = await hashPassword(newPassword)
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: at })
      .where('id', '=', userId)
      .execute()
    await tx
      .updateTable('account_security')
      .set({ password_changed_at: at, password_score: score })
      .where('user_id', '=', userId)
      .execute()
    // Other sessions end: whoever knew the old password is signed out everywhere else.
    await tx
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('id', '!=', keepSessionId)
      .where('revoked_at', 'is', null)
      .execute()
    await recordProtectionChange(tx, {
      userId,
      lock: 'password_changed',
      action: 'accounts.password_changed',
      at,
    })
  })
  deps.events.publish({ type: 'password_changed', at: at.toISOString(), account: userId })
  await raiseAlert(deps, userId, 'password_changed')
}

/** Sets or changes the anti-phishing code (second factor required when one is on). */
export async function setAntiPhishingCode(
  deps: AccountsDeps,
  userId: string,
  code: string,
  factor: SecondFactorInput,
) {
  assertAntiPhishingCode(code)
  assertNotFrozen(await userRow(deps.db, userId))
  const factors = await secondFactors(deps, userId)
  if (factors.any) await verifySecondFactor(deps, userId, factor)
  const at = deps.clock.now()
  const previous = await securityRow(deps.db, userId)
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('account_security')
      .set({ anti_phishing_code: code })
      .where('user_id', '=', userId)
      .execute()
    await recordProtectionChange(tx, {
      userId,
      lock: 'anti_phishing_changed',
      action: 'accounts.anti_phishing_code_set',
      details: { first: previous.anti_phishing_code === null },
      at,
    })
  })
  deps.events.publish({ type: 'anti_phishing_changed', at: at.toISOString(), account: userId })
  await raiseAlert(deps, userId, 'anti_phishing_changed')
}

const EMAIL_CHANGE_MS = 24 * HOUR_MS

/**
 * Starts an email change: after the current password (and second factor when on), a link goes to
 * the new address. The answer is the same whether or not the new address is taken.
 */
export async function requestEmailChange(
  deps: AccountsDeps,
  userId: string,
  { newEmail, currentPassword, ...factor }: { newEmail: string; currentPassword: string } & SecondFactorInput,
) {
  const user = await userRow(deps.db, userId)
  assertNotFrozen(user)
  if (!(await verifyPassword(user.password_hash, currentPassword))) {
    throw new AppError('PASSWORD_INCORRECT', 403, 'Your current password is not correct.')
  }
  const factors = await secondFactors(deps, userId)
  if (factors.any) await verifySecondFactor(deps, userId, factor)
  const normal = normaliseEmail(newEmail)
  if (normal === user.email)
    throw errors.invalidInput('This is already your email address.', { field: 'newEmail' })
  const taken = await findUserByEmail(deps.db, normal)
  const at = deps.clock.now()
  await appendAudit(deps.db, {
    actor: `user:${userId}`,
    action: 'accounts.email_change_requested',
    target: `user:${userId}`,
    at,
  })
  if (taken) {
    sendInBackground(deps, {
      to: normal,
      subject: 'Someone tried to move a Bulwark account to your email',
      text: 'Someone tried to change the email of a Bulwark account to this address, which already has an account. Nothing was changed.',
    })
    return
  }
  const token = await issueEmailLink(deps.db, {
    userId,
    purpose: 'email_change',
    newEmail: sealPendingEmail(deps.db, normal),
    at,
    validForMs: EMAIL_CHANGE_MS,
  })
  sendInBackground(deps, {
    to: normal,
    subject: 'Confirm your new email for Bulwark',
    text: `Confirm that this is the new email of your Bulwark account (link valid 24 hours):\n${publicUrl(deps.config)}/security/email/confirm#${token}\n\nWithdrawals are locked for 72 hours after the change.`,
  })
}

/** Confirms an email change from the link sent to the new address; locks withdrawals for 72 h. */
export async function confirmEmailChange(deps: AccountsDeps, token: string) {
  const at = deps.clock.now()
  const { userId, oldEmail, newEmail } = await deps.db.transaction().execute(async (tx) => {
    const row = await redeemEmailLink(tx, token, 'email_change', at)
    if (!row.new_email) throw linkInvalid()
    const user = await userRow(tx, row.user_id)
    assertNotFrozen(user)
    const changed = await tx
      .updateTable('users')
      .set({ ...sealEmail(tx, row.new_email), updated_at: at })
      .where('id', '=', row.user_id)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('users as other')
              .select('other.id')
              .where('other.email_lookup', 'in', emailLookups(tx, row.new_email!)),
          ),
        ),
      )
      .executeTakeFirst()
    if (Number(changed.numUpdatedRows) !== 1)
      throw errors.conflict('EMAIL_TAKEN', 'This email now belongs to another account.')
    await tx
      .updateTable('account_security')
      .set({ email_confirmed_at: at })
      .where('user_id', '=', row.user_id)
      .execute()
    await recordProtectionChange(tx, {
      userId: row.user_id,
      lock: 'email_changed',
      action: 'accounts.email_changed',
      details: { from: user.email, to: row.new_email },
      at,
    })
    return { userId: row.user_id, oldEmail: user.email, newEmail: row.new_email }
  })
  deps.events.publish({ type: 'email_changed', at: at.toISOString(), account: userId })
  await raiseAlert(deps, userId, 'email_changed', { from: oldEmail, to: newEmail }, oldEmail)
}
