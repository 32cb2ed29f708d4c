/**
 * @module What the P2P domain needs from the rest of Bulwark, passed in as arguments: the
 * database, the clock, the event bus, the escrow ledger and the second factor (accounts).
 */
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import type { EventBus } from '../platform/events.ts'
import type { EscrowLedger } from './ledger.ts'

export type SecondFactorInput = { userId: string; totpCode?: string; passkeyResponse?: unknown }

/** The account-protection operations P2P relies on (provided by src/accounts). */
export type SecondFactor = {
  /** Whether the customer has a second factor (TOTP or passkey) switched on. */
  isEnabled(userId: string): Promise<boolean>
  /** Resolves when the code or passkey response verifies; throws an AppError otherwise. */
  confirm(input: SecondFactorInput): Promise<void>
}

export type P2pDeps = {
  db: Db
  clock: Clock
  events: Pick<EventBus, 'publish'>
  ledger: EscrowLedger
  secondFactor: SecondFactor
}
