/**
 * @module What the P2P domain needs from the rest of Bulwark, passed in as arguments: the
 * database, the clock, the event bus, the escrow ledger and the second factor (accounts).
 */
import type { OutflowGate } from '../accounts/index.ts'
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

/** The risk engine's synchronous decision, consulted when an order is placed (optional). */
export type RiskCheck = {
  assess(event: {
    v: 1
    type: 'p2p_order'
    id: string
    at: number
    account: string
    asset: string
    amount: bigint
    side: 'buy' | 'sell'
    counterparty: string
    paymentMethod?: string
  }): { decision: 'allow' | 'review' | 'block'; reasons: Array<{ code: string; text: string }> }
}

export type P2pDeps = {
  db: Db
  clock: Clock
  events: Pick<EventBus, 'publish'>
  ledger: EscrowLedger
  secondFactor: SecondFactor
  /**
   * The one gate for value leaving an account (frozen, withdrawal lock, risk): asked for the seller
   * whenever P2P would move their funds towards someone else — posting or resuming a sell ad, every
   * order (escrow is the seller's), and releasing escrow to the buyer.
   */
  outflow: OutflowGate
  /** When given, a `block` decision on a buyer's order refuses it (P2P_RISK_BLOCKED). */
  risk?: RiskCheck
}
