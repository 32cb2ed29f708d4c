/**
 * @module Second factors: TOTP enrolment (QR code + confirmation code), recovery codes, and the one
 * verification path used at sign-in, at password reset and for sensitive actions. Five wrong codes
 * in a row lock second-factor attempts for 15 minutes and raise an alert.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import QRCode from 'qrcode'
import { appendAudit } from '../platform/audit.ts'
import { AppError } from '../platform/errors.ts'
import { raiseAlert } from './alerts.ts'
import type { AccountsDeps } from './context.ts'
import { accountsDeps, type BaseDeps } from './deps.ts'
import { verifyPasskeyAssertion } from './passkeys.ts'
import { looksLikeRecoveryCode, newRecoveryCodes, recoveryCodeDigest } from './recovery-codes.ts'
import { assertNotFrozen, type Executor, securityRow, userRow } from './repo.ts'
import { newTotpSecret, TOTP_LOCK_MS, TOTP_MAX_FAILURES, totpUri, verifyTotp } from './totp.ts'
import { recordProtectionChange } from './withdrawal-locks.ts'

export type SecondFactorInput = {
  totpCode?: string | undefined
  recoveryCode?: string | undefined
  passkeyResponse?: AuthenticationResponseJSON | undefined
}

export const secondFactorRequired = (methods: string[]) =>
  new AppError(
    'SECOND_FACTOR_REQUIRED',
    403,
    methods.length
      ? 'Confirm with your authenticator code or a passkey.'
      : 'Turn on two-factor authentication or add a passkey in Security center first.',
    { details: { methods } },
  )
export const secondFactorInvalid = () =>
  new AppError(
    'SECOND_FACTOR_INVALID',
    403,
    'That code is not valid. Check your authenticator app and try again.',
  )

/** Which second factors an account has. */
export async function secondFactors(deps: Pick<AccountsDeps, 'db'>, userId: string) {
  const security = await securityRow(deps.db, userId)
  const passkeys = await deps.db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  const totp = security.totp_enabled_at !== null
  const passkeyCount = Number(passkeys.n)
  const methods = [...(totp ? ['totp', 'recovery_code'] : []), ...(passkeyCount > 0 ? ['passkey'] : [])]
  return { totp, passkeys: passkeyCount, methods, any: methods.length > 0 }
}

/**
 * Verifies one second factor for `userId`, counting failures. Throws SECOND_FACTOR_REQUIRED when
 * nothing usable was given, SECOND_FACTOR_INVALID for a wrong or replayed code, TWO_FACTOR_LOCKED
 * while locked after five failures.
 */
export async function verifySecondFactor(deps: AccountsDeps, userId: string, input: SecondFactorInput) {
  const factors = await secondFactors(deps, userId)
  if (!factors.any) throw secondFactorRequired([])
  const now = deps.clock.now()
  const security = await securityRow(deps.db, userId)
  if (security.totp_locked_until && security.totp_locked_until.getTime() > now.getTime()) {
    throw locked(security.totp_locked_until)
  }
  const totpCode = input.totpCode?.trim()
  const recovery = input.recoveryCode?.trim()
  if (input.passkeyResponse && factors.passkeys > 0) {
    try {
      await verifyPasskeyAssertion(deps, userId, input.passkeyResponse)
    } catch (error) {
      await recordFailure(deps, userId, false, 'passkey')
      throw error
    }
    await resetFailures(deps, userId)
    return { method: 'passkey' as const }
  }
  if (totpCode && factors.totp && security.totp_secret) {
    const secret = deps.sealer.open(security.totp_secret)
    const lastStep = security.totp_last_step === null ? null : Number(security.totp_last_step)
    const check = verifyTotp(secret, totpCode, now, lastStep)
    if (check.valid) {
      // Conditional update: of two concurrent requests with the same code, only one wins.
      const won = await deps.db
        .updateTable('account_security')
        .set({ totp_last_step: String(check.step), totp_failures: 0 })
        .where('user_id', '=', userId)
        .where((eb) =>
          eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(check.step))]),
        )
        .executeTakeFirst()
      if (Number(won.numUpdatedRows) === 1) return { method: 'totp' as const }
    }
    await recordFailure(deps, userId, check.valid ? true : check.replay)
    throw secondFactorInvalid()
  }
  if (recovery && factors.totp && looksLikeRecoveryCode(recovery)) {
    const used = await deps.db
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_digest', '=', recoveryCodeDigest(recovery))
      .where('used_at', 'is', null)
      .returning(['id'])
      .executeTakeFirst()
    if (used) {
      await resetFailures(deps, userId)
      await appendAudit(deps.db, {
        actor: `user:${userId}`,
        action: 'accounts.recovery_code_used',
        target: `user:${userId}`,
        at: now,
      })
      return { method: 'recovery_code' as const }
    }
    await recordFailure(deps, userId, false, 'recovery_code')
    throw secondFactorInvalid()
  }
  if (totpCode || recovery) {
    await recordFailure(deps, userId)
    throw secondFactorInvalid()
  }
  throw secondFactorRequired(factors.methods)
}

function locked(until: Date) {
  return new AppError(
    'TWO_FACTOR_LOCKED',
    429,
    `Too many wrong codes. Two-factor attempts are locked until ${until.toISOString()}.`,
    { details: { until: until.toISOString() } },
  )
}

async function resetFailures(deps: AccountsDeps, userId: string) {
  await deps.db
    .updateTable('account_security')
    .set({ totp_failures: 0 })
    .where('user_id', '=', userId)
    .execute()
}

async function recordFailure(deps: AccountsDeps, userId: string, replay = false, method = 'totp') {
  const now = deps.clock.now()
  const row = await deps.db
    .updateTable('account_security')
    .set((eb) => ({ totp_failures: eb('totp_failures', '+', 1) }))
    .where('user_id', '=', userId)
    .returning(['totp_failures'])
    .executeTakeFirstOrThrow()
  await appendAudit(deps.db, {
    actor: `user:${userId}`,
    action: 'accounts.second_factor_failed',
    target: `user:${userId}`,
    details: { failures: row.totp_failures, replay },
    at: now,
  })
  deps.events.publish({
    type: 'second_factor_failed',
    at: now.toISOString(),
    account: userId,
    method,
    replay,
  })
  if (row.totp_failures >= TOTP_MAX_FAILURES) {
    const until = new Date(now.getTime() + TOTP_LOCK_MS)
    await deps.db
      .updateTable('account_security')
      .set({ totp_failures: 0, totp_locked_until: until })
      .where('user_id', '=', userId)
      .execute()
    await appendAudit(deps.db, {
      actor: 'system',
      action: 'accounts.second_factor_locked',
      target: `user:${userId}`,
      details: { until: until.toISOString() },
      at: now,
    })
    await raiseAlert(deps, userId, 'two_factor_failures', {
      failures: TOTP_MAX_FAILURES,
      lockedUntil: until.toISOString(),
    })
    throw locked(until)
  }
}

/**
 * Confirms a sensitive action (whitelist change, escrow release, …) with the user's second factor.
 * Throws AppError SECOND_FACTOR_REQUIRED (none given, or none enrolled) or SECOND_FACTOR_INVALID.
 * @example await confirmSensitiveAction(deps, { userId, totpCode: body.totpCode })
 */
export async function confirmSensitiveAction(
  deps: BaseDeps,
  input: {
    userId: string
    totpCode?: string | undefined
    passkeyResponse?: AuthenticationResponseJSON | undefined
  },
): Promise<{ method: 'totp' | 'passkey' | 'recovery_code' }> {
  const full = accountsDeps(deps)
  const user = await userRow(full.db, input.userId)
  assertNotFrozen(user)
  return verifySecondFactor(full, input.userId, {
    totpCode: input.totpCode,
    passkeyResponse: input.passkeyResponse,
  })
}

/** Starts TOTP enrolment: a new secret (sealed, not yet active) and its QR code. */
export async function beginTotpEnrolment(deps: AccountsDeps, userId: string) {
  const user = await userRow(deps.db, userId)
  assertNotFrozen(user)
  const security = await securityRow(deps.db, userId)
  if (security.totp_enabled_at) {
    throw new AppError('TOTP_ALREADY_ENABLED', 409, 'Two-factor authentication is already on.')
  }
  const secret = newTotpSecret()
  await deps.db
    .updateTable('account_security')
    .set({ totp_secret: deps.sealer.seal(secret), totp_last_step: null })
    .where('user_id', '=', userId)
    .execute()
  const uri = totpUri(secret, user.email)
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) }
}

/** Stores `codes` as the user's recovery codes; every earlier code stops working. */
async function replaceRecoveryCodes(tx: Executor, userId: string, codes: string[]) {
  await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
  await tx
    .insertInto('recovery_codes')
    .values(codes.map((c) => ({ user_id: userId, code_digest: recoveryCodeDigest(c), used_at: null })))
    .execute()
}

/** Turns TOTP on once the customer proves their app shows the right code; returns 10 recovery codes. */
export async function confirmTotpEnrolment(deps: AccountsDeps, userId: string, code: string) {
  const security = await securityRow(deps.db, userId)
  if (security.totp_enabled_at)
    throw new AppError('TOTP_ALREADY_ENABLED', 409, 'Two-factor authentication is already on.')
  if (!security.totp_secret)
    throw new AppError('TOTP_NOT_STARTED', 400, 'Start the set-up first to get a QR code.')
  const now = deps.clock.now()
  const check = verifyTotp(deps.sealer.open(security.totp_secret), code.trim(), now, null)
  if (!check.valid) throw secondFactorInvalid()
  const codes = newRecoveryCodes()
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('account_security')
      .set({ totp_enabled_at: now, totp_last_step: String(check.step), totp_failures: 0 })
      .where('user_id', '=', userId)
      .execute()
    await replaceRecoveryCodes(tx, userId, codes)
    await recordProtectionChange(tx, {
      userId,
      lock: 'two_factor_changed',
      action: 'accounts.totp_enabled',
      at: now,
    })
  })
  deps.events.publish({
    type: 'second_factor_changed',
    at: now.toISOString(),
    account: userId,
    change: 'totp_enabled',
  })
  await raiseAlert(deps, userId, 'two_factor_enabled')
  return { recoveryCodes: codes }
}

/** Turns TOTP off; needs a current code (or passkey). */
export async function disableTotp(deps: AccountsDeps, userId: string, input: SecondFactorInput) {
  assertNotFrozen(await userRow(deps.db, userId))
  await verifySecondFactor(deps, userId, input)
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('account_security')
      .set({ totp_enabled_at: null, totp_secret: null, totp_last_step: null })
      .where('user_id', '=', userId)
      .execute()
    await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
    await recordProtectionChange(tx, {
      userId,
      lock: 'two_factor_changed',
      action: 'accounts.totp_disabled',
      at: now,
    })
  })
  deps.events.publish({
    type: 'second_factor_changed',
    at: now.toISOString(),
    account: userId,
    change: 'totp_disabled',
  })
  await raiseAlert(deps, userId, 'two_factor_disabled')
}

/** Replaces the recovery codes (the old ones stop working); needs a second factor. */
export async function regenerateRecoveryCodes(deps: AccountsDeps, userId: string, input: SecondFactorInput) {
  assertNotFrozen(await userRow(deps.db, userId))
  await verifySecondFactor(deps, userId, input)
  const codes = newRecoveryCodes()
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await replaceRecoveryCodes(tx, userId, codes)
    await appendAudit(tx, {
      actor: `user:${userId}`,
      action: 'accounts.recovery_codes_regenerated',
      target: `user:${userId}`,
      at: now,
    })
  })
  await raiseAlert(deps, userId, 'recovery_codes_regenerated')
  return { recoveryCodes: codes }
}
