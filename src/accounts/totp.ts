/**
 * @module TOTP (RFC 6238) through otplib: SHA-1, 6 digits, 30 s steps, ±1 step accepted. The caller
 * stores the last accepted step and passes it back, so a code can never be used twice.
 */
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib'

export const TOTP_PERIOD_SECONDS = 30
export const TOTP_MAX_FAILURES = 5
export const TOTP_LOCK_MS = 15 * 60_000

/** A new 160-bit base32 secret. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: string, account: string, issuer = 'Bulwark'): string {
  return generateURI({ issuer, label: account, secret })
}

/** The current code for a secret at a time: for tests and the benchmark. */
export function totpCodeAt(secret: string, at: Date): string {
  return generateSync({ secret, epoch: Math.floor(at.getTime() / 1000) })
}

export type TotpCheck = { valid: true; step: number } | { valid: false; replay: boolean }

/**
 * Verifies a 6-digit code at `at` within ±1 step. A code whose step is not after `lastStep` is a
 * replay and is refused even though it is otherwise correct.
 * @example verifyTotp(secret, '123456', clock.now(), row.totp_last_step)
 */
export function verifyTotp(secret: string, code: string, at: Date, lastStep: number | null): TotpCheck {
  if (!/^\d{6}$/.test(code)) return { valid: false, replay: false }
  const epoch = Math.floor(at.getTime() / 1000)
  const any = verifySync({ secret, token: code, epoch, epochTolerance: TOTP_PERIOD_SECONDS })
  if (!any.valid || !('timeStep' in any)) return { valid: false, replay: false }
  if (lastStep !== null && any.timeStep <= lastStep) return { valid: false, replay: true }
  return { valid: true, step: any.timeStep }
}
