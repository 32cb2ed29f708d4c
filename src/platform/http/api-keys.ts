/**
 * @module API-key authentication and authorisation, for every route of the app. A request that
 * carries `BW-ACCESS-KEY` is authorised from the **matched route's own config** — what an API key
 * may do there is declared beside the route:
 *
 *   app.post('/api/p2p/orders/:id/release', { config: { apiKey: 'withdraw' }, preHandler: requireCustomer, … })
 *
 * `forbidden` (the default for a route that declares nothing) refuses every key; `read`, `trade` and
 * `withdraw` require a key holding that permission. The router has already decoded and matched the
 * path, so no spelling of a URL (`%61ccounts`, `//api`, `/API/…`, a trailing slash) can reach a
 * handler under another route's rules: nothing here looks at `request.url` except the signature, which
 * covers the exact bytes the client signed.
 */
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'
import type { SessionUser } from '../identity/sessions.ts'

/** What an API key may do on a route, from none to most. */
export const apiKeyAccessLevels = ['forbidden', 'read', 'trade', 'withdraw'] as const
export type ApiKeyAccess = (typeof apiKeyAccessLevels)[number]
/** The permissions a key can hold (every level but `forbidden`). */
export type ApiKeyPermission = Exclude<ApiKeyAccess, 'forbidden'>

export const ACCESS_KEY_HEADER = 'bw-access-key'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a signed API key may do on this route; absent = `forbidden`. */
    apiKey?: ApiKeyAccess
  }
  interface FastifyRequest {
    /** The raw body of an API-key request, as signed by the client. */
    rawBody?: string
    /** Permissions of the API key that authenticated this request. */
    apiKeyPermissions?: readonly ApiKeyPermission[]
    /** The id of the API key that authenticated this request. */
    apiKeyId?: string
  }
}

/** A signed request as the key's owner sent it. */
export type SignedApiRequest = {
  accessKey: string
  signature: string
  timestamp: string
  passphrase: string
  method: string
  /** The path and query exactly as sent (what the client signed). */
  path: string
  body: string
  ip: string
}

export type ApiKeyAuthentication = {
  user: SessionUser
  keyId: string
  permissions: readonly ApiKeyPermission[]
}

/** Checks key, passphrase, IP, timestamp, signature and replay; throws an AppError when refused. */
export type ApiKeyAuthenticator = (request: SignedApiRequest) => Promise<ApiKeyAuthentication>

/** The API-key level a route declares (deny by default). */
export function routeApiKeyAccess(request: FastifyRequest): ApiKeyAccess {
  return request.routeOptions.config.apiKey ?? 'forbidden'
}

export type InstallApiKeyAuthParameters = { authenticate: ApiKeyAuthenticator; bodyLimit: number }

/**
 * Installs API-key authentication on the root instance; must run before any route is registered.
 * Routes declaring an API-key level other than `forbidden` must be customer routes: a staff route
 * that declares one is refused at start-up.
 */
export function installApiKeyAuth(
  app: FastifyInstance,
  { authenticate, bodyLimit }: InstallApiKeyAuthParameters,
) {
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { apiKey?: unknown; audience?: string }
    if (config.apiKey === undefined) return
    if (!(apiKeyAccessLevels as readonly unknown[]).includes(config.apiKey))
      throw new Error(`Route ${route.url}: config.apiKey must be one of ${apiKeyAccessLevels.join(', ')}`)
    if (config.apiKey !== 'forbidden' && config.audience !== 'customer')
      throw new Error(`Route ${route.url}: only customer routes may accept API keys`)
  })

  // The signature covers the bytes the client sent, so keep them before JSON parsing.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.headers[ACCESS_KEY_HEADER] === undefined) return payload
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of payload) {
      size += (chunk as Buffer).length
      if (size > bodyLimit) throw new AppError('PAYLOAD_TOO_LARGE', 413, 'The request body is too large.')
      chunks.push(chunk as Buffer)
    }
    const raw = Buffer.concat(chunks)
    request.rawBody = raw.toString('utf8')
    return Readable.from([raw])
  })

  app.addHook('preValidation', async (request) => {
    const accessKey = request.headers[ACCESS_KEY_HEADER]
    if (accessKey === undefined || request.user || request.is404) return
    const needed = routeApiKeyAccess(request)
    if (needed === 'forbidden') {
      throw new AppError(
        'API_KEY_NOT_ALLOWED',
        403,
        'API keys cannot be used here (account security, sign-in and staff tools); sign in on the website.',
      )
    }
    const header = (name: string) => {
      const value = request.headers[name]
      return typeof value === 'string' ? value : ''
    }
    const result = await authenticate({
      accessKey: typeof accessKey === 'string' ? accessKey : '',
      signature: header('bw-access-sign'),
      timestamp: header('bw-access-timestamp'),
      passphrase: header('bw-access-passphrase'),
      method: request.method,
      path: request.url,
      body: request.rawBody ?? '',
      ip: request.ip,
    })
    if (!result.permissions.includes(needed)) {
      throw new AppError('API_KEY_PERMISSION', 403, `This API key lacks the "${needed}" permission.`, {
        details: { needed },
      })
    }
    request.user = result.user
    request.authMethod = 'api_key'
    request.apiKeyPermissions = result.permissions
    request.apiKeyId = result.keyId
  })
}
