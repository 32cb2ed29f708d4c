/**
 * @module Caching of API responses. API responses carry secrets (TOTP seeds, API key secrets,
 * recovery codes, the CSRF token) and personal data, so every route under `/api/` answers with
 * `Cache-Control: no-store` unless it declares itself cacheable in its own config, e.g. a published
 * proof-of-reserves file: `config: { cacheable: 'public, max-age=300' }` (errors stay `no-store`). Decided from the matched
 * route's declaration, never from the request URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The Cache-Control value of a route whose answers anyone may cache; default: `no-store`. */
    cacheable?: string
  }
}

/**
 * Adds the Cache-Control header to every API route registered after this call: `no-store`, or the
 * route's declared `cacheable` value on a successful answer (an error is never cached). A header the
 * handler set itself is kept.
 */
export function installNoStore(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/')) return
    const declared = (route.config as { cacheable?: string } | undefined)?.cacheable
    const setHeader = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (reply.hasHeader('cache-control')) return payload
      const ok = reply.statusCode >= 200 && reply.statusCode < 400
      reply.header('cache-control', declared !== undefined && ok ? declared : 'no-store')
      return payload
    }
    const before = route.onSend === undefined ? [] : [route.onSend].flat()
    route.onSend = [...before, setHeader] as NonNullable<RouteOptions['onSend']>
  })
}
