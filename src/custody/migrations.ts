/**
 * @module Custody migrations (range 0700-0799). The ledger's invariants live in the database: an
 * idempotency key names one ledger transaction, entries are never zero, and every account except
 * the on-chain-side ones (wallets, external clearing) has `CHECK (balance >= 0)`. Deposits are
 * unique per chain output, deposit addresses per (chain, derivation index) and per (user, chain).
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0700_custody_ledger': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table custody_accounts (
          id uuid primary key default gen_random_uuid(),
          owner_id uuid references users (id),
          asset text not null check (asset ~ '^[A-Z0-9]{1,16}$'),
          kind text not null check (kind in ('available', 'locked', 'pending_withdrawal', 'held_deposit',
            'fees', 'insurance_fund', 'hot_wallet', 'warm_wallet', 'cold_wallet', 'external_clearing')),
          balance numeric(78,0) not null default 0,
          allow_negative boolean not null,
          check (allow_negative or balance >= 0),
          check ((owner_id is null) = (kind in ('fees', 'insurance_fund', 'hot_wallet', 'warm_wallet',
            'cold_wallet', 'external_clearing'))),
          check (allow_negative = (kind in ('hot_wallet', 'warm_wallet', 'cold_wallet', 'external_clearing')))
        );
        create unique index custody_accounts_key
          on custody_accounts (coalesce(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), asset, kind);
        create index custody_accounts_owner_idx on custody_accounts (owner_id);

        create table custody_transactions (
          id uuid primary key default gen_random_uuid(),
          idempotency_key text not null unique check (length(idempotency_key) between 1 and 200),
          kind text not null check (length(kind) between 1 and 64),
          ref text not null check (length(ref) <= 200),
          fingerprint text not null,
          at timestamptz not null
        );
        create index custody_transactions_ref_idx on custody_transactions (ref);

        create table custody_entries (
          id bigserial primary key,
          transaction_id uuid not null references custody_transactions (id),
          account_id uuid not null references custody_accounts (id),
          amount numeric(78,0) not null check (amount <> 0),
          unique (transaction_id, account_id)
        );
        create index custody_entries_account_idx on custody_entries (account_id, id);
      `.execute(db)
    },
  },
  '0701_custody_deposits': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table custody_deposit_addresses (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id),
          chain text not null check (chain in ('evm', 'btc')),
          derivation_index integer not null check (derivation_index >= 0 and derivation_index < 2147483648),
          address text not null unique,
          created_at timestamptz not null,
          unique (chain, derivation_index),
          unique (user_id, chain)
        );

        create table custody_deposits (
          id uuid primary key default gen_random_uuid(),
          chain text not null check (chain in ('evm', 'btc')),
          txid text not null,
          output_index integer not null check (output_index >= -1),
          asset text not null,
          address text not null,
          sender text,
          user_id uuid not null references users (id),
          amount numeric(78,0) not null check (amount > 0),
          block_number bigint,
          block_hash text,
          confirmations integer not null default 0,
          status text not null check (status in ('pending', 'credited', 'held', 'removed', 'reorged')),
          screening jsonb,
          ledger_transaction_id uuid references custody_transactions (id),
          seen_at timestamptz not null,
          credited_at timestamptz,
          updated_at timestamptz not null,
          unique (chain, txid, output_index, asset),
          check ((status in ('credited', 'held', 'reorged')) = (ledger_transaction_id is not null))
        );
        create index custody_deposits_user_idx on custody_deposits (user_id, seen_at desc);
        create index custody_deposits_status_idx on custody_deposits (chain, status);

        create table custody_chain_cursors (
          chain text primary key,
          next_block bigint not null check (next_block >= 0),
          updated_at timestamptz not null
        );

        create table custody_chain_blocks (
          chain text not null,
          number bigint not null,
          hash text not null,
          primary key (chain, number)
        );
      `.execute(db)
    },
  },
}
