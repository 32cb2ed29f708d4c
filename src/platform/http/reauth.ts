/**
 * @module Fresh proof for sensitive changes. A route that enrols or removes a factor or key, or
 * changes the email or password, declares `config: { reauth: true }`; one hook reads that from the
 * matched route (never from the URL) and answers 401 REAUTH_REQUIRED unless the session signed in
 * or re-authenticated (POST /api/auth/reauth) within the last 5 minutes. A stolen session cookie
 * alone therefore cannot add the thief's authenticator, passkey or API key.
 */
import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.ts'
import type { Sessions } from '../identity/sessions.ts'

/** How long a sign-in or re-authentication counts as fresh proof. */
export const REAUTH_WINDOW_MS = 5 * 60_000

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs a credential proven within REAUTH_WINDOW_MS (see http/reauth.ts). */
    reauth?: boolean
  }
}

export const reauthRequired = () =>
  new AppError(
    'REAUTH_REQUIRED',
    401,
    'For this change, confirm it is you: enter your password or a two-factor code, then try again.',
  )

/**
 * Installs the re-authentication check for every route whose config says `reauth: true`. It runs
 * in preHandler, after the route's guards, so an anonymous caller still gets UNAUTHENTICATED.
 * @example installReauth(app, sessions) // then: app.post('/x', { config: { reauth: true } }, …)
 */
export function installReauth(app: FastifyInstance, sessions: Pick<Sessions, 'provedWithin'>): void {
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.reauth !== true) return
    // Only a browser session can re-authenticate; an API key never reaches these routes anyway.
    if (!request.user || request.authMethod !== 'session') throw reauthRequired()
    if (!(await sessions.provedWithin(request.user.sessionId, REAUTH_WINDOW_MS))) throw reauthRequired()
  })
}
