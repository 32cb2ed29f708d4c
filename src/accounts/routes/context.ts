/**
 * @module What every account-protection route file shares: the typed Fastify instance, the services
 * (`deps`, the sign-in gate), and the small schemas and helpers more than one feature uses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../platform/config.ts'
import { userSchema } from '../../platform/identity/routes.ts'
import type { SignInContext } from '../../platform/identity/sign-in.ts'
import type { AccountsDeps } from '../context.ts'
import type { createSignInGate } from '../sign-in-gate.ts'

/** The app instance with Zod schemas as the type provider. */
export function typed(base: FastifyInstance) {
  return base.withTypeProvider<ZodTypeProvider>()
}
export type AccountsApp = ReturnType<typeof typed>

export type AccountsRouteContext = {
  config: Config
  deps: AccountsDeps
  flow: ReturnType<typeof createSignInGate>
  /** Cookies are marked Secure (COOKIE_SECURE). */
  secure: boolean
}

export const idParams = z.object({ id: z.uuid({ message: 'expected an id (UUID)' }) })
export const meSchema = z.object({
  user: userSchema,
  permissions: z.array(z.string()),
  csrfToken: z.string(),
})

/** The device facts a sign-in step records. */
export function context(request: FastifyRequest): SignInContext {
  return {
    userAgent: String(request.headers['user-agent'] ?? ''),
    ip: request.ip,
    deviceToken: request.cookies[request.server.cookieNames.device],
  }
}
