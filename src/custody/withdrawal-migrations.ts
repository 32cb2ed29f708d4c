/**
 * @module Withdrawal migrations (range 0750-0769, inside custody's 0700-0799). One withdrawal per
 * (customer, idempotency key); a status the state machine knows; a transaction hash at most once;
 * one active policy (a partial unique index), seeded with version 1; approvals unique per staff
 * member and withdrawal; holds with who placed and who lifted them. 0761 adds the status of a
 * Bitcoin withdrawal whose verified raw transaction waits for the operator to broadcast it.
 */
import { type Kysely, type Migration, sql } from 'kysely'
import { DEFAULT_POLICY } from './policy.ts'

export const migrations: Record<string, Migration> = {
  '0750_custody_withdrawals': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table custody_withdrawals (
          id uuid primary key,
          user_id uuid not null references users (id),
          idempotency_key text not null check (length(idempotency_key) between 1 and 100),
          asset text not null,
          network text not null,
          address text not null,
          amount numeric(78,0) not null check (amount > 0),
          fee numeric(78,0) not null check (fee >= 0),
          status text not null check (status in ('requested', 'held_for_review', 'awaiting_approval',
            'rejected', 'approved', 'signing', 'broadcast', 'confirmed', 'failed', 'cancelled')),
          payload_hash text not null check (payload_hash ~ '^[0-9a-f]{64}$'),
          via text not null check (via in ('session', 'api_key')),
          steps jsonb not null,
          reason_code text,
          risk_reasons jsonb not null,
          policy_version integer,
          policy_decision jsonb,
          required_approvals integer not null default 0,
          signing_mode text check (signing_mode in ('hot', 'offline')),
          funds_held boolean not null,
          chain_id integer,
          nonce integer,
          unsigned_tx text,
          signed_tx text,
          tx_hash text unique,
          block_number bigint,
          confirmations integer not null default 0,
          failure text,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          approved_at timestamptz,
          broadcast_at timestamptz,
          completed_at timestamptz,
          unique (user_id, idempotency_key),
          check (status not in ('confirmed', 'failed', 'cancelled', 'rejected') or not funds_held)
        );
        create index custody_withdrawals_user_idx on custody_withdrawals (user_id, created_at desc);
        create index custody_withdrawals_status_idx on custody_withdrawals (status, created_at);
        create unique index custody_withdrawals_nonce_key on custody_withdrawals (signing_mode, chain_id, nonce)
          where nonce is not null;

        create table custody_withdrawal_approvals (
          id uuid primary key default gen_random_uuid(),
          withdrawal_id uuid not null references custody_withdrawals (id),
          staff_id uuid not null references users (id),
          role text not null,
          payload_hash text not null check (payload_hash ~ '^[0-9a-f]{64}$'),
          created_at timestamptz not null,
          expires_at timestamptz not null,
          unique (withdrawal_id, staff_id)
        );

        create table custody_withdrawal_policies (
          version integer primary key check (version > 0),
          document jsonb not null,
          status text not null check (status in ('proposed', 'active', 'superseded', 'rejected')),
          proposed_by uuid references users (id),
          proposed_at timestamptz not null,
          approved_by uuid references users (id),
          approved_at timestamptz,
          note text not null check (length(note) <= 500),
          check (proposed_by is null or approved_by is null or proposed_by <> approved_by)
        );
        create unique index custody_withdrawal_policies_active on custody_withdrawal_policies (status)
          where status = 'active';

        create table custody_holds (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id),
          case_id uuid references risk_cases (id),
          reason text not null check (length(reason) between 1 and 500),
          placed_by uuid not null references users (id),
          placed_at timestamptz not null,
          lifted_by uuid references users (id),
          lifted_at timestamptz,
          lift_note text,
          check ((lifted_at is null) = (lifted_by is null))
        );
        create index custody_holds_user_idx on custody_holds (user_id) where lifted_at is null;
      `.execute(db)
      await sql`
        insert into custody_withdrawal_policies (version, document, status, proposed_at, note)
        values (1, ${JSON.stringify(DEFAULT_POLICY)}::jsonb, 'active', now(), 'default policy (migration 0750)')
      `.execute(db)
    },
  },
  '0761_custody_withdrawals_btc_psbt': {
    // Bitcoin withdrawals are signed offline as PSBTs and, with no Bitcoin node configured, broadcast
    // by the operator: a signed and verified one waits in broadcast_pending_external.
    async up(db: Kysely<unknown>) {
      await sql`
        alter table custody_withdrawals drop constraint custody_withdrawals_status_check;
        alter table custody_withdrawals add constraint custody_withdrawals_status_check
          check (status in ('requested', 'held_for_review', 'awaiting_approval', 'rejected', 'approved',
            'signing', 'broadcast_pending_external', 'broadcast', 'confirmed', 'failed', 'cancelled'));
      `.execute(db)
    },
  },
}
