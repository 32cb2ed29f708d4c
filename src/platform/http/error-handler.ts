/**
 * @module The one place errors become HTTP responses: `{ code, message, requestId }`. A client's
 * mistake is a 4xx with a stable code; anything unexpected is a 500 whose details stay in the log.
 * SQL, stack traces and secrets never reach a client, and the log gets the error's code, the route and
 * the request id (pino adds `reqId`); a database error is logged as its SQLSTATE and constraint only
 * (the `err` serializer, see safe-log.ts), never its SQL or bound values.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { isAppError } from '../errors.ts'

export type ErrorBody = {
  code: string
  message: string
  requestId: string
  details?: Record<string, unknown>
}

/** Fastify's own 4xx errors, renamed to stable Bulwark codes. */
const fastifyCodes: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_INPUT', 'The JSON body is empty.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['MALFORMED_JSON', 'The body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_INPUT', 'The Content-Length header does not match the body.'],
  FST_ERR_BAD_URL: ['INVALID_INPUT', 'The URL is malformed.'],
  FST_ERR_ASYNC_CONSTRAINT: ['INVALID_INPUT', 'The request could not be routed.'],
}

/** The matched route's pattern (`/api/por/rounds/:id`), never the URL with its values. */
function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? '(no route)'}`
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const requestId = request.id
    if (isAppError(error)) {
      const body: ErrorBody = { code: error.code, message: error.message, requestId }
      if (error.details) body.details = error.details
      if (error.status >= 500)
        request.log.error({ err: error, code: error.code, route: routeOf(request) }, 'application error')
      return reply.status(error.status).send(body)
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = error.validation.map((v) => {
        const where = v.instancePath
          ? v.instancePath.replace(/^\//, '').replaceAll('/', '.')
          : error.validationContext
        return `${where || 'request'}: ${v.message}`
      })
      return reply.status(400).send({
        code: 'INVALID_INPUT',
        message: `The request is invalid. ${fields.slice(0, 5).join('; ')}`,
        requestId,
        details: { context: error.validationContext ?? 'body', fields: fields.slice(0, 20) },
      } satisfies ErrorBody)
    }
    if (error.validation) {
      return reply
        .status(400)
        .send({ code: 'INVALID_INPUT', message: 'The request is invalid.', requestId } satisfies ErrorBody)
    }
    const known = error.code ? fastifyCodes[error.code] : undefined
    if (known) {
      return reply.status(error.statusCode ?? 400).send({ code: known[0], message: known[1], requestId })
    }
    const status = error.statusCode ?? 500
    if (status === 429) {
      return reply
        .status(429)
        .send({ code: 'RATE_LIMITED', message: 'Too many requests. Wait a minute and try again.', requestId })
    }
    if (status >= 400 && status < 500) {
      return reply
        .status(status)
        .send({ code: 'BAD_REQUEST', message: 'The request could not be processed.', requestId })
    }
    request.log.error({ err: error, code: 'INTERNAL_ERROR', route: routeOf(request) }, 'unexpected error')
    return reply.status(500).send({
      code: 'INTERNAL_ERROR',
      message: 'Something went wrong on our side. Quote the request id if you contact support.',
      requestId,
    } satisfies ErrorBody)
  })
}
