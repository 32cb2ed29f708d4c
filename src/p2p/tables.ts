/**
 * @module P2P tables: verified identity countries, reference prices, ads (with
 * per-allowlist-version stats), orders, payment details and the order chat. Escrow lives on the
 * custody ledger (custody_* tables); the `p2p_ledger_*` tables are P2P's legacy private ledger,
 * read only by the migration that moved their balances onto custody (src/custody/p2p-escrow.ts).
 */
import type { ColumnType, Generated } from 'kysely'

/** numeric(78,0) columns: read as decimal strings, written as strings (bigint at the edges). */
type Numeric = ColumnType<string, string | bigint, string | bigint>

export interface P2pIdentitiesTable {
  user_id: string
  /** The country the customer claimed when submitting for review. */
  claimed_country: string
  /** The verified country; null until a compliance officer verifies it. */
  country: string | null
  status: 'pending' | 'verified' | 'rejected'
  note: string
  reviewed_by: string | null
  reviewed_at: Date | null
  submitted_at: Date
  /** The approved identity verification the country comes from; null for a typed country. */
  verification_id: ColumnType<string | null, string | null | undefined, string | null>
}

/** Legacy (see the module note): nothing writes it since escrow moved onto the custody ledger. */
export interface P2pLedgerAccountsTable {
  id: Generated<string>
  /** The customer, or null for the system's own accounts (the custody "outside world"). */
  owner_id: string | null
  asset: string
  kind: 'available' | 'escrow' | 'external'
  balance: ColumnType<string, string | bigint | undefined, string | bigint>
  /** Only the external account may go negative: it mirrors what custody holds for P2P. */
  allow_negative: Generated<boolean>
}

export interface P2pLedgerTransactionsTable {
  id: Generated<string>
  kind: string
  /** What the movement is about, e.g. `order:<id>`. */
  ref: string
  at: Date
}

export interface P2pLedgerEntriesTable {
  id: Generated<bigint>
  transaction_id: string
  account_id: string
  /** Signed: debits negative, credits positive; the entries of one transaction sum to zero. */
  amount: Numeric
}

export interface P2pPricesTable {
  asset: string
  fiat: string
  price: string
  updated_at: Date
}

export interface P2pAdsTable {
  id: Generated<string>
  advertiser_id: string
  /** The advertiser's side: `sell` = the advertiser sells crypto, takers buy. */
  side: 'buy' | 'sell'
  asset: string
  fiat: string
  price_type: 'fixed' | 'floating'
  /** Fixed price, decimal string; null for floating ads. */
  fixed_price: string | null
  /** Floating margin in basis points over the reference price; null for fixed ads. */
  margin_bps: number | null
  min_order_fiat: Numeric
  max_order_fiat: Numeric
  available_amount: Numeric
  payment_methods: ColumnType<string[], string, string>
  terms: string
  /** ISO codes; empty = everyone may trade. */
  allowed_countries: ColumnType<string[], string, string>
  /** Bumped whenever the allowlist changes, so metrics can compare before and after. */
  allowlist_version: Generated<number>
  /** Bumped on every edit; orders record the version they were placed under. */
  version: Generated<number>
  payment_window_minutes: number
  status: Generated<'active' | 'paused' | 'closed'>
  created_at: Date
  updated_at: Date
}

export interface P2pAdStatsTable {
  ad_id: string
  allowlist_version: number
  allowed_countries: ColumnType<string[], string, string>
  since: Date
  views: Generated<bigint>
  /** Order attempts refused by the country/region restriction. */
  blocked: Generated<bigint>
}

export type P2pOrderStatus = 'pending_payment' | 'paid' | 'released' | 'cancelled' | 'expired' | 'refunded'

export interface P2pOrdersTable {
  id: Generated<string>
  ad_id: string
  ad_version: number
  allowlist_version: number
  buyer_id: string
  seller_id: string
  /** The customer who placed the order (taker); the other party is the advertiser. */
  taker_id: string
  asset: string
  fiat: string
  amount: Numeric
  price: string
  fiat_amount: Numeric
  /** The ad's terms as they were when the order was placed; later edits never change them. */
  terms: ColumnType<OrderTerms, string, never>
  status: P2pOrderStatus
  idempotency_key: string
  created_at: Date
  expires_at: Date
  paid_at: Date | null
  completed_at: Date | null
  appealed_at: Date | null
  appealed_by: string | null
  appeal_reason: string | null
  resolved_by: string | null
  resolution: 'release' | 'refund' | null
}

export type OrderTerms = {
  side: 'buy' | 'sell'
  price: string
  priceType: 'fixed' | 'floating'
  marginBps: number | null
  paymentMethods: string[]
  terms: string
  minOrderFiat: string
  maxOrderFiat: string
  allowedCountries: string[]
  paymentWindowMinutes: number
}

export interface P2pPaymentDetailsTable {
  user_id: string
  /** One of the payment methods ads list (ads.ts `paymentMethods`). */
  method: string
  /** The name on the account. */
  holder: string
  /** IBAN for SEPA, otherwise the account, tag, email or phone the method pays to. */
  account: string
  note: string
  updated_at: Date
}

export interface P2pOrderMessagesTable {
  id: Generated<bigint>
  order_id: string
  /** The buyer or seller who wrote it; null for a message from the platform. */
  author_id: string | null
  /** For platform messages: what happened (`placed`, `paid`, ...), once per order. */
  event: string | null
  body: string
  at: Date
}

export interface P2pTables {
  p2p_identities: P2pIdentitiesTable
  p2p_ledger_accounts: P2pLedgerAccountsTable
  p2p_ledger_transactions: P2pLedgerTransactionsTable
  p2p_ledger_entries: P2pLedgerEntriesTable
  p2p_prices: P2pPricesTable
  p2p_ads: P2pAdsTable
  p2p_ad_stats: P2pAdStatsTable
  p2p_orders: P2pOrdersTable
  p2p_payment_details: P2pPaymentDetailsTable
  p2p_order_messages: P2pOrderMessagesTable
}
