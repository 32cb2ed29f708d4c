/**
 * @module The anti-phishing code: 4-20 letters or digits the customer chooses. Bulwark prints it in
 * every email and every in-app security notice; a message without it, or with a different one, did
 * not come from us.
 */
import { AppError } from '../platform/errors.ts'

export const ANTI_PHISHING_PATTERN = /^[A-Za-z0-9]{4,20}$/

export function assertAntiPhishingCode(code: string): void {
  if (!ANTI_PHISHING_PATTERN.test(code)) {
    throw new AppError('ANTI_PHISHING_CODE_INVALID', 400, 'Use 4 to 20 letters or digits, with no spaces.')
  }
}

/** The line every email starts with. */
export function antiPhishingLine(code: string | null): string {
  return code
    ? `Your Bulwark anti-phishing code: ${code}`
    : 'Anti-phishing code: not set yet. Set one in Security center so you can tell our emails from fakes.'
}
