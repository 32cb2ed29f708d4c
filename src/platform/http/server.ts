/**
 * @module The Fastify instance every domain's routes are registered on: security headers, cookies,
 * rate limits, request ids, redacted logs, Zod validation, OpenAPI at /docs, the error handler and
 * session authentication. `listen()` is separate (see main.ts) so tests use `app.inject()`.
 */
import { randomUUID } from 'node:crypto'
import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import type { Sessions } from '../identity/sessions.ts'
import { cookieNames, installAuth } from './auth.ts'
import { installErrorHandler } from './error-handler.ts'
import { installInputHygiene } from './input-hygiene.ts'
import { installNoStore } from './no-store.ts'
import { installReauth } from './reauth.ts'
import { serializeError } from './safe-log.ts'

export type HttpServer = FastifyInstance & { withTypeProvider(): FastifyInstance }
export type AppInstance = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance

export type CreateHttpServerParameters = {
  config: Config
  sessions: Sessions
  logger?: FastifyServerOptions['logger']
}

/**
 * TRUST_PROXY as Fastify takes it: a hop count becomes "trust the N nearest hops" (the address each
 * proxy saw), so `X-Forwarded-For` entries a client wrote itself never become its IP.
 */
function trustProxySetting(setting: Config['TRUST_PROXY']) {
  if (typeof setting !== 'number') return setting
  return (_address: string, hop: number) => hop < setting
}

/** Paths whose query strings may carry one-time tokens: logged without the query. */
function redactUrl(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`
}

/**
 * Logger options: the caller's (tests pass a stream), always with the redaction and the serializers
 * that keep query strings, SQL and bound values out of the log.
 */
function loggerOptions(
  config: Config,
  logger: CreateHttpServerParameters['logger'],
): NonNullable<FastifyServerOptions['logger']> {
  if (logger === false) return false
  const given = typeof logger === 'object' && logger !== null ? logger : {}
  return {
    level: config.LOG_LEVEL,
    ...given,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'req.headers["x-csrf-token"]',
        'req.headers["bw-access-sign"]',
        'req.headers["bw-access-passphrase"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      // Replaces pino's serializer, which copies every property (a database error's SQL and values).
      err: ((err: unknown) => serializeError(err)) as never,
    },
  }
}

export async function createHttpServer({ config, sessions, logger }: CreateHttpServerParameters) {
  const app = Fastify({
    logger: loggerOptions(config, logger),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Slow clients: the whole request must arrive within the request timeout and its headers within
    // the headers timeout, checked every second (Node's default check runs every 30 s). No socket
    // idle timeout (connectionTimeout): it would also cut a long-running handler's silent socket.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_SECONDS * 1000,
    http: {
      headersTimeout:
        Math.min(config.HTTP_HEADERS_TIMEOUT_SECONDS, config.HTTP_REQUEST_TIMEOUT_SECONDS) * 1000,
      connectionsCheckingInterval: 1000,
    },
    trustProxy: trustProxySetting(config.TRUST_PROXY),
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installErrorHandler(app)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // wasm-unsafe-eval: the proof-of-reserves page compiles bb.js's wasm to verify zk proofs (no eval of JS).
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        // No page sets <base>: 'none' stops injected markup from re-rooting relative URLs (ASVS 3.4.3).
        baseUri: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: config.COOKIE_SECURE ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  })
  await app.register(cookie)
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    errorResponseBuilder: () =>
      Object.assign(new AppError('RATE_LIMITED', 429, 'Too many requests. Wait a minute and try again.'), {
        statusCode: 429,
      }),
  })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Bulwark API',
        version: '0.1.0',
        description:
          'Security and transparency platform for crypto exchanges. Cookie-authenticated state changes need the `x-csrf-token` header (value of the `bulwark_csrf` cookie).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: cookieNames(config.COOKIE_SECURE).session },
        },
      },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI needs its own policy (its styles), but not <base>: same base-uri as the app (ASVS 3.4.3).
    transformStaticCSP: (header) => header.replace("base-uri 'self'", "base-uri 'none'"),
  })

  installAuth(app, sessions, cookieNames(config.COOKIE_SECURE))
  installReauth(app, sessions)
  installInputHygiene(app)
  installNoStore(app)

  // Every route with its audience and permission, for the RBAC and robustness tests and for
  // operators (`GET /api/meta/routes` could expose it later); recorded after installAuth rewrote it.
  const routeTable: RouteInfo[] = []
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { audience?: RouteInfo['audience']; permission?: string }
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue
      routeTable.push({
        method,
        url: route.url,
        ...(config.audience ? { audience: config.audience } : {}),
        ...(config.permission ? { permission: config.permission } : {}),
      })
    }
  })
  app.decorate('routeTable', routeTable)
  return app
}

export type RouteInfo = {
  method: string
  url: string
  audience?: 'customer' | 'staff' | 'user'
  permission?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route (method, url, audience, permission). */
    routeTable: RouteInfo[]
  }
}
