/**
 * @module P2P migrations (range 0500-0599). Invariants live in the database: balances and the
 * ad's available amount can never go below zero (CHECK), an order's idempotency key is unique per
 * taker, and one customer has at most one identity record. 0501: the seller's payment details per
 * method and the order chat (a platform message has an `event` and no author, one per event).
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0500_p2p_core': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table p2p_identities (
          user_id uuid primary key references users (id) on delete cascade,
          claimed_country char(2) not null check (claimed_country ~ '^[A-Z]{2}$'),
          country char(2) check (country ~ '^[A-Z]{2}$'),
          status text not null check (status in ('pending', 'verified', 'rejected')),
          note text not null default '',
          reviewed_by uuid references users (id),
          reviewed_at timestamptz,
          submitted_at timestamptz not null,
          check ((status = 'verified') = (country is not null))
        );

        create table p2p_ledger_accounts (
          id uuid primary key default gen_random_uuid(),
          owner_id uuid references users (id),
          asset text not null,
          kind text not null check (kind in ('available', 'escrow', 'external')),
          balance numeric(78,0) not null default 0,
          allow_negative boolean not null default false,
          check (allow_negative or balance >= 0),
          check ((kind = 'external') = (owner_id is null)),
          check ((kind = 'external') = allow_negative)
        );
        create unique index p2p_ledger_accounts_owner_key
          on p2p_ledger_accounts (coalesce(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), asset, kind);

        create table p2p_ledger_transactions (
          id uuid primary key default gen_random_uuid(),
          kind text not null,
          ref text not null,
          at timestamptz not null
        );
        create index p2p_ledger_transactions_ref_idx on p2p_ledger_transactions (ref);

        create table p2p_ledger_entries (
          id bigserial primary key,
          transaction_id uuid not null references p2p_ledger_transactions (id),
          account_id uuid not null references p2p_ledger_accounts (id),
          amount numeric(78,0) not null check (amount <> 0)
        );
        create index p2p_ledger_entries_account_idx on p2p_ledger_entries (account_id);
        create index p2p_ledger_entries_transaction_idx on p2p_ledger_entries (transaction_id);

        create table p2p_prices (
          asset text not null,
          fiat text not null,
          price numeric(38,8) not null check (price > 0),
          updated_at timestamptz not null,
          primary key (asset, fiat)
        );

        create table p2p_ads (
          id uuid primary key default gen_random_uuid(),
          advertiser_id uuid not null references users (id),
          side text not null check (side in ('buy', 'sell')),
          asset text not null,
          fiat text not null,
          price_type text not null check (price_type in ('fixed', 'floating')),
          fixed_price numeric(38,8) check (fixed_price > 0),
          margin_bps integer,
          min_order_fiat numeric(78,0) not null check (min_order_fiat > 0),
          max_order_fiat numeric(78,0) not null check (max_order_fiat >= min_order_fiat),
          available_amount numeric(78,0) not null check (available_amount >= 0),
          payment_methods jsonb not null,
          terms text not null,
          allowed_countries jsonb not null,
          allowlist_version integer not null default 1,
          version integer not null default 1,
          payment_window_minutes integer not null check (payment_window_minutes between 5 and 180),
          status text not null default 'active' check (status in ('active', 'paused', 'closed')),
          created_at timestamptz not null,
          updated_at timestamptz not null,
          check ((price_type = 'fixed') = (fixed_price is not null)),
          check ((price_type = 'floating') = (margin_bps is not null))
        );
        create index p2p_ads_market_idx on p2p_ads (status, asset, fiat, side);
        create index p2p_ads_advertiser_idx on p2p_ads (advertiser_id);

        create table p2p_ad_stats (
          ad_id uuid not null references p2p_ads (id),
          allowlist_version integer not null,
          allowed_countries jsonb not null,
          since timestamptz not null,
          views bigint not null default 0,
          blocked bigint not null default 0,
          primary key (ad_id, allowlist_version)
        );

        create table p2p_orders (
          id uuid primary key default gen_random_uuid(),
          ad_id uuid not null references p2p_ads (id),
          ad_version integer not null,
          allowlist_version integer not null,
          buyer_id uuid not null references users (id),
          seller_id uuid not null references users (id),
          taker_id uuid not null references users (id),
          asset text not null,
          fiat text not null,
          amount numeric(78,0) not null check (amount > 0),
          price numeric(38,8) not null check (price > 0),
          fiat_amount numeric(78,0) not null check (fiat_amount > 0),
          terms jsonb not null,
          status text not null check (status in ('pending_payment', 'paid', 'released', 'cancelled', 'expired', 'refunded')),
          idempotency_key text not null,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          paid_at timestamptz,
          completed_at timestamptz,
          appealed_at timestamptz,
          appealed_by uuid references users (id),
          appeal_reason text,
          resolved_by uuid references users (id),
          resolution text check (resolution in ('release', 'refund')),
          check (buyer_id <> seller_id),
          unique (taker_id, idempotency_key)
        );
        create index p2p_orders_ad_idx on p2p_orders (ad_id);
        create index p2p_orders_buyer_idx on p2p_orders (buyer_id);
        create index p2p_orders_seller_idx on p2p_orders (seller_id);
        create index p2p_orders_due_idx on p2p_orders (expires_at) where status = 'pending_payment';
      `.execute(db)
    },
  },
  '0501_p2p_payment_details_chat': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table p2p_payment_details (
          user_id uuid not null references users (id) on delete cascade,
          method text not null,
          holder text not null check (char_length(holder) between 1 and 100),
          account text not null check (char_length(account) between 1 and 100),
          note text not null default '' check (char_length(note) <= 300),
          updated_at timestamptz not null,
          primary key (user_id, method)
        );

        create table p2p_order_messages (
          id bigserial primary key,
          order_id uuid not null references p2p_orders (id),
          author_id uuid references users (id),
          event text,
          body text not null check (char_length(body) between 1 and 1000),
          at timestamptz not null,
          check ((author_id is null) = (event is not null))
        );
        create index p2p_order_messages_order_idx on p2p_order_messages (order_id, id);
        create unique index p2p_order_messages_event_key on p2p_order_messages (order_id, event);
      `.execute(db)
    },
  },
  '0502_p2p_identity_document': {
    async up(db: Kysely<unknown>) {
      // The identity verification whose approved document gave this country (identity domain);
      // such a country cannot be overwritten by a typed one.
      await sql`alter table p2p_identities add column verification_id uuid`.execute(db)
    },
  },
}
