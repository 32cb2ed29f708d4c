import { z } from 'zod'
import { requireUser } from '../../platform/http/auth.ts'
import { REAUTH_WINDOW_MS } from '../../platform/http/reauth.ts'
import { setSessionCookies } from '../../platform/identity/routes.ts'
import { reauthenticate } from '../reauth.ts'
import { factorFields, passwordSchema } from '../schema.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function reauthRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- Re-authentication before sensitive changes (routes with config.reauth, platform/http/reauth.ts). ---
  app.post(
    '/api/auth/reauth',
    {
      config: { rateLimit: { max: ctx.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      preHandler: requireUser,
      schema: {
        tags: ['auth'],
        summary:
          'Confirm it is you (password, authenticator or recovery code, or passkey) before a sensitive change; valid 5 minutes. Issues a new session and CSRF token and ends the old ones',
        body: z.object({ password: passwordSchema.optional(), ...factorFields }),
        response: { 200: z.object({ method: z.string(), validUntil: z.string(), csrfToken: z.string() }) },
      },
    },
    async (request, reply) => {
      const user = request.user!
      const { method, session } = await reauthenticate(
        deps,
        {
          userId: user.id,
          sessionId: user.sessionId,
          ip: request.ip,
          userAgent: String(request.headers['user-agent'] ?? ''),
        },
        request.body,
      )
      setSessionCookies(reply, session, ctx.config.COOKIE_SECURE)
      return {
        method,
        validUntil: new Date(deps.clock.now().getTime() + REAUTH_WINDOW_MS).toISOString(),
        csrfToken: session.csrfToken,
      }
    },
  )
}
