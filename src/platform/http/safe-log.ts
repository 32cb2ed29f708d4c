/**
 * @module How errors are written to the log. Pino's standard serializer copies every property of an
 * error, and a database error's properties include the SQL and its bound values; this one keeps the
 * type, stable code, status, message and stack of application errors, only SQLSTATE and constraint
 * of database errors (see db/errors.ts), and follows `cause` a few levels with the same rules.
 */
import { isDatabaseError, summariseDatabaseError } from '../db/errors.ts'
import { isAppError } from '../errors.ts'

export type LoggedError = {
  type: string
  message?: string
  code?: string
  status?: number
  sqlState?: string
  constraint?: string
  stack?: string
  cause?: LoggedError
}

const MAX_CAUSES = 3

/**
 * An error as the log may show it.
 * @example serializeError(e) // what `app.log.error({ err: e }, 'job failed')` writes as `err`
 */
export function serializeError(error: unknown, depth = 0): LoggedError {
  if (isDatabaseError(error)) return summariseDatabaseError(error)
  if (!(error instanceof Error)) return { type: typeof error }
  const out: LoggedError = { type: error.name || 'Error', message: error.message }
  if (isAppError(error)) {
    out.code = error.code
    out.status = error.status
  } else {
    const e = error as Error & { code?: unknown; statusCode?: unknown }
    if (typeof e.code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(e.code)) out.code = e.code
    if (typeof e.statusCode === 'number') out.status = e.statusCode
  }
  if (error.stack) out.stack = error.stack
  if (error.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(error.cause, depth + 1)
  return out
}
