import { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import { pendingSignInSchema, setDeviceCookie, setSessionCookies } from '../../platform/identity/routes.ts'
import { tokenDigest } from '../../platform/identity/tokens.ts'
import { permissionsOf } from '../../platform/rbac.ts'
import { passkeyAuthenticationOptions, passkeySignInOptions } from '../passkeys.ts'
import { factorFields, tokenSchema } from '../schema.ts'
import { type AccountsApp, type AccountsRouteContext, context, meSchema } from './context.ts'

export function signInRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps, flow, secure } = ctx
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
      config: {
        allowFrozen: true,
        rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' },
      },
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
      config: {
        allowFrozen: true,
        rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' },
      },
      schema: { tags: ['auth'], summary: 'WebAuthn options for a passwordless sign-in with a passkey' },
    },
    async () => passkeySignInOptions(deps),
  )

  app.post(
    '/api/auth/passkey',
    {
      config: {
        allowFrozen: true,
        rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' },
      },
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
      config: { allowFrozen: true },
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

  app.post(
    '/api/auth/signin/passkey-options',
    {
      config: { allowFrozen: true },
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
}
