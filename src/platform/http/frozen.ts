/**
 * @module The frozen-account guard for every route: an account frozen after "This wasn't me" can look
 * but not touch. A frozen user's state-changing request is refused with ACCOUNT_FROZEN unless the
 * matched route declares `config: { allowFrozen: true }` (signing in to look, and signing out).
 * Like API-key scopes, the decision reads the matched route's config, never the URL.
 */
import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A frozen account may still call this state-changing route (sign-in and sign-out only). */
    allowFrozen?: boolean
  }
}

export const accountFrozen = () =>
  new AppError(
    'ACCOUNT_FROZEN',
    423,
    'This account is frozen after a "This wasn\'t me" report. You can view it; support will contact you to review and unfreeze it.',
  )

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Installs the guard; register after authentication hooks (session and API key) and before routes. */
export function installFrozenAccountGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (request.user?.status !== 'frozen' || READ_METHODS.has(request.method)) return
    if (request.routeOptions.config.allowFrozen === true) return
    throw accountFrozen()
  })
}
