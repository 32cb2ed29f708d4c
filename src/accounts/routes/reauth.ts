import { z } from 'zod'
import { requireUser } from '../../platform/http/auth.ts'
import { REAUTH_WINDOW_MS } from '../../platform/http/reauth.ts'
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
          'Confirm it is you (password, authenticator or recovery code, or passkey) before a sensitive change; valid 5 minutes',
        body: z.object({ password: passwordSchema.optional(), ...factorFields }),
        response: { 200: z.object({ method: z.string(), validUntil: z.string() }) },
      },
    },
    async (request) => {
      const user = request.user!
      const { method } = await reauthenticate(
        deps,
        { userId: user.id, sessionId: user.sessionId, ip: request.ip },
        request.body,
      )
      return { method, validUntil: new Date(deps.clock.now().getTime() + REAUTH_WINDOW_MS).toISOString() }
    },
  )
}
