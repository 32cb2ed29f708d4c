/**
 * @module Account-protection routes: sign-up and email links, the second sign-in steps, the
 * Security center (password, 2FA, passkeys, anti-phishing code, devices, whitelist, locks, alerts
 * with live push, API keys), support's unfreeze, and the mail outbox. Also installs, for the whole
 * app, API-key authentication (signed requests set `request.user` with authMethod 'api_key') and
 * the frozen-account guard (a frozen account may only read).
 */
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../platform/deps.ts'
import { AppError, errors } from '../platform/errors.ts'
import { requireCustomer, requireStaff, requireUser } from '../platform/http/auth.ts'
import {
  emailSchema,
  pendingSignInSchema,
  setDeviceCookie,
  setSessionCookies,
  userSchema,
} from '../platform/identity/routes.ts'
import { DEVICE_COOKIE, type SignInContext } from '../platform/identity/sign-in.ts'
import { tokenDigest } from '../platform/identity/tokens.ts'
import { permissionsOf } from '../platform/rbac.ts'
import { alertTitles, reportWasntMe, reportWasntMeByToken, unfreezeAccount } from './alerts.ts'
import {
  authenticateApiRequest,
  createApiKey,
  listApiKeys,
  permissionForRequest,
  revokeApiKey,
} from './api-keys.ts'
import { accountsDeps } from './deps.ts'
import { approveDevice, listDevices, markDevicesReviewed, revokeDevice } from './devices.ts'
import { lessonBySlug, lessons } from './education.ts'
import {
  changePassword,
  completePasswordReset,
  confirmEmail,
  confirmEmailChange,
  requestEmailChange,
  requestPasswordReset,
  setAntiPhishingCode,
  signUp,
} from './lifecycle.ts'
import {
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  removePasskey,
} from './passkeys.ts'
import { accountFrozen } from './repo.ts'
import {
  alertSchema,
  apiPermissionSchema,
  factorFields,
  lockSchema,
  messageSchema,
  networkSchema,
  passwordSchema,
  registrationResponse,
  tokenSchema,
  whitelistSchema,
  withdrawDecisionSchema,
} from './schema.ts'
import { listAlerts, securityOverview } from './security-center.ts'
import { createSignInGate } from './sign-in-gate.ts'
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
} from './two-factor.ts'
import {
  addWhitelistEntry,
  canWithdrawTo,
  listWhitelist,
  removeWhitelistEntry,
  setWhitelistMode,
} from './whitelist.ts'
import { withdrawalLock } from './withdrawal-locks.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw body of an API-key request, as signed by the client. */
    rawBody?: string
    /** Permissions of the API key that authenticated this request. */
    apiKeyPermissions?: string[]
  }
}

const ACCESS_KEY = 'bw-access-key'
/** Paths an API key can never reach: account security, sign-in, staff tools. */
const API_KEY_FORBIDDEN = /^\/api\/(accounts|auth|staff|audit|mail)(\/|$|\?)/
/** Requests a frozen account may still make: signing in (to look) and out. */
const FROZEN_ALLOWED =
  /^\/api\/auth\/(signout|signout-all|signin|signin\/[a-z-]+|passkey|passkey\/options)(\?|$)/
const idParams = z.object({ id: z.uuid({ message: 'expected an id (UUID)' }) })
const meSchema = z.object({ user: userSchema, permissions: z.array(z.string()), csrfToken: z.string() })

function context(request: FastifyRequest): SignInContext {
  return {
    userAgent: String(request.headers['user-agent'] ?? ''),
    ip: request.ip,
    deviceToken: request.cookies[DEVICE_COOKIE],
  }
}

export async function accountsRoutes(base: FastifyInstance, domain: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const deps = accountsDeps(domain)
  const flow = createSignInGate(deps)
  const secure = domain.config.COOKIE_SECURE
  const demoOutbox = domain.config.SEED_DEMO && !domain.config.SMTP_URL

  // --- API keys: the signed body must be the bytes the client sent, so keep them. ---
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.headers[ACCESS_KEY]) return payload
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of payload) {
      size += (chunk as Buffer).length
      if (size > domain.config.BODY_LIMIT_BYTES)
        throw new AppError('PAYLOAD_TOO_LARGE', 413, 'The request body is too large.')
      chunks.push(chunk as Buffer)
    }
    const raw = Buffer.concat(chunks)
    request.rawBody = raw.toString('utf8')
    return Readable.from([raw])
  })

  app.addHook('preValidation', async (request) => {
    const accessKey = request.headers[ACCESS_KEY]
    if (typeof accessKey === 'string' && !request.user) {
      const header = (name: string) => {
        const v = request.headers[name]
        return typeof v === 'string' ? v : ''
      }
      if (API_KEY_FORBIDDEN.test(request.url)) {
        throw new AppError(
          'API_KEY_NOT_ALLOWED',
          403,
          'API keys cannot manage account security; sign in on the website.',
        )
      }
      const result = await authenticateApiRequest(deps, {
        accessKey,
        signature: header('bw-access-sign'),
        timestamp: header('bw-access-timestamp'),
        passphrase: header('bw-access-passphrase'),
        method: request.method,
        path: request.url,
        body: request.rawBody ?? '',
        ip: request.ip,
      })
      const needed = permissionForRequest(request.method, request.url)
      if (!result.permissions.includes(needed)) {
        throw new AppError('API_KEY_PERMISSION', 403, `This API key lacks the "${needed}" permission.`, {
          details: { needed },
        })
      }
      request.user = result.user
      request.authMethod = 'api_key'
      request.apiKeyPermissions = result.permissions
    }
    // A frozen account can look but not touch.
    if (
      request.user?.status === 'frozen' &&
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      !FROZEN_ALLOWED.test(request.url)
    ) {
      throw accountFrozen()
    }
  })

  // --- Sign-up, confirmation, reset: the same answer whether or not the email has an account. ---
  app.post(
    '/api/accounts/signup',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Open a customer account; a confirmation link is emailed',
        body: z.object({
          email: emailSchema,
          displayName: z.string().trim().min(1).max(100),
          password: passwordSchema,
        }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await signUp(deps, { ...request.body, ip: request.ip })
      return reply.status(202).send({ message: 'Check your email to finish opening your account.' })
    },
  )

  app.post(
    '/api/accounts/confirm-email',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an email with the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await confirmEmail(deps, request.body.token)
      return { message: 'Email confirmed. You can sign in now.' }
    },
  )

  app.post(
    '/api/accounts/password-reset',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Email a password reset link (same answer for any email)',
        body: z.object({ email: emailSchema }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, request.ip)
      return reply.status(202).send({ message: 'If this email has an account, a reset link is on its way.' })
    },
  )

  app.post(
    '/api/accounts/password-reset/complete',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Set a new password from a reset link (second factor required when on)',
        body: z.object({ token: tokenSchema, password: passwordSchema, ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await completePasswordReset(deps, request.body)
      return {
        message: 'Password changed. Withdrawals are locked for 72 hours. Sign in with the new password.',
      }
    },
  )

  app.post(
    '/api/accounts/devices/approve',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Approve a new device from the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: z.object({ device: z.string(), ip: z.string() }) },
      },
    },
    async (request) => approveDevice(deps, request.body.token),
  )

  app.post(
    '/api/accounts/wasnt-me',
    {
      schema: {
        tags: ['accounts'],
        summary: '"This wasn\'t me" from an alert email: freezes the account',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await reportWasntMeByToken(deps, request.body.token)
      return { message: 'Your account is frozen. Support will contact you to review it.' }
    },
  )

  // --- The second and third sign-in steps. ---
  function signedIn(
    reply: import('fastify').FastifyReply,
    result: Awaited<ReturnType<typeof flow.secondFactor>>,
  ) {
    if (result.status === 'pending') {
      const { deviceToken, outcome: _, ...pending } = result.pending
      setDeviceCookie(reply, deviceToken, secure)
      return reply.status(202).send(pending)
    }
    setDeviceCookie(reply, result.deviceToken, secure)
    setSessionCookies(reply, result.session, secure)
    return reply.status(200).send({
      user: result.user,
      permissions: permissionsOf(result.user.role),
      csrfToken: result.session.csrfToken,
    })
  }

  app.post(
    '/api/auth/signin/second-factor',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Sign-in step 2: the second factor, with the ticket from /api/auth/signin',
        body: z.object({ ticket: tokenSchema, ...factorFields }),
        response: { 200: meSchema, 202: pendingSignInSchema },
      },
    },
    async (request, reply) => {
      const { ticket, ...factor } = request.body
      return signedIn(reply, await flow.secondFactor(ticket, factor, context(request)))
    },
  )

  app.post(
    '/api/auth/passkey/options',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: { tags: ['auth'], summary: 'WebAuthn options for a passwordless sign-in with a passkey' },
    },
    async () => passkeySignInOptions(deps),
  )

  app.post(
    '/api/auth/passkey',
    {
      config: { rateLimit: { max: domain.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a passkey (no password); a new device still needs the emailed approval',
        body: z.object({ response: factorFields.passkeyResponse.unwrap() }),
        response: { 200: meSchema, 202: pendingSignInSchema },
      },
    },
    async (request, reply) => {
      if (request.user) await deps.sessions.revoke(request.user.sessionId)
      return signedIn(reply, await flow.passkeySignIn(request.body.response, context(request)))
    },
  )

  app.post(
    '/api/auth/signin/continue',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign-in step 3: finish once the new device was approved by email (poll)',
        body: z.object({ ticket: tokenSchema }),
        response: { 200: meSchema, 202: pendingSignInSchema },
      },
    },
    async (request, reply) =>
      signedIn(reply, await flow.continueAfterApproval(request.body.ticket, context(request))),
  )

  // --- Security center (signed-in customers). ---
  app.get(
    '/api/accounts/security',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Security center: checklist, score, second factors, lock, anti-phishing code',
        response: {
          200: z.object({
            score: z.number(),
            checklist: z.array(
              z.object({ id: z.string(), label: z.string(), done: z.boolean(), fixPath: z.string() }),
            ),
            antiPhishingCode: z.string().nullable(),
            twoFactor: z.object({
              totp: z.boolean(),
              passkeys: z.number(),
              lockedUntil: z.string().nullable(),
            }),
            emailConfirmed: z.boolean(),
            frozen: z.boolean(),
            withdrawalLock: lockSchema,
          }),
        },
      },
    },
    async (request) => securityOverview(deps, request.user!.id),
  )

  app.post(
    '/api/accounts/password',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Change the password (current password, and second factor when on); ends other sessions',
        body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema, ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await changePassword(deps, request.user!.id, request.user!.sessionId, request.body)
      return { message: 'Password changed. Withdrawals are locked for 24 hours.' }
    },
  )

  app.post(
    '/api/accounts/email',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary:
          'Change the email: a confirmation link goes to the new address (72 h withdrawal lock once confirmed)',
        body: z.object({ newEmail: emailSchema, currentPassword: passwordSchema, ...factorFields }),
        response: { 202: messageSchema },
      },
    },
    async (request, reply) => {
      await requestEmailChange(deps, request.user!.id, request.body)
      return reply
        .status(202)
        .send({ message: 'Open the link we sent to the new address to finish the change.' })
    },
  )

  app.post(
    '/api/accounts/email/confirm',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an email change from the emailed link',
        body: z.object({ token: tokenSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await confirmEmailChange(deps, request.body.token)
      return { message: 'Email changed. Withdrawals are locked for 72 hours.' }
    },
  )

  app.post(
    '/api/accounts/anti-phishing',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Set the anti-phishing code (4-20 letters/digits)',
        body: z.object({ code: z.string().max(40), ...factorFields }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      const { code, ...factor } = request.body
      await setAntiPhishingCode(deps, request.user!.id, code, factor)
      return { message: 'Anti-phishing code saved. Look for it in every email from us.' }
    },
  )

  app.post(
    '/api/accounts/totp/setup',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Start TOTP enrolment: secret and QR code',
        response: { 200: z.object({ secret: z.string(), uri: z.string(), qrDataUrl: z.string() }) },
      },
    },
    async (request) => beginTotpEnrolment(deps, request.user!.id),
  )

  app.post(
    '/api/accounts/totp/confirm',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Finish TOTP enrolment with a code; returns 10 recovery codes (shown once)',
        body: z.object({ code: z.string().trim().max(12) }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
    },
    async (request) => confirmTotpEnrolment(deps, request.user!.id, request.body.code),
  )

  app.post(
    '/api/accounts/totp/disable',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Turn TOTP off (second factor required)',
        body: z.object(factorFields),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await disableTotp(deps, request.user!.id, request.body)
      return { message: 'Two-factor authentication is off. Withdrawals are locked for 24 hours.' }
    },
  )

  app.post(
    '/api/accounts/recovery-codes',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Replace the recovery codes (second factor required)',
        body: z.object(factorFields),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
    },
    async (request) => regenerateRecoveryCodes(deps, request.user!.id, request.body),
  )

  const passkeySchema = z.object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  app.get(
    '/api/accounts/passkeys',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'List passkeys',
        response: { 200: z.object({ passkeys: z.array(passkeySchema) }) },
      },
    },
    async (request) => ({ passkeys: await listPasskeys(deps.db, request.user!.id) }),
  )
  app.post(
    '/api/accounts/passkeys/registration-options',
    {
      preHandler: requireUser,
      schema: { tags: ['accounts'], summary: 'WebAuthn options to create a passkey (single-use challenge)' },
    },
    async (request) => passkeyRegistrationOptions(deps, request.user!),
  )
  app.post(
    '/api/accounts/passkeys',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Register a passkey',
        body: z.object({ name: z.string().trim().min(1).max(60), response: registrationResponse }),
        response: { 201: z.object({ id: z.string(), name: z.string(), createdAt: z.string() }) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await registerPasskey(deps, request.user!.id, request.body.response, request.body.name)),
  )
  app.delete(
    '/api/accounts/passkeys/:id',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a passkey',
        params: z.object({ id: z.string().max(512) }),
      },
    },
    async (request, reply) => {
      await removePasskey(deps, request.user!.id, request.params.id)
      return reply.status(204).send()
    },
  )
  app.post(
    '/api/accounts/passkeys/authentication-options',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'WebAuthn options to confirm a sensitive action with a passkey',
      },
    },
    async (request) => passkeyAuthenticationOptions(deps, request.user!.id),
  )
  app.post(
    '/api/auth/signin/passkey-options',
    {
      schema: {
        tags: ['auth'],
        summary: 'WebAuthn options for sign-in step 2 with a passkey',
        body: z.object({ ticket: tokenSchema }),
      },
    },
    async (request) => {
      const row = await deps.db
        .selectFrom('sign_in_tickets')
        .select(['user_id', 'expires_at', 'used_at'])
        .where('token_digest', '=', tokenDigest(request.body.ticket))
        .executeTakeFirst()
      if (!row || row.used_at || row.expires_at <= deps.clock.now())
        throw new AppError('SIGNIN_TICKET_INVALID', 401, 'This sign-in has expired. Sign in again.')
      return passkeyAuthenticationOptions(deps, row.user_id)
    },
  )

  const deviceSchema = z.object({
    id: z.uuid(),
    description: z.string(),
    userAgent: z.string(),
    ip: z.string(),
    place: z.string().nullable(),
    status: z.enum(['trusted', 'pending']),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    current: z.boolean(),
  })
  app.get(
    '/api/accounts/devices',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Devices with last-seen time',
        response: { 200: z.object({ devices: z.array(deviceSchema) }) },
      },
    },
    async (request) => ({ devices: await listDevices(deps, request.user!.id, request.user!.sessionId) }),
  )
  app.delete(
    '/api/accounts/devices/:id',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a device and end its sessions now',
        params: idParams,
        response: { 200: z.object({ sessionsEnded: z.number() }) },
      },
    },
    async (request) => revokeDevice(deps, request.user!.id, request.params.id),
  )
  app.post(
    '/api/accounts/devices/reviewed',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Mark the device list as reviewed',
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await markDevicesReviewed(deps, request.user!.id)
      return { message: 'Thanks: devices reviewed.' }
    },
  )

  app.get(
    '/api/accounts/whitelist',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Withdrawal whitelist and mode',
        response: { 200: whitelistSchema },
      },
    },
    async (request) => listWhitelist(deps.db, request.user!.id, deps.clock.now()),
  )
  app.post(
    '/api/accounts/whitelist',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Add a whitelist address (second factor required; usable after 24 h)',
        body: z.object({
          network: networkSchema,
          address: z.string().trim().min(1).max(120),
          label: z.string().trim().min(1).max(60),
          ...factorFields,
        }),
        response: {
          201: z.object({
            id: z.uuid(),
            network: z.string(),
            address: z.string(),
            label: z.string(),
            usableAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await addWhitelistEntry(deps, request.user!.id, request.body)),
  )
  app.post(
    '/api/accounts/whitelist/:id/remove',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a whitelist address (second factor required)',
        params: idParams,
        body: z.object(factorFields),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await removeWhitelistEntry(deps, request.user!.id, request.params.id, request.body)
      return { message: 'Address removed.' }
    },
  )
  app.post(
    '/api/accounts/whitelist/mode',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Turn whitelist mode on (now) or off (after 24 h)',
        body: z.object({ enabled: z.boolean(), ...factorFields }),
        response: { 200: whitelistSchema },
      },
    },
    async (request) => {
      const { enabled, ...factor } = request.body
      return setWhitelistMode(deps, request.user!.id, enabled, factor)
    },
  )
  app.get(
    '/api/accounts/withdrawal-lock',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'The withdrawal lock in force, if any',
        response: { 200: lockSchema },
      },
    },
    async (request) => {
      const lock = await withdrawalLock(deps, request.user!.id, deps.clock.now())
      return { locked: lock.locked, until: lock.until?.toISOString() ?? null, reason: lock.reason }
    },
  )
  app.post(
    '/api/accounts/withdrawal-check',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Would a withdrawal to this address be allowed now?',
        body: z.object({ network: z.string().max(40), address: z.string().max(120) }),
        response: { 200: withdrawDecisionSchema },
      },
    },
    async (request) =>
      canWithdrawTo(deps, request.user!.id, request.body.network, request.body.address, deps.clock.now()),
  )

  // --- Alerts: list, live stream, "This wasn't me". ---
  app.get(
    '/api/accounts/alerts',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Recent security alerts',
        response: { 200: z.object({ alerts: z.array(alertSchema) }) },
      },
    },
    async (request) => ({
      alerts: (await listAlerts(deps, request.user!.id)).map((a) => ({
        ...a,
        title: alertTitles[a.kind as keyof typeof alertTitles] ?? a.kind,
      })),
    }),
  )
  app.get(
    '/api/accounts/alerts/stream',
    {
      preHandler: requireUser,
      schema: { tags: ['accounts'], summary: 'Security alerts pushed live (Server-Sent Events)' },
    },
    async (request, reply) => {
      // Only an event-stream client (EventSource sends this Accept header) gets the endless stream.
      if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
        throw new AppError(
          'NOT_ACCEPTABLE',
          406,
          'This is a Server-Sent Events stream: request it with Accept: text/event-stream.',
        )
      }
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-request-id': request.id,
      })
      raw.write(': connected\n\n')
      const unsubscribe = deps.hub.subscribe(request.user!.id, (alert) => {
        raw.write(`event: alert\ndata: ${JSON.stringify({ ...alert, wasntMeAt: null })}\n\n`)
      })
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), 25_000)
      request.raw.on('close', () => {
        clearInterval(heartbeat)
        unsubscribe()
      })
    },
  )
  app.post(
    '/api/accounts/alerts/:id/wasnt-me',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: '"This wasn\'t me": freeze the account until support reviews it',
        params: idParams,
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await reportWasntMe(deps, request.user!.id, request.params.id)
      return { message: 'Your account is frozen. Support will contact you to review it.' }
    },
  )

  // --- API keys (managed with a session only; see the hook above). ---
  const apiKeySchema = z.object({
    id: z.uuid(),
    accessKey: z.string(),
    label: z.string(),
    permissions: z.array(apiPermissionSchema),
    allowedIps: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    expired: z.boolean(),
  })
  app.get(
    '/api/accounts/api-keys',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'List API keys',
        response: { 200: z.object({ keys: z.array(apiKeySchema) }) },
      },
    },
    async (request) => ({ keys: await listApiKeys(deps, request.user!.id) }),
  )
  app.post(
    '/api/accounts/api-keys',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Create an API key; the secret is shown once',
        body: z.object({
          label: z.string().trim().min(1).max(60),
          permissions: z.array(apiPermissionSchema).min(1).max(3),
          allowedIps: z.array(z.string().max(45)).max(20).default([]),
          passphrase: z.string().min(8).max(64),
          ...factorFields,
        }),
        response: {
          201: z.object({
            id: z.uuid(),
            accessKey: z.string(),
            secret: z.string(),
            permissions: z.array(apiPermissionSchema),
            allowedIps: z.array(z.string()),
            label: z.string(),
            createdAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiKey(deps, request.user!.id, request.body)),
  )
  app.delete(
    '/api/accounts/api-keys/:id',
    {
      preHandler: requireCustomer,
      schema: { tags: ['accounts'], summary: 'Revoke an API key', params: idParams },
    },
    async (request, reply) => {
      await revokeApiKey(deps, request.user!.id, request.params.id)
      return reply.status(204).send()
    },
  )

  // --- The signed API for integrations (reachable with an API key or a session). ---
  app.get(
    '/api/v1/account',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['api'],
        summary: 'The account behind the key, with its withdrawal lock (permission: read)',
        response: {
          200: z.object({
            id: z.uuid(),
            email: z.string(),
            status: z.string(),
            withdrawalLock: lockSchema,
            authMethod: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const user = request.user!
      const lock = await withdrawalLock(deps, user.id, deps.clock.now())
      return {
        id: user.id,
        email: user.email,
        status: user.status,
        withdrawalLock: {
          locked: lock.locked,
          until: lock.until?.toISOString() ?? null,
          reason: lock.reason,
        },
        authMethod: request.authMethod ?? 'session',
      }
    },
  )
  app.post(
    '/api/v1/withdrawal-check',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['api'],
        summary: 'Would a withdrawal to this address be allowed now? (permission: withdraw)',
        body: z.object({ network: z.string().max(40), address: z.string().max(120) }),
        response: { 200: withdrawDecisionSchema },
      },
    },
    async (request) =>
      canWithdrawTo(deps, request.user!.id, request.body.network, request.body.address, deps.clock.now()),
  )

  // --- Education (public). ---
  app.get(
    '/api/accounts/education',
    { schema: { tags: ['accounts'], summary: 'Security tips and common scams' } },
    async () => ({ lessons }),
  )
  app.get(
    '/api/accounts/education/:slug',
    {
      schema: {
        tags: ['accounts'],
        summary: 'One tip or scam, in detail',
        params: z.object({ slug: z.string().max(60) }),
      },
    },
    async (request) => {
      const lesson = lessonBySlug(request.params.slug)
      if (!lesson) throw errors.notFound('This page')
      return lesson
    },
  )

  // --- Support: frozen accounts. ---
  app.get(
    '/api/staff/accounts/frozen',
    {
      preHandler: requireStaff('accounts.frozen.read'),
      schema: {
        tags: ['accounts'],
        summary: 'Accounts frozen by "This wasn\'t me", waiting for review',
        response: {
          200: z.object({
            accounts: z.array(
              z.object({
                id: z.uuid(),
                email: z.string(),
                displayName: z.string(),
                frozenAt: z.string().nullable(),
                reason: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const rows = await deps.db
        .selectFrom('users')
        .leftJoin('account_security', 'account_security.user_id', 'users.id')
        .select([
          'users.id',
          'users.email',
          'users.display_name',
          'account_security.frozen_at',
          'account_security.frozen_reason',
        ])
        .where('users.status', '=', 'frozen')
        .orderBy('account_security.frozen_at', 'desc')
        .execute()
      return {
        accounts: rows.map((r) => ({
          id: r.id,
          email: r.email,
          displayName: r.display_name,
          frozenAt: r.frozen_at?.toISOString() ?? null,
          reason: r.frozen_reason ?? null,
        })),
      }
    },
  )
  app.post(
    '/api/staff/accounts/:id/unfreeze',
    {
      preHandler: requireStaff('accounts.unfreeze'),
      schema: {
        tags: ['accounts'],
        summary: 'Unfreeze an account after review (withdrawal locks stay)',
        params: idParams,
        body: z.object({ note: z.string().trim().min(3).max(500) }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await unfreezeAccount(deps, request.user!.id, request.params.id, request.body.note)
      return { message: 'Account unfrozen.' }
    },
  )

  // --- Mail outbox: staff always; anyone on a demo install without SMTP. ---
  const outboxSchema = z.object({
    messages: z.array(
      z.object({ id: z.uuid(), to: z.string(), subject: z.string(), text: z.string(), sentAt: z.string() }),
    ),
  })
  async function outbox(to: string | undefined) {
    let q = deps.db.selectFrom('mail_outbox').selectAll().orderBy('sent_at', 'desc').limit(100)
    if (to) q = q.where('to_address', '=', to.trim().toLowerCase())
    const rows = await q.execute()
    return {
      messages: rows.map((r) => ({
        id: r.id,
        to: r.to_address,
        subject: r.subject,
        text: r.text_body,
        sentAt: r.sent_at.toISOString(),
      })),
    }
  }
  app.get(
    '/api/staff/mail/outbox',
    {
      preHandler: requireStaff('mail.outbox.read'),
      schema: {
        tags: ['mail'],
        summary: 'Mail written to the outbox (no SMTP_URL)',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: outboxSchema },
      },
    },
    async (request) => outbox(request.query.to),
  )
  app.get(
    '/api/mail/outbox',
    {
      schema: {
        tags: ['mail'],
        summary: 'Demo installs only (SEED_DEMO and no SMTP_URL): the mail outbox',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: outboxSchema },
      },
    },
    async (request) => {
      if (!demoOutbox) throw errors.notFound('The demo outbox')
      return outbox(request.query.to)
    },
  )
}
// Hooks above must apply to every route of the app, not only this plugin's.
;(accountsRoutes as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true
