/**
 * @module The password policy of NIST SP 800-63B rev 4 / OWASP ASVS 5 L2: length only (12-128, or 15
 * while no second factor is on), no composition rules, refused when it is a common or breached
 * password or contains the email. The common list is zxcvbn-ts's `passwords-common` dictionary
 * (the most frequent passwords from public breach corpora), shipped by @zxcvbn-ts/language-common.
 */
import { dictionary } from '@zxcvbn-ts/language-common'
import { AppError } from '../platform/errors.ts'

export const PASSWORD_MAX = 128
export const PASSWORD_MIN_WITH_SECOND_FACTOR = 12
export const PASSWORD_MIN_WITHOUT_SECOND_FACTOR = 15

let common: Set<string> | undefined
/** The breached/common password list, loaded once, lower-cased. */
export function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  return common
}

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_email'

export type PasswordCheck = { ok: true } | { ok: false; problem: PasswordProblem; message: string }

/**
 * Checks a candidate password. Length counts Unicode code points (NIST: every printable character
 * and spaces are allowed). A password is "common" when it, or it with trailing digits and symbols
 * stripped, or it with repeated characters collapsed, is on the breached list.
 * @example checkPassword('correct horse battery staple', { email: 'a@b.co', hasSecondFactor: false })
 */
export function checkPassword(
  password: string,
  { email, hasSecondFactor }: { email: string; hasSecondFactor: boolean },
): PasswordCheck {
  const length = [...password].length
  const min = hasSecondFactor ? PASSWORD_MIN_WITH_SECOND_FACTOR : PASSWORD_MIN_WITHOUT_SECOND_FACTOR
  if (length < min) {
    return {
      ok: false,
      problem: 'too_short',
      message: hasSecondFactor
        ? `Use at least ${min} characters.`
        : `Use at least ${min} characters (12 once two-factor authentication is on).`,
    }
  }
  if (length > PASSWORD_MAX) {
    return { ok: false, problem: 'too_long', message: `Use at most ${PASSWORD_MAX} characters.` }
  }
  const lower = password.toLowerCase()
  const local = email.trim().toLowerCase().split('@')[0] ?? ''
  if (lower.includes(email.trim().toLowerCase()) || (local.length >= 4 && lower.includes(local))) {
    return {
      ok: false,
      problem: 'contains_email',
      message: 'Do not use your email address in your password.',
    }
  }
  if (isCommon(lower)) {
    return {
      ok: false,
      problem: 'common',
      message:
        'This password appears in lists of breached passwords. Choose another one, such as a long phrase.',
    }
  }
  return { ok: true }
}

function isCommon(lower: string): boolean {
  const list = commonPasswords()
  const variants = new Set([
    lower,
    lower.replace(/[\d\W_]+$/u, ''),
    lower.replace(/^[\d\W_]+/u, ''),
    lower.replace(/\s+/gu, ''),
  ])
  for (const v of variants) if (v.length > 0 && list.has(v)) return true
  // A short word repeated to reach the length ("passwordpassword") is as weak as the word.
  for (let size = 1; size <= lower.length / 2; size++) {
    if (lower.length % size !== 0) continue
    const unit = lower.slice(0, size)
    if (unit.repeat(lower.length / size) === lower && (size < 4 || list.has(unit))) return true
  }
  return false
}

/** Throws PASSWORD_REJECTED (400) with the reason when the password fails the policy. */
export function assertPasswordAcceptable(
  password: string,
  options: { email: string; hasSecondFactor: boolean },
): void {
  const result = checkPassword(password, options)
  if (!result.ok) {
    throw new AppError('PASSWORD_REJECTED', 400, result.message, { details: { problem: result.problem } })
  }
}
