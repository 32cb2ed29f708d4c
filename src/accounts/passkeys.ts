/**
 * @module Passkeys (WebAuthn) with @simplewebauthn/server: a customer registers several, signs in
 * with one (as the second step after the password), and uses one to confirm sensitive actions.
 * Every challenge is generated and stored server-side, expires after 5 minutes and is consumed by
 * the first verification that names it, successful or not.
 */

import { utf8ToBytes } from '@noble/hashes/utils.js'
import { base64urlnopad } from '@scure/base'
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { Config } from '../platform/config.ts'
import { AppError, errors } from '../platform/errors.ts'
import { raiseAlert } from './alerts.ts'
import { type AccountsDeps, MINUTE_MS, publicUrl } from './context.ts'
import type { Executor } from './repo.ts'
import { recordProtectionChange } from './withdrawal-locks.ts'

const CHALLENGE_MS = 5 * MINUTE_MS

export function relyingParty(config: Config) {
  const origin = publicUrl(config)
  return { rpID: new URL(origin).hostname, origin, rpName: 'Bulwark' }
}

export const passkeyInvalid = () =>
  new AppError('SECOND_FACTOR_INVALID', 403, 'The passkey could not be verified. Try again.')

/** Options for navigator.credentials.create(), with a stored single-use challenge. */
export async function passkeyRegistrationOptions(
  deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>,
  user: { id: string; email: string; displayName: string },
) {
  const existing = await deps.db
    .selectFrom('passkeys')
    .select(['id'])
    .where('user_id', '=', user.id)
    .execute()
  const rp = relyingParty(deps.config)
  const options = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: user.email,
    userDisplayName: user.displayName,
    userID: utf8ToBytes(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  })
  await storeChallenge(deps, user.id, 'register', options.challenge)
  return options
}

/** Verifies a registration and stores the passkey; a security change (alert + 24 h lock). */
export async function registerPasskey(
  deps: AccountsDeps,
  userId: string,
  response: RegistrationResponseJSON,
  name: string,
) {
  const rp = relyingParty(deps.config)
  const challenge = challengeOf(response.response.clientDataJSON)
  await consumeChallenge(deps, userId, 'register', challenge)
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: false,
    })
  } catch (cause) {
    throw new AppError('PASSKEY_INVALID', 400, 'The passkey could not be registered.', { cause })
  }
  if (!verified.verified || !verified.registrationInfo) {
    throw new AppError('PASSKEY_INVALID', 400, 'The passkey could not be registered.')
  }
  const { credential } = verified.registrationInfo
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('passkeys')
      .values({
        id: credential.id,
        user_id: userId,
        public_key: credential.publicKey,
        counter: credential.counter,
        transports: (credential.transports ?? []).join(','),
        name,
        created_at: at,
        last_used_at: null,
      })
      .execute()
    await recordProtectionChange(tx, {
      userId,
      lock: 'passkeys_changed',
      action: 'accounts.passkey_added',
      details: { name },
      at,
    })
  })
  deps.events.publish({
    type: 'second_factor_changed',
    at: at.toISOString(),
    account: userId,
    change: 'passkey_added',
  })
  await raiseAlert(deps, userId, 'passkey_added', { name })
  return { id: credential.id, name, createdAt: at.toISOString() }
}

/** Options for navigator.credentials.get() limited to this user's passkeys. */
export async function passkeyAuthenticationOptions(
  deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>,
  userId: string,
) {
  const keys = await deps.db
    .selectFrom('passkeys')
    .select(['id', 'transports'])
    .where('user_id', '=', userId)
    .execute()
  if (keys.length === 0) throw new AppError('NO_PASSKEY', 400, 'This account has no passkey yet.')
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps.config).rpID,
    allowCredentials: keys.map((k) => ({
      id: k.id,
      ...(k.transports ? { transports: k.transports.split(',') as never } : {}),
    })),
    userVerification: 'preferred',
  })
  await storeChallenge(deps, userId, 'authenticate', options.challenge)
  return options
}

/** Verifies an assertion by one of `userId`'s passkeys against a stored, unused challenge. */
export async function verifyPasskeyAssertion(
  deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>,
  userId: string,
  response: AuthenticationResponseJSON,
): Promise<void> {
  const challenge = challengeOf(response.response.clientDataJSON)
  await consumeChallenge(deps, userId, 'authenticate', challenge)
  await checkAssertion(deps, userId, response, challenge)
}

/** Options for a passwordless sign-in: any passkey of this site (discoverable credentials). */
export async function passkeySignInOptions(deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>) {
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps.config).rpID,
    userVerification: 'required',
  })
  await storeChallenge(deps, null, 'authenticate', options.challenge)
  return options
}

/**
 * Verifies a passwordless sign-in: the challenge must be one issued by passkeySignInOptions, the
 * credential a registered passkey, and the authenticator must have verified its user (PIN or
 * biometric), so the passkey is two factors on its own. Returns the account's id.
 */
export async function verifyPasskeySignIn(
  deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>,
  response: AuthenticationResponseJSON,
): Promise<string> {
  const challenge = challengeOf(response.response.clientDataJSON)
  await consumeChallenge(deps, null, 'authenticate', challenge)
  const owner = await deps.db
    .selectFrom('passkeys')
    .select('user_id')
    .where('id', '=', String(response.id).slice(0, 512))
    .executeTakeFirst()
  if (!owner) throw passkeyInvalid()
  await checkAssertion(deps, owner.user_id, response, challenge, true)
  return owner.user_id
}

async function checkAssertion(
  deps: Pick<AccountsDeps, 'db' | 'clock' | 'config'>,
  userId: string,
  response: AuthenticationResponseJSON,
  challenge: string,
  requireUserVerification = false,
) {
  const key = await deps.db
    .selectFrom('passkeys')
    .selectAll()
    .where('id', '=', String(response.id).slice(0, 512))
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (!key) throw passkeyInvalid()
  const rp = relyingParty(deps.config)
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
  try {
    result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: key.id,
        publicKey: new Uint8Array(key.public_key),
        counter: Number(key.counter),
        ...(key.transports ? { transports: key.transports.split(',') } : {}),
      },
      requireUserVerification,
    })
  } catch (cause) {
    throw new AppError('SECOND_FACTOR_INVALID', 403, 'The passkey could not be verified. Try again.', {
      cause,
    })
  }
  if (!result.verified) throw passkeyInvalid()
  await deps.db
    .updateTable('passkeys')
    .set({ counter: result.authenticationInfo.newCounter, last_used_at: deps.clock.now() })
    .where('id', '=', key.id)
    .execute()
}

export async function listPasskeys(db: Executor, userId: string) {
  const rows = await db
    .selectFrom('passkeys')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  }))
}

export async function removePasskey(deps: AccountsDeps, userId: string, id: string) {
  const at = deps.clock.now()
  const removed = await deps.db.transaction().execute(async (tx) => {
    const row = await tx
      .deleteFrom('passkeys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning(['name'])
      .executeTakeFirst()
    if (!row) throw errors.notFound('The passkey')
    await recordProtectionChange(tx, {
      userId,
      lock: 'passkeys_changed',
      action: 'accounts.passkey_removed',
      details: { name: row.name },
      at,
    })
    return row
  })
  await raiseAlert(deps, userId, 'passkey_removed', { name: removed.name })
}

async function storeChallenge(
  deps: Pick<AccountsDeps, 'db' | 'clock'>,
  userId: string | null,
  purpose: 'register' | 'authenticate',
  challenge: string,
) {
  const at = deps.clock.now()
  await deps.db
    .insertInto('webauthn_challenges')
    .values({
      user_id: userId,
      purpose,
      challenge,
      expires_at: new Date(at.getTime() + CHALLENGE_MS),
      used_at: null,
    })
    .execute()
}

/** Marks the challenge used; refuses an unknown, expired, reused or other user's challenge. */
async function consumeChallenge(
  deps: Pick<AccountsDeps, 'db' | 'clock'>,
  userId: string | null,
  purpose: 'register' | 'authenticate',
  challenge: string,
) {
  const at = deps.clock.now()
  const row = await deps.db
    .updateTable('webauthn_challenges')
    .set({ used_at: at })
    .where('challenge', '=', challenge)
    .where((eb) => (userId === null ? eb('user_id', 'is', null) : eb('user_id', '=', userId)))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning(['id'])
    .executeTakeFirst()
  if (!row) throw new AppError('PASSKEY_CHALLENGE_INVALID', 400, 'This passkey request expired. Start again.')
}

function challengeOf(clientDataJSON: string): string {
  try {
    const data = JSON.parse(
      new TextDecoder().decode(base64urlnopad.decode(clientDataJSON.replace(/=+$/, ''))),
    )
    if (typeof data.challenge === 'string') return data.challenge
  } catch {
    // fall through
  }
  throw new AppError('PASSKEY_INVALID', 400, 'The passkey response is malformed.')
}
