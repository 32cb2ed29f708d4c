/**
 * @module Authentication and authorisation for routes. A session cookie is resolved on every
 * request (onRequest); a route then states who may call it with a guard:
 *   preHandler: requireCustomer | requireUser | requireStaff('audit.read')
 * Guards are moved to run before body validation, so an unauthorised caller gets 401/403 and
 * learns nothing about the body the route expects. Every staff route's permission is recorded in
 * its config, which is how the RBAC test finds them all.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { AppError, errors } from '../errors.ts'
import type { Sessions, SessionUser } from '../identity/sessions.ts'
import { DEVICE_COOKIE } from '../identity/sign-in.ts'
import { constantTimeEqual } from '../identity/tokens.ts'
import { type Permission, roleHasPermission } from '../rbac.ts'

export const SESSION_COOKIE = 'bulwark_session'
export const CSRF_COOKIE = 'bulwark_csrf'
export const CSRF_HEADER = 'x-csrf-token'

/** The names the session, CSRF and device cookies go by on this install (see cookieNames). */
export type CookieNames = { session: string; csrf: string; device: string }

/**
 * Cookie names for an install. With COOKIE_SECURE the `__Host-` prefix (ASVS 3.3.1, 3.3.3): a
 * browser accepts such a cookie only when it is Secure, has Path=/ and no Domain, so a sibling
 * subdomain or a plain-http page cannot plant or overwrite it. Over plain http browsers refuse
 * `__Host-` cookies, so without COOKIE_SECURE the names stay unprefixed. Only the configured name is
 * read: accepting the unprefixed one too would let a planted cookie back in.
 * @example reply.setCookie(cookieNames(config.COOKIE_SECURE).session, token, { path: '/', secure: true })
 */
export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : ''
  return {
    session: `${prefix}${SESSION_COOKIE}`,
    csrf: `${prefix}${CSRF_COOKIE}`,
    device: `${prefix}${DEVICE_COOKIE}`,
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, or null. */
    user: SessionUser | null
    /** How the user was authenticated; CSRF applies to cookie sessions only. */
    authMethod: 'session' | 'api_key' | null
  }
  interface FastifyInstance {
    /** The cookie names of this install (set by installAuth from COOKIE_SECURE). */
    cookieNames: CookieNames
  }
  interface FastifyContextConfig {
    /** Set by requireStaff: the permission this route needs (read by the RBAC matrix test). */
    permission?: Permission
    /** Set by the guards: who may call the route. */
    audience?: 'customer' | 'staff' | 'user'
  }
}

type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  audience: 'customer' | 'staff' | 'user'
  permission?: Permission
}

function guard(
  audience: Guard['audience'],
  check: (user: SessionUser) => void,
  permission?: Permission,
): Guard {
  const fn = async (request: FastifyRequest) => {
    if (!request.user) throw errors.unauthenticated()
    check(request.user)
  }
  return Object.assign(fn, { audience }, permission ? { permission } : {})
}

/** Any signed-in person, customer or staff. */
export const requireUser: Guard = guard('user', () => {})

/** A signed-in customer. Staff get 403: staff accounts are not customer accounts. */
export const requireCustomer: Guard = guard('customer', (user) => {
  if (user.kind !== 'customer') throw new AppError('CUSTOMERS_ONLY', 403, 'This is for customer accounts.')
})

/** Whether a staff member has a second factor (TOTP or a passkey); account protection supplies it. */
export type StaffSecondFactorCheck = (userId: string) => Promise<boolean>

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by installStaffSecondFactorCheck; requireStaff refuses every staff route without it. */
    staffHasSecondFactor?: StaffSecondFactorCheck
  }
}

/**
 * Tells requireStaff how to find out whether a staff member enrolled a second factor. Call before
 * registering routes; until it is called every staff route answers STAFF_SECOND_FACTOR_REQUIRED.
 * @example installStaffSecondFactorCheck(app, async (id) => (await secondFactors(deps, id)).any)
 */
export function installStaffSecondFactorCheck(app: FastifyInstance, check: StaffSecondFactorCheck): void {
  app.decorate('staffHasSecondFactor', check)
}

export const staffSecondFactorRequired = () =>
  new AppError(
    'STAFF_SECOND_FACTOR_REQUIRED',
    403,
    'Staff accounts need two-factor authentication. Turn on an authenticator app or add a passkey in Security (/security/two-factor), then try again.',
  )

/**
 * A signed-in staff member who has enrolled a second factor and whose role holds `permission`
 * (see rbac.ts). The second-factor check comes before the role check, so a staff member without a
 * factor is told to enrol on every staff route; the enrolment routes use requireUser.
 */
export function requireStaff(permission: Permission): Guard {
  const fn = async (request: FastifyRequest) => {
    const user = request.user
    if (!user) throw errors.unauthenticated()
    if (user.kind !== 'staff') throw errors.forbidden(permission)
    const hasSecondFactor = request.server.staffHasSecondFactor
    if (!hasSecondFactor || !(await hasSecondFactor(user.id))) throw staffSecondFactorRequired()
    if (!roleHasPermission(user.role, permission)) throw errors.forbidden(permission)
  }
  return Object.assign(fn, { audience: 'staff' as const, permission })
}

function isGuard(value: unknown): value is Guard {
  return typeof value === 'function' && 'audience' in value
}

/**
 * Installs session resolution, guard relocation and CSRF checking on an instance.
 * Must be registered before any route.
 */
export function installAuth(app: FastifyInstance, sessions: Sessions, names = cookieNames(false)): void {
  app.decorate('cookieNames', names)
  app.decorateRequest('user', null)
  app.decorateRequest('authMethod', null)

  app.addHook('onRoute', (route: RouteOptions) => {
    const handlers = route.preHandler === undefined ? [] : [route.preHandler].flat()
    const guards = handlers.filter(isGuard)
    if (guards.length === 0) return
    route.preHandler = handlers.filter((h) => !isGuard(h)) as NonNullable<RouteOptions['preHandler']>
    const before = route.preValidation === undefined ? [] : [route.preValidation].flat()
    route.preValidation = [...guards, ...before] as NonNullable<RouteOptions['preValidation']>
    const last = guards[guards.length - 1]!
    route.config = {
      ...(route.config as object),
      audience: last.audience,
      ...(last.permission ? { permission: last.permission } : {}),
    } as NonNullable<RouteOptions['config']>
  })

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[names.session]
    if (!token) return
    const user = await sessions.resolve(token)
    if (user) {
      request.user = user
      request.authMethod = 'session'
    }
  })

  // CSRF: a state-changing request carried by a session cookie must echo the session's CSRF token
  // in a header, which a cross-site form or image cannot do (double-submit, bound to the session).
  app.addHook('preValidation', async (request) => {
    if (request.authMethod !== 'session' || !request.user) return
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return
    const sent = request.headers[CSRF_HEADER]
    if (typeof sent !== 'string' || !constantTimeEqual(sent, request.user.csrfToken)) {
      throw new AppError(
        'CSRF_TOKEN_INVALID',
        403,
        'This request did not come from a Bulwark page. Reload and try again.',
      )
    }
  })
}
