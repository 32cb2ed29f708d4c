/**
 * @module Sign-in, sign-out (this session or everywhere) and "who am I". Sign-in is rate limited
 * harder than the rest of the API, and always issues a fresh session token (no fixation).
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { appendAudit } from '../audit.ts'
import type { DomainDeps } from '../deps.ts'
import { cookieNames, requireUser } from '../http/auth.ts'
import { permissionsOf } from '../rbac.ts'
import { DISPLAY_NAME_MAX } from './display-name.ts'
import { PASSWORD_MAX, passwordPolicyFor } from './password-policy.ts'
import type { CreateSessionResult } from './sessions.ts'
import { createSignIn } from './sign-in.ts'

export const emailSchema = z.email({ message: 'expected an email address' }).max(254)
export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  kind: z.enum(['customer', 'staff']),
  role: z.string().nullable(),
  displayName: z.string(),
  status: z.enum(['active', 'disabled', 'frozen']),
})
const meSchema = z.object({ user: userSchema, permissions: z.array(z.string()), csrfToken: z.string() })
/** A sign-in held back by account protection: finish it at /api/auth/signin/second-factor or /continue. */
export const pendingSignInSchema = z.object({
  status: z.enum(['second_factor_required', 'device_approval_required']),
  ticket: z.string(),
  methods: z.array(z.string()),
  message: z.string(),
})

/** Sets the long-lived device cookie that binds sign-ins to this browser. */
export function setDeviceCookie(reply: FastifyReply, token: string, secure: boolean) {
  reply.setCookie(cookieNames(secure).device, token, {
    path: '/',
    sameSite: 'lax',
    secure,
    httpOnly: true,
    maxAge: 400 * 24 * 3600,
  })
}

/** Sets the session and CSRF cookies for a new session. */
export function setSessionCookies(reply: FastifyReply, session: CreateSessionResult, secure: boolean) {
  const base = { path: '/', sameSite: 'lax' as const, secure, expires: session.expiresAt }
  const names = cookieNames(secure)
  reply.setCookie(names.session, session.token, { ...base, httpOnly: true })
  reply.setCookie(names.csrf, session.csrfToken, { ...base, httpOnly: false })
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean) {
  const names = cookieNames(secure)
  reply.clearCookie(names.session, { path: '/', secure })
  reply.clearCookie(names.csrf, { path: '/', secure })
}

export async function identityRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const signIn = createSignIn(deps)
  const secure = deps.config.COOKIE_SECURE

  app.post(
    '/api/auth/signin',
    {
      config: {
        allowFrozen: true,
        rateLimit: { max: deps.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' },
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password',
        body: z.object({ email: emailSchema, password: z.string().min(1).max(128) }),
        response: { 200: meSchema, 202: pendingSignInSchema },
      },
    },
    async (request, reply) => {
      // Rotate: whatever session the browser had is ended before a new one is issued.
      if (request.user) await deps.sessions.revoke(request.user.sessionId)
      const result = await signIn({
        email: request.body.email,
        password: request.body.password,
        userAgent: String(request.headers['user-agent'] ?? ''),
        ip: request.ip,
        deviceToken: request.cookies[cookieNames(secure).device],
      })
      if (result.status === 'pending') {
        const { deviceToken, outcome: _, ...pending } = result.pending
        setDeviceCookie(reply, deviceToken, secure)
        return reply.status(202).send(pending)
      }
      const { user, session } = result
      if (result.deviceToken) setDeviceCookie(reply, result.deviceToken, secure)
      setSessionCookies(reply, session, secure)
      return { user, permissions: permissionsOf(user.role), csrfToken: session.csrfToken }
    },
  )

  const policy = passwordPolicyFor(deps.config)
  app.post(
    '/api/auth/password-check',
    {
      config: { rateLimit: { max: deps.config.PASSWORD_CHECK_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary:
          'The password policy’s verdict on a password being chosen (the strength meter); signed in, your own email and name count',
        body: z.object({
          password: z.string().max(PASSWORD_MAX * 4),
          email: z.string().max(254).optional(),
          displayName: z
            .string()
            .max(DISPLAY_NAME_MAX * 4)
            .optional(),
          hasSecondFactor: z.boolean().default(false),
        }),
        response: {
          200: z.object({
            ok: z.boolean(),
            score: z.number().int(),
            problem: z.string().optional(),
            message: z.string().optional(),
            suggestion: z.string().nullable().optional(),
            breachCheck: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const { password, hasSecondFactor } = request.body
      const email = request.user?.email ?? request.body.email ?? ''
      const displayName = request.user?.displayName ?? request.body.displayName
      return policy.check(password, { email, displayName, hasSecondFactor })
    },
  )

  app.post(
    '/api/auth/signout',
    {
      config: { allowFrozen: true },
      preHandler: requireUser,
      schema: { tags: ['auth'], summary: 'End this session' },
    },
    async (request, reply) => {
      const user = request.user!
      await deps.sessions.revoke(user.sessionId)
      await appendAudit(deps.db, {
        actor: `user:${user.id}`,
        action: 'auth.signout',
        target: `user:${user.id}`,
      })
      clearSessionCookies(reply, secure)
      return reply.status(204).send()
    },
  )

  app.post(
    '/api/auth/signout-all',
    {
      config: { allowFrozen: true },
      preHandler: requireUser,
      schema: {
        tags: ['auth'],
        summary: 'End every session of this account, on every device',
        response: { 200: z.object({ ended: z.number().int() }) },
      },
    },
    async (request, reply) => {
      const user = request.user!
      const ended = await deps.sessions.revokeAll(user.id)
      await appendAudit(deps.db, {
        actor: `user:${user.id}`,
        action: 'auth.signout_everywhere',
        target: `user:${user.id}`,
        details: { sessionsEnded: ended },
      })
      clearSessionCookies(reply, secure)
      return { ended }
    },
  )

  app.get(
    '/api/auth/me',
    {
      preHandler: requireUser,
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: meSchema } },
    },
    async (request) => {
      const user = request.user!
      return {
        user: {
          id: user.id,
          email: user.email,
          kind: user.kind,
          role: user.role,
          displayName: user.displayName,
          status: user.status,
        },
        permissions: permissionsOf(user.role),
        csrfToken: user.csrfToken,
      }
    },
  )
}
