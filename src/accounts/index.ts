/**
 * @module Account protection, the public surface for other domains:
 *   createOutflowGate({ db, clock, risk })               — the one gate every outflow asks (withdrawal, P2P, transfer)
 *   canWithdrawTo(deps, userId, network, address, at)  — frozen, lock, address and whitelist for one destination
 *   withdrawalLock(deps, userId, at)                   — the lock in force and its end
 *   confirmSensitiveAction(deps, { userId, totpCode?, passkeyResponse? }) — second factor for a
 *     sensitive action (throws AppError SECOND_FACTOR_REQUIRED / SECOND_FACTOR_INVALID)
 *   secondFactors(deps, userId)                        — which second factors an account has (staff gate)
 */
export {
  type AddressCheck,
  canonicalAddress,
  requireCanonicalAddress,
  type WithdrawalNetwork,
  withdrawalNetworks,
} from './addresses.ts'
export { authenticateApiRequest } from './api-keys.ts'
export { accountsDeps, mailerFor } from './deps.ts'
export type { LockState } from './locks.ts'
export {
  createOutflowGate,
  type OutflowGate,
  type OutflowKind,
  type OutflowRequest,
  type OutflowVerdict,
} from './outflow-gate.ts'
export { createSignInGate } from './sign-in-gate.ts'
export { confirmSensitiveAction, secondFactors } from './two-factor.ts'
export { canWithdrawTo, type WithdrawDecision } from './whitelist.ts'
export { withdrawalLock } from './withdrawal-locks.ts'
