/**
 * @module Data-protection migrations (range 1100-1199): wrapped data keys, one active key per
 * table and purpose (a partial unique index, so two processes cannot both create one), and the
 * keyed-hash lookup column for session IP addresses (1100); identity fields under the envelope
 * scheme and the lookup columns of the other stored IP addresses (1120).
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '1100_data_protection_keys': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table data_keys (
          id text primary key check (id ~ '^[0-9a-f]{16}$'),
          table_name text not null check (length(table_name) between 1 and 63),
          purpose text not null check (purpose in ('data', 'search')),
          kek_id text not null check (kek_id ~ '^[0-9a-f]{16}$'),
          wrapped text not null,
          created_at timestamptz not null,
          retired_at timestamptz
        );
        create unique index data_keys_active_idx on data_keys (table_name, purpose) where retired_at is null;
        alter table sessions add column ip_search text;
        create index sessions_ip_search_idx on sessions (ip_search) where ip_search is not null;
      `.execute(db)
    },
  },
  '1120_data_protection_identity_and_ips': {
    async up(db: Kysely<unknown>) {
      // Identity verifications' extracted fields, each sealed under the envelope scheme (a JSON
      // object of `enc1:` values), and the keyed hash of the document number for lookup; the keyed
      // hashes of the other stored IP addresses once those are encrypted after the retention period.
      await sql`
        alter table identity_verifications add column fields_encrypted text;
        alter table identity_verifications add column document_number_search text;
        create index identity_verifications_document_search_idx on identity_verifications (document_number_search)
          where document_number_search is not null;
        alter table devices add column ip_search text;
        alter table sign_in_tickets add column ip_search text;
        alter table api_keys add column last_used_ip_search text;
      `.execute(db)
    },
  },
}
