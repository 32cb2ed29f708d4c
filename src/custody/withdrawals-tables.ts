/**
 * @module Withdrawal tables: the withdrawals themselves (with each pipeline step's verdict as a JSON
 * array), staff approvals bound to a payload hash, the versioned withdrawal policies (four-eyes), and
 * account holds placed from risk cases.
 */
import type { ColumnType, Generated } from 'kysely'

type Numeric = ColumnType<string, string | bigint, string | bigint>
type Json<T> = ColumnType<T, string, string>

export const withdrawalStatuses = [
  'requested',
  'held_for_review',
  'awaiting_approval',
  'rejected',
  'approved',
  'signing',
  /** A Bitcoin withdrawal signed and verified; the operator broadcasts its raw transaction. */
  'broadcast_pending_external',
  'broadcast',
  'confirmed',
  'failed',
  'cancelled',
] as const
export type WithdrawalStatus = (typeof withdrawalStatuses)[number]

/** One pipeline step's verdict, in order, as recorded on the withdrawal. */
export type StepRecord = {
  step: string
  verdict: 'pass' | 'review' | 'block' | 'not_applicable'
  detail?: string
  /** Wall-clock milliseconds the step took (the benchmark reads them). */
  ms?: number
  at: string
}

export interface CustodyWithdrawalsTable {
  id: Generated<string>
  user_id: string
  idempotency_key: string
  asset: string
  network: string
  /** Canonical form (EIP-55 for EVM). */
  address: string
  amount: Numeric
  fee: Numeric
  status: WithdrawalStatus
  /** SHA-256 hex of the canonical {id, user, asset, amount, network, address}. */
  payload_hash: string
  via: 'session' | 'api_key'
  steps: Json<StepRecord[]>
  /** The stable code of a refusal or hold (e.g. `ADDRESS_POISONING_SUSPECTED`), null otherwise. */
  reason_code: string | null
  risk_reasons: Json<{ code: string; text: string }[]>
  policy_version: number | null
  /** What the policy said: outcome, matched rules, approvals and roles needed, signing mode. */
  policy_decision: Json<Record<string, unknown> | null>
  required_approvals: number
  signing_mode: 'hot' | 'offline' | null
  /** True while amount + fee sit in pending_withdrawal (false once refunded or paid out). */
  funds_held: boolean
  chain_id: number | null
  nonce: number | null
  /** The unsigned EIP-1559 transaction (offline path), serialized hex; for BTC the exported PSBT (base64). */
  unsigned_tx: string | null
  /** Recorded before the first send, so a restart re-sends the same transaction, never a new one (BTC: raw hex). */
  signed_tx: string | null
  tx_hash: string | null
  block_number: ColumnType<string | null, string | bigint | null, string | bigint | null>
  confirmations: number
  failure: string | null
  created_at: Date
  updated_at: Date
  approved_at: Date | null
  broadcast_at: Date | null
  completed_at: Date | null
}

export interface CustodyWithdrawalApprovalsTable {
  id: Generated<string>
  withdrawal_id: string
  staff_id: string
  role: string
  /** The payload hash the approver saw; an approval counts only while it equals the withdrawal's. */
  payload_hash: string
  created_at: Date
  expires_at: Date
}

export interface CustodyWithdrawalPoliciesTable {
  version: number
  document: Json<Record<string, unknown>>
  status: 'proposed' | 'active' | 'superseded' | 'rejected'
  /** Null only for the policy the migration seeds. */
  proposed_by: string | null
  proposed_at: Date
  approved_by: string | null
  approved_at: Date | null
  note: string
}

export interface CustodyHoldsTable {
  id: Generated<string>
  user_id: string
  case_id: string | null
  reason: string
  placed_by: string
  placed_at: Date
  lifted_by: string | null
  lifted_at: Date | null
  lift_note: string | null
}

export interface WithdrawalTables {
  custody_withdrawals: CustodyWithdrawalsTable
  custody_withdrawal_approvals: CustodyWithdrawalApprovalsTable
  custody_withdrawal_policies: CustodyWithdrawalPoliciesTable
  custody_holds: CustodyHoldsTable
}
