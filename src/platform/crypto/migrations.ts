/**
 * @module Data-protection migrations (range 1100-1199): wrapped data keys, one active key per
 * table and purpose (a partial unique index, so two processes cannot both create one), and the
 * keyed-hash lookup column for session IP addresses (1100); identity fields under the envelope
 * scheme and the lookup columns of the other stored IP addresses (1120); people's emails and names
 * sealed in `users`, looked up by `users.email_lookup` (1155); a bug-bounty reporter's email sealed
 * too (1156).
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
  '1155_data_protection_users_sealed_email': {
    async up(db: Kysely<unknown>) {
      // Every lookup by email goes through email_lookup (src/platform/identity/personal-fields.ts):
      // with a DATA_KEK the keyed hash of the normalised email (the email itself sealed as enc1:),
      // without one a plain SHA-256 of it. The trigger keeps that second form true for every plain
      // row, however it was written, so a plain row is always found; a sealed row must bring its
      // keyed hash (not null). The unique index moves from the email to its lookup hash.
      await sql`
        alter table users add column email_lookup text;
        update users set email_lookup = encode(sha256(convert_to(email, 'UTF8')), 'hex');
        alter table users alter column email_lookup set not null;
        alter table users add constraint users_email_lookup_hex check (email_lookup ~ '^[0-9a-f]{64}$');
        create unique index users_email_lookup_key on users (email_lookup);
        drop index users_email_key;
        alter table users drop constraint users_email_check;
        alter table users add constraint users_email_stored check (
          case when email like 'enc1:%' then length(email) <= 1024 else email = lower(email) and length(email) <= 254 end
        );
        alter table users add constraint users_display_name_stored check (length(display_name) <= 1024);
        create function users_plain_email_lookup() returns trigger language plpgsql as $$
        begin
          new.email_lookup := encode(sha256(convert_to(new.email, 'UTF8')), 'hex');
          return new;
        end
        $$;
        create trigger users_plain_email_lookup before insert or update of email on users
          for each row when (new.email not like 'enc1:%') execute function users_plain_email_lookup();
        alter table email_tokens add constraint email_tokens_new_email_stored check (length(new_email) <= 1024);
      `.execute(db)
    },
  },
  '1156_data_protection_bounty_sealed_email': {
    async up(db: Kysely<unknown>) {
      // With a DATA_KEK the reporter's email is stored sealed (identity/personal-fields.ts), longer
      // than an address: keep a cap that fits both.
      await sql`
        alter table ops_bounty_reports drop constraint ops_bounty_reports_email_check;
        alter table ops_bounty_reports add constraint ops_bounty_reports_email_stored check (length(email) <= 1024);
      `.execute(db)
    },
  },
}
