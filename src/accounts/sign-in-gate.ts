/**
 * @module Account protection inside sign-in. After the password: (1) an account made by sign-up
 * must have confirmed its email; (2) an account with a second factor gets a 10-minute single-use
 * ticket to present with a TOTP code, a recovery code or a passkey; (3) a device the account has
 * not approved waits for the emailed approval link, then the same ticket completes the sign-in.
 * The first device of an account is trusted on first use; accounts without a confirmed email
 * (made by an operator) have no confirmed mailbox to approve with, so their new devices are let in
 * too, but never silently: like an approved device, each raises the new-device alert and risk event
 * and extends the withdrawal lock after a recent password change.
 * Wrong passwords are counted per email address across IPs (see attempts.ts).
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { appendAudit } from '../platform/audit.ts'
import { AppError } from '../platform/errors.ts'
import {
  invalidCredentials,
  type SignInContext,
  type SignInGate,
  type SignInGateAllow,
  type SignInGatePending,
  startSession,
} from '../platform/identity/sign-in.ts'
import { randomToken, tokenDigest } from '../platform/identity/tokens.ts'
import { presentUser } from '../platform/identity/users.ts'
import { raiseAlert } from './alerts.ts'
import {
  overFailureLimit,
  recordCredentialFailure,
  signInSubject,
  tooManySignInAttempts,
} from './attempts.ts'
import { type AccountsDeps, MINUTE_MS } from './context.ts'
import {
  bindSession,
  describeUserAgent,
  deviceFor,
  sendDeviceApproval,
  trustedDeviceCount,
} from './devices.ts'
import { NEW_DEVICE_AFTER_PASSWORD_WINDOW_MS } from './locks.ts'
import { verifyPasskeySignIn } from './passkeys.ts'
import { securityRow, userRow } from './repo.ts'
import { type SecondFactorInput, secondFactors, verifySecondFactor } from './two-factor.ts'
import { startWithdrawalLock } from './withdrawal-locks.ts'

const TICKET_MS = 10 * MINUTE_MS

export const ticketInvalid = () =>
  new AppError('SIGNIN_TICKET_INVALID', 401, 'This sign-in has expired. Sign in again with your password.')

/** The browser's device cookie when well-formed, else a new one. */
function usableDeviceToken(token: string | undefined): string {
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : randomToken(32)
}

export function createSignInGate(deps: AccountsDeps) {
  async function issueTicket(
    userId: string,
    deviceId: string,
    stage: 'second_factor' | 'device_approval',
    context: SignInContext,
  ): Promise<string> {
    const ticket = randomToken(32)
    const at = deps.clock.now()
    await deps.db
      .insertInto('sign_in_tickets')
      .values({
        token_digest: tokenDigest(ticket),
        user_id: userId,
        stage,
        device_id: deviceId,
        user_agent: context.userAgent.slice(0, 512),
        ip: context.ip,
        created_at: at,
        expires_at: new Date(at.getTime() + TICKET_MS),
        used_at: null,
      })
      .execute()
    return ticket
  }

  /** The device step: allow a trusted device, trust a first device, or hold for email approval. */
  async function deviceStep(
    userId: string,
    device: { id: string; status: string; user_agent: string; ip: string },
    deviceToken: string,
    context: SignInContext,
  ): Promise<SignInGateAllow | SignInGatePending> {
    if (device.status === 'trusted')
      return { outcome: 'allow', deviceToken, deviceId: device.id, newDevice: false }
    const security = await securityRow(deps.db, userId)
    const trusted = await trustedDeviceCount(deps.db, userId)
    if (security.email_confirmed_at === null || trusted === 0) {
      const at = deps.clock.now()
      await deps.db
        .updateTable('devices')
        .set({ status: 'trusted', approved_at: at })
        .where('id', '=', device.id)
        .execute()
      await appendAudit(deps.db, {
        actor: `user:${userId}`,
        action: 'accounts.device_trusted_without_approval',
        target: `user:${userId}`,
        details: { deviceId: device.id, reason: trusted === 0 ? 'first_device' : 'email_not_confirmed' },
        at,
      })
      // Only the very first device is unremarkable; any later one is news to the account holder.
      return { outcome: 'allow', deviceToken, deviceId: device.id, newDevice: trusted > 0 }
    }
    await sendDeviceApproval(deps, userId, device)
    const ticket = await issueTicket(userId, device.id, 'device_approval', context)
    return {
      outcome: 'pending',
      deviceToken,
      status: 'device_approval_required',
      ticket,
      methods: ['email_link'],
      message: 'This is a new device. We emailed you a link to approve it (valid 10 minutes).',
    }
  }

  async function takeTicket(
    ticket: string,
    stage: 'second_factor' | 'device_approval',
    deviceToken: string | undefined,
  ) {
    const at = deps.clock.now()
    const row = await deps.db
      .selectFrom('sign_in_tickets')
      .innerJoin('devices', 'devices.id', 'sign_in_tickets.device_id')
      .select([
        'sign_in_tickets.user_id',
        'sign_in_tickets.device_id',
        'sign_in_tickets.expires_at',
        'sign_in_tickets.used_at',
        'sign_in_tickets.stage',
        'devices.cookie_digest',
        'devices.status',
        'devices.user_agent',
        'devices.ip',
      ])
      .where('sign_in_tickets.token_digest', '=', tokenDigest(ticket))
      .executeTakeFirst()
    // The ticket only works from the browser it was issued to (same device cookie).
    if (
      !row ||
      row.stage !== stage ||
      row.used_at !== null ||
      row.expires_at.getTime() <= at.getTime() ||
      !deviceToken ||
      tokenDigest(deviceToken) !== row.cookie_digest
    ) {
      throw ticketInvalid()
    }
    return row
  }

  async function spendTicket(ticket: string) {
    const result = await deps.db
      .updateTable('sign_in_tickets')
      .set({ used_at: deps.clock.now() })
      .where('token_digest', '=', tokenDigest(ticket))
      .where('used_at', 'is', null)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw ticketInvalid()
  }

  const gate: SignInGate = {
    async beforePassword(email, context) {
      const at = deps.clock.now()
      if (!(await overFailureLimit(deps.db, 'signin', signInSubject(email), at))) return
      await appendAudit(deps.db, {
        actor: 'anonymous',
        action: 'auth.signin_refused_too_many_attempts',
        target: '',
        details: { email: email.slice(0, 254).toLowerCase(), ip: context.ip },
        at,
      })
      throw tooManySignInAttempts()
    },

    async afterFailure(email) {
      await recordCredentialFailure(deps.db, 'signin', signInSubject(email), deps.clock.now())
    },

    async afterPassword(user, context) {
      const security = await securityRow(deps.db, user.id)
      if (security.origin === 'signup' && security.email_confirmed_at === null) {
        throw new AppError('EMAIL_NOT_CONFIRMED', 403, 'Confirm your email first: open the link we sent you.')
      }
      const deviceToken =
        context.deviceToken && /^[A-Za-z0-9_-]{43}$/.test(context.deviceToken)
          ? context.deviceToken
          : randomToken(32)
      const device = await deviceFor(
        deps.db,
        user.id,
        deviceToken,
        context.userAgent,
        context.ip,
        deps.clock.now(),
      )
      const factors = await secondFactors(deps, user.id)
      if (factors.any) {
        const ticket = await issueTicket(user.id, device.id, 'second_factor', context)
        return {
          outcome: 'pending',
          deviceToken,
          status: 'second_factor_required',
          ticket,
          methods: factors.methods,
          message: 'Enter the code from your authenticator app, a recovery code, or use a passkey.',
        }
      }
      return deviceStep(user.id, device, deviceToken, context)
    },

    async onSession(userId, sessionId, allowed, context) {
      await bindSession(deps.db, sessionId, allowed.deviceId)
      if (!allowed.newDevice) return
      const at = deps.clock.now()
      const security = await securityRow(deps.db, userId)
      if (
        security.password_changed_at &&
        at.getTime() - security.password_changed_at.getTime() < NEW_DEVICE_AFTER_PASSWORD_WINDOW_MS
      ) {
        await startWithdrawalLock(deps.db, userId, 'new_device_after_password_change', at)
      }
      deps.events.publish({
        type: 'device_new',
        at: at.toISOString(),
        account: userId,
        device: allowed.deviceId,
        ip: context.ip,
      })
      await raiseAlert(
        deps,
        userId,
        'new_device_signin',
        { device: describeUserAgent(context.userAgent), ip: context.ip },
        undefined,
        { sessionId },
      )
    },
  }

  async function finish(userId: string, allowed: SignInGateAllow, context: SignInContext) {
    const session = await startSession(deps, userId, context)
    await gate.onSession(userId, session.sessionId, allowed, context)
    return {
      status: 'signed_in' as const,
      user: presentUser(await userRow(deps.db, userId)),
      session,
      deviceToken: allowed.deviceToken,
    }
  }

  return {
    gate,

    /** Step 2: the second factor, presented with the ticket from the password step. */
    async secondFactor(ticket: string, input: SecondFactorInput, context: SignInContext) {
      const row = await takeTicket(ticket, 'second_factor', context.deviceToken)
      await verifySecondFactor(deps, row.user_id, input)
      await spendTicket(ticket)
      const decision = await deviceStep(
        row.user_id,
        { id: row.device_id, status: row.status, user_agent: row.user_agent, ip: row.ip },
        context.deviceToken!,
        context,
      )
      if (decision.outcome === 'pending') return { status: 'pending' as const, pending: decision }
      return finish(row.user_id, decision, context)
    },

    /**
     * Passwordless sign-in with a passkey (user-verifying, so two factors by itself); new devices
     * still wait for the emailed approval.
     */
    async passkeySignIn(response: AuthenticationResponseJSON, context: SignInContext) {
      const userId = await verifyPasskeySignIn(deps, response)
      const user = await userRow(deps.db, userId)
      if (user.status === 'disabled') throw invalidCredentials()
      const security = await securityRow(deps.db, userId)
      if (security.origin === 'signup' && security.email_confirmed_at === null) {
        throw new AppError('EMAIL_NOT_CONFIRMED', 403, 'Confirm your email first: open the link we sent you.')
      }
      const deviceToken = usableDeviceToken(context.deviceToken)
      const device = await deviceFor(
        deps.db,
        userId,
        deviceToken,
        context.userAgent,
        context.ip,
        deps.clock.now(),
      )
      const decision = await deviceStep(userId, device, deviceToken, { ...context, deviceToken })
      if (decision.outcome === 'pending') return { status: 'pending' as const, pending: decision }
      return finish(userId, decision, { ...context, deviceToken })
    },

    /** Step 3: once the device was approved by email, the same browser completes its sign-in. */
    async continueAfterApproval(ticket: string, context: SignInContext) {
      const row = await takeTicket(ticket, 'device_approval', context.deviceToken)
      if (row.status !== 'trusted') {
        return {
          status: 'pending' as const,
          pending: {
            outcome: 'pending' as const,
            deviceToken: context.deviceToken!,
            status: 'device_approval_required' as const,
            ticket,
            methods: ['email_link'],
            message: 'Waiting for you to approve this device from the email we sent.',
          },
        }
      }
      await spendTicket(ticket)
      return finish(
        row.user_id,
        { outcome: 'allow', deviceToken: context.deviceToken!, deviceId: row.device_id, newDevice: true },
        context,
      )
    },
  }
}
export type SignInFlow = ReturnType<typeof createSignInGate>
