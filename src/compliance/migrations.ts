/**
 * @module Travel Rule migrations (range 1020-1039 of compliance 1000-1099): the directory of
 * counterparty VASPs, the transfers exchanged with them (IVMS101 payload sealed with envelope
 * encryption), the nonces seen from each VASP (replay protection), customers' declared withdrawal
 * destinations (a VASP's customer, or their own self-hosted wallet with a signed proof), and
 * deposits held because a VASP sent them without Travel Rule data; then (1027) the thresholds per
 * jurisdiction that compliance officers edit, each version with the time it takes effect.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '1020_compliance_travel_rule': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table travel_rule_vasps (
          id text primary key check (length(id) between 1 and 64),
          name text not null check (length(name) between 1 and 120),
          base_url text not null check (length(base_url) between 1 and 300),
          public_key text not null check (public_key ~ '^[0-9a-f]{64}$'),
          jurisdiction text not null check (jurisdiction ~ '^[A-Z]{2}$'),
          addresses jsonb not null,
          status text not null check (status in ('active', 'disabled')),
          changed_by uuid not null references users (id),
          created_at timestamptz not null,
          updated_at timestamptz not null
        );

        create table travel_rule_transfers (
          id uuid primary key default gen_random_uuid(),
          transfer_id uuid not null,
          direction text not null check (direction in ('outbound', 'inbound')),
          vasp_id text not null references travel_rule_vasps (id),
          withdrawal_id uuid references custody_withdrawals (id),
          user_id uuid references users (id),
          asset text not null,
          network text not null,
          amount numeric(78, 0) not null check (amount > 0),
          destination text not null,
          status text not null check (status in ('pending', 'accepted', 'rejected')),
          reason text check (length(reason) <= 200),
          ivms101 text not null,
          originator_name text not null,
          beneficiary_name text not null,
          last_error text check (length(last_error) <= 300),
          tx_hash text check (length(tx_hash) <= 128),
          broadcast_sent_at timestamptz,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          unique (vasp_id, direction, transfer_id)
        );
        create unique index travel_rule_transfers_withdrawal on travel_rule_transfers (withdrawal_id)
          where withdrawal_id is not null;
        create index travel_rule_transfers_inbound_destination
          on travel_rule_transfers (destination, asset) where direction = 'inbound';

        create table travel_rule_nonces (
          vasp_id text not null,
          nonce text not null,
          seen_at timestamptz not null,
          primary key (vasp_id, nonce)
        );

        create table travel_rule_destinations (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id),
          network text not null,
          address text not null,
          kind text not null check (kind in ('vasp', 'self_hosted')),
          vasp_id text references travel_rule_vasps (id),
          beneficiary text not null,
          proof_method text,
          created_at timestamptz not null,
          unique (user_id, network, address),
          check ((kind = 'vasp') = (vasp_id is not null)),
          check ((kind = 'self_hosted') = (proof_method is not null))
        );

        create table travel_rule_deposit_reviews (
          deposit_id uuid primary key references custody_deposits (id),
          vasp_id text not null references travel_rule_vasps (id),
          status text not null check (status in ('held', 'released', 'rejected')),
          transfer_id uuid references travel_rule_transfers (id),
          decided_by text,
          note text check (length(note) <= 1000),
          created_at timestamptz not null,
          decided_at timestamptz,
          check (status = 'held' or decided_at is not null)
        );
      `.execute(db)
    },
  },
  '1027_compliance_travel_rule_thresholds': {
    async up(db: Kysely<unknown>) {
      // Append-only: a change is a new version; the one in force at a time is the latest whose
      // effective_from is not after it (ties: the later id). The configured value is the default.
      await sql`
        create table travel_rule_thresholds (
          id bigserial primary key,
          jurisdiction text not null check (jurisdiction ~ '^[A-Z]{2}$'),
          amount text not null check (amount ~ '^[0-9]{1,15}([.][0-9]{1,8})?$'),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          effective_from timestamptz not null,
          changed_by uuid not null references users (id),
          note text check (length(note) <= 500),
          created_at timestamptz not null
        );
        create index travel_rule_thresholds_in_force on travel_rule_thresholds (jurisdiction, effective_from);
      `.execute(db)
    },
  },
}
