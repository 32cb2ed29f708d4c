/**
 * @module The second factor P2P asks for, provided by account protection (src/accounts): escrow
 * release is confirmed with `confirmSensitiveAction`, and advertiser eligibility ("2FA on") asks the
 * same function with no code, which answers SECOND_FACTOR_REQUIRED listing the enrolled methods
 * (an empty list = none) without counting a failed attempt.
 */
import { confirmSensitiveAction } from '../accounts/index.ts'
import { isAppError } from '../platform/errors.ts'
import type { SecondFactor } from './deps.ts'

type AccountsBase = Parameters<typeof confirmSensitiveAction>[0]
type PasskeyResponse = Parameters<typeof confirmSensitiveAction>[1]['passkeyResponse']

export function accountsSecondFactor(deps: AccountsBase): SecondFactor {
  return {
    async isEnabled(userId) {
      try {
        await confirmSensitiveAction(deps, { userId })
        return true
      } catch (error) {
        if (!isAppError(error)) throw error
        if (error.code === 'TWO_FACTOR_LOCKED') return true
        if (error.code === 'SECOND_FACTOR_REQUIRED') {
          const methods = error.details?.methods
          return Array.isArray(methods) && methods.length > 0
        }
        return false
      }
    },
    async confirm({ userId, totpCode, passkeyResponse }) {
      await confirmSensitiveAction(deps, {
        userId,
        totpCode,
        passkeyResponse: passkeyResponse as PasskeyResponse,
      })
    },
  }
}
