/**
 * @module Database errors, told apart from other errors and reduced to what is safe to log. pg and
 * PGlite errors carry the SQL text (`query`), its bound values (`params`/`parameters`) and a
 * `detail` that quotes row values (`Key (email)=(…) already exists`); a password hash once reached
 * the error log that way. Only the SQLSTATE code and the constraint name leave this module.
 */

/** What may be logged about a database error. */
export type DatabaseErrorSummary = { type: 'DatabaseError'; sqlState: string; constraint?: string }

/** True for an error raised by PostgreSQL or PGlite (a SQLSTATE `code` and a `severity`, or SQL attached). */
export function isDatabaseError(error: unknown): error is Error & { code: string; constraint?: string } {
  if (!(error instanceof Error)) return false
  const e = error as unknown as Record<string, unknown>
  const sqlState = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
  return (sqlState && typeof e.severity === 'string') || 'query' in e || 'params' in e || 'parameters' in e
}

/**
 * The SQLSTATE and constraint name of a database error, nothing else.
 * @example summariseDatabaseError(e) // { type: 'DatabaseError', sqlState: '23505', constraint: 'users_email_key' }
 */
export function summariseDatabaseError(
  error: Error & { code?: unknown; constraint?: unknown },
): DatabaseErrorSummary {
  const sqlState = typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) ? error.code : 'unknown'
  const constraint =
    typeof error.constraint === 'string' && /^[A-Za-z0-9_.$-]{1,128}$/.test(error.constraint)
      ? error.constraint
      : undefined
  return { type: 'DatabaseError', sqlState, ...(constraint ? { constraint } : {}) }
}
