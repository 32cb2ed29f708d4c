/**
 * @module What P2P needs from a ledger: the escrow contract. P2P escrow lives on the exchange-wide
 * custody ledger (`custodyEscrowLedger` in src/custody/p2p-escrow.ts): a seller's funds are their
 * custody `available` balance, escrow is their custody `locked` balance, and every step is one
 * ledger transaction with an idempotency key per order step. The rest of P2P talks only to this
 * type, always inside the caller's database transaction, so each escrow movement commits or rolls
 * back with the order's state change.
 *
 * The `p2p_ledger_*` tables of P2P's first, private ledger are legacy: nothing writes them any more,
 * and migration `0785_custody_p2p_escrow_balances` moved their balances onto the custody ledger.
 */
import type { Transaction } from 'kysely'
import type { Database, Db } from '../platform/db/index.ts'
import type { Asset } from './money.ts'

type Tx = Transaction<Database>

export type Movement = {
  /** The customer whose funds move. */
  owner: string
  asset: Asset
  amount: bigint
  /** What it is about, e.g. `order:<id>`: names the ledger transaction and its idempotency key. */
  ref: string
  at: Date
}

export type Balance = { asset: Asset; available: bigint; escrow: bigint }

/** What P2P needs from a ledger (implemented on the custody ledger by `custodyEscrowLedger`). */
export type EscrowLedger = {
  /** Credits a customer from outside P2P (the CLI stand-in for a deposit; demo funding). */
  deposit(tx: Tx, movement: Movement): Promise<void>
  /**
   * Moves a seller's available funds into escrow for an order, once per order. Refuses with
   * `P2P_INSUFFICIENT_BALANCE` (409) when the available balance is short.
   */
  hold(tx: Tx, movement: Movement): Promise<void>
  /** Pays a seller's escrow to the buyer's available balance (once per order). */
  release(tx: Tx, movement: Movement & { to: string }): Promise<void>
  /** Returns escrow to the seller's available balance (once per order, and never after a release). */
  refund(tx: Tx, movement: Movement): Promise<void>
  balances(db: Db | Tx, owner: string): Promise<Balance[]>
}
