/**
 * @module Custody tables: the double-entry ledger (accounts, transactions, entries), deposit
 * addresses, deposits, and the chain watcher's cursor and recent block hashes.
 */
import type { ColumnType, Generated } from 'kysely'

/** numeric(78,0) columns: read as decimal strings, written as strings (bigint at the edges). */
type Numeric = ColumnType<string, string | bigint, string | bigint>

export const ACCOUNT_KINDS = [
  'available',
  'locked',
  'pending_withdrawal',
  'held_deposit',
  'fees',
  'insurance_fund',
  'hot_wallet',
  'warm_wallet',
  'cold_wallet',
  'external_clearing',
] as const
export type AccountKind = (typeof ACCOUNT_KINDS)[number]

export interface CustodyAccountsTable {
  id: Generated<string>
  /** The customer, or null for the exchange's own accounts (fees, insurance fund, wallets, clearing). */
  owner_id: string | null
  asset: string
  kind: AccountKind
  balance: ColumnType<string, string | bigint | undefined, string | bigint>
  /** True exactly for the on-chain-side kinds (wallets, external clearing); see docs/custody.md. */
  allow_negative: boolean
}

export interface CustodyTransactionsTable {
  id: Generated<string>
  idempotency_key: string
  kind: string
  ref: string
  /** SHA-256 of the canonical content (kind, ref, entries): a repeat must match it. */
  fingerprint: string
  at: Date
}

export interface CustodyEntriesTable {
  id: Generated<bigint>
  transaction_id: string
  account_id: string
  /** Signed; the entries of one transaction sum to zero per asset. */
  amount: Numeric
}

export type DepositChain = 'evm' | 'btc'
export type DepositStatus = 'pending' | 'credited' | 'held' | 'removed' | 'reorged'

export interface CustodyDepositAddressesTable {
  id: Generated<string>
  user_id: string
  chain: DepositChain
  derivation_index: number
  /** EVM: lower-case hex; Bitcoin: bech32 as derived. */
  address: string
  created_at: Date
}

export interface CustodyDepositsTable {
  id: Generated<string>
  chain: DepositChain
  txid: string
  /** Bitcoin vout, ERC-20 log index, or -1 for a native ETH transfer. */
  output_index: number
  asset: string
  address: string
  /** Where the funds came from, when known (screened before credit). */
  sender: string | null
  user_id: string
  amount: Numeric
  block_number: bigint | null
  block_hash: string | null
  confirmations: number
  status: DepositStatus
  screening: ColumnType<ScreeningRecord | null, string | null, string | null>
  ledger_transaction_id: string | null
  seen_at: Date
  credited_at: Date | null
  updated_at: Date
}

export type ScreeningRecord = { flagged: boolean; reasons: string[] }

export interface CustodyChainCursorsTable {
  chain: string
  next_block: bigint | number | string
  updated_at: Date
}

export interface CustodyChainBlocksTable {
  chain: string
  number: bigint | number | string
  hash: string
}

export interface CustodyTables {
  custody_accounts: CustodyAccountsTable
  custody_transactions: CustodyTransactionsTable
  custody_entries: CustodyEntriesTable
  custody_deposit_addresses: CustodyDepositAddressesTable
  custody_deposits: CustodyDepositsTable
  custody_chain_cursors: CustodyChainCursorsTable
  custody_chain_blocks: CustodyChainBlocksTable
}
