/**
 * @module Account protection, the public surface for other domains:
 *   canWithdrawTo(deps, userId, network, address, at)  — custody asks before any withdrawal
 *   withdrawalLock(deps, userId, at)                   — the lock in force and its end
 *   confirmSensitiveAction(deps, { userId, totpCode?, passkeyResponse? }) — second factor for a
 *     sensitive action (throws AppError SECOND_FACTOR_REQUIRED / SECOND_FACTOR_INVALID)
 *   secondFactors(deps, userId)                        — which second factors an account has (staff gate)
 */
export {
  type AddressCheck,
  canonicalAddress,
  type WithdrawalNetwork,
  withdrawalNetworks,
} from './addresses.ts'
export { authenticateApiRequest } from './api-keys.ts'
export { accountsDeps, mailerFor } from './deps.ts'
export type { LockState } from './locks.ts'
export { createSignInGate } from './sign-in-gate.ts'
export { confirmSensitiveAction, secondFactors } from './two-factor.ts'
export { canWithdrawTo, type WithdrawDecision } from './whitelist.ts'
export { withdrawalLock } from './withdrawal-locks.ts'
