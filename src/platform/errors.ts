/**
 * @module The one error type of Bulwark. Every failure a client can see carries a stable `code`
 * (UPPER_SNAKE, never renamed once shipped), an HTTP status and a message the user can act on.
 * The HTTP error handler renders only `{ code, message, requestId }`; `cause` stays in the logs.
 */

export type AppErrorOptions = {
  /** The underlying error, for logs only; never sent to a client. */
  cause?: unknown
  /** Extra machine-readable facts safe to show the client (e.g. `{ field: 'email' }`). */
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  /**
   * @example throw new AppError('WITHDRAWAL_LOCKED', 423, 'Withdrawals are locked until 2026-11-25 10:00 UTC after a password change.')
   */
  constructor(code: string, status: number, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = status
    this.details = options.details
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}

/** Errors shared across domains, so the same situation always reads the same way. */
export const errors = {
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} was not found.`),
  unauthenticated: () => new AppError('UNAUTHENTICATED', 401, 'Sign in to continue.'),
  forbidden: (permission: string) =>
    new AppError('FORBIDDEN', 403, `Your role does not include the permission "${permission}".`, {
      details: { permission },
    }),
  invalidInput: (message: string, details?: Record<string, unknown>) =>
    new AppError('INVALID_INPUT', 400, message, details === undefined ? {} : { details }),
  conflict: (code: string, message: string) => new AppError(code, 409, message),
}
