/**
 * @module Travel Rule tables (see migrations.ts). Personal data (`ivms101`, the names and a
 * destination's `beneficiary`) is stored sealed by the field cipher (`enc1:…`).
 */
import type { ColumnType, Generated } from 'kysely'

type Numeric = ColumnType<string, string | bigint, string | bigint>

export type TransferDirection = 'outbound' | 'inbound'
export type TransferStatus = 'pending' | 'accepted' | 'rejected'

export interface TravelRuleVaspsTable {
  id: string
  name: string
  base_url: string
  /** Ed25519 public key, 64 hex digits. */
  public_key: string
  /** ISO 3166-1 alpha-2, or EU. */
  jurisdiction: string
  /** On-chain addresses the VASP sends from (lower-case for EVM), to attribute deposits to it. */
  addresses: ColumnType<string[], string, string>
  status: 'active' | 'disabled'
  changed_by: string
  created_at: Date
  updated_at: Date
}

export interface TravelRuleTransfersTable {
  id: Generated<string>
  /** The id both VASPs use in their messages. */
  transfer_id: string
  direction: TransferDirection
  vasp_id: string
  withdrawal_id: string | null
  user_id: string | null
  asset: string
  network: string
  amount: Numeric
  destination: string
  status: TransferStatus
  reason: string | null
  /** Sealed canonical JSON of the IVMS101 IdentityPayload. */
  ivms101: string
  originator_name: string
  beneficiary_name: string
  last_error: string | null
  tx_hash: string | null
  broadcast_sent_at: Date | null
  created_at: Date
  updated_at: Date
}

export interface TravelRuleNoncesTable {
  vasp_id: string
  nonce: string
  seen_at: Date
}

export interface TravelRuleDestinationsTable {
  id: Generated<string>
  user_id: string
  network: string
  address: string
  kind: 'vasp' | 'self_hosted'
  vasp_id: string | null
  /** Sealed JSON: the beneficiary's name (a person or a company). */
  beneficiary: string
  /** How ownership of a self-hosted address was proven (EIP-191, BIP-322, legacy Bitcoin message). */
  proof_method: string | null
  created_at: Date
}

export interface TravelRuleDepositReviewsTable {
  deposit_id: string
  vasp_id: string
  status: 'held' | 'released' | 'rejected'
  transfer_id: string | null
  decided_by: string | null
  note: string | null
  created_at: Date
  decided_at: Date | null
}

export interface TravelRuleThresholdsTable {
  id: Generated<string>
  /** ISO 3166-1 alpha-2, or EU. */
  jurisdiction: string
  /** A non-negative decimal in `currency` (up to 8 decimals), compared exactly as a fraction of bigints. */
  amount: string
  /** ISO 4217 code, priced by TRAVEL_RULE_PRICES. */
  currency: string
  effective_from: Date
  changed_by: string
  note: string | null
  created_at: Date
}

export interface TravelRuleTables {
  travel_rule_vasps: TravelRuleVaspsTable
  travel_rule_transfers: TravelRuleTransfersTable
  travel_rule_nonces: TravelRuleNoncesTable
  travel_rule_destinations: TravelRuleDestinationsTable
  travel_rule_deposit_reviews: TravelRuleDepositReviewsTable
  travel_rule_thresholds: TravelRuleThresholdsTable
}
