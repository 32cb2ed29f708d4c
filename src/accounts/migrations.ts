/**
 * @module Account-protection migrations (range 0100-0199). Plain SQL that runs on PGlite and PostgreSQL 15.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0100_accounts_protection': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table account_security (
          user_id uuid primary key references users (id) on delete cascade,
          origin text not null default 'operator' check (origin in ('signup', 'operator')),
          email_confirmed_at timestamptz,
          anti_phishing_code text check (anti_phishing_code ~ '^[A-Za-z0-9]{4,20}$'),
          totp_secret text,
          totp_enabled_at timestamptz,
          totp_last_step bigint,
          totp_failures integer not null default 0,
          totp_locked_until timestamptz,
          whitelist_enabled boolean not null default false,
          whitelist_disable_requested_at timestamptz,
          password_changed_at timestamptz,
          devices_reviewed_at timestamptz,
          password_score integer,
          frozen_at timestamptz,
          frozen_reason text
        );
        create table recovery_codes (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          code_digest text not null,
          used_at timestamptz
        );
        create index recovery_codes_user_idx on recovery_codes (user_id);
        create table email_tokens (
          token_digest text primary key,
          user_id uuid not null references users (id) on delete cascade,
          purpose text not null check (purpose in ('confirm_email', 'password_reset', 'device_approval', 'wasnt_me')),
          device_id uuid,
          alert_id uuid,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create table devices (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          cookie_digest text not null,
          user_agent text not null,
          ip text not null,
          place text,
          status text not null check (status in ('trusted', 'pending', 'revoked')),
          created_at timestamptz not null,
          approved_at timestamptz,
          last_seen_at timestamptz not null
        );
        create unique index devices_user_cookie_key on devices (user_id, cookie_digest);
        create table session_devices (
          session_id text primary key references sessions (id) on delete cascade,
          device_id uuid not null references devices (id) on delete cascade
        );
        create index session_devices_device_idx on session_devices (device_id);
        create table passkeys (
          id text primary key,
          user_id uuid not null references users (id) on delete cascade,
          public_key bytea not null,
          counter bigint not null default 0,
          transports text not null default '',
          name text not null,
          created_at timestamptz not null,
          last_used_at timestamptz
        );
        create index passkeys_user_idx on passkeys (user_id);
        create table webauthn_challenges (
          id uuid primary key default gen_random_uuid(),
          user_id uuid references users (id) on delete cascade,
          purpose text not null check (purpose in ('register', 'authenticate')),
          challenge text not null unique,
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create table sign_in_tickets (
          token_digest text primary key,
          user_id uuid not null references users (id) on delete cascade,
          stage text not null check (stage in ('second_factor', 'device_approval')),
          device_id uuid not null references devices (id) on delete cascade,
          user_agent text not null,
          ip text not null,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create table whitelist_entries (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          network text not null,
          address text not null,
          label text not null,
          created_at timestamptz not null,
          usable_at timestamptz not null,
          removed_at timestamptz
        );
        create index whitelist_entries_user_idx on whitelist_entries (user_id);
        create table withdrawal_locks (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          reason text not null,
          started_at timestamptz not null,
          until timestamptz not null check (until > started_at)
        );
        create index withdrawal_locks_user_idx on withdrawal_locks (user_id, until);
        create table security_alerts (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          kind text not null,
          at timestamptz not null,
          details jsonb not null,
          wasnt_me_at timestamptz
        );
        create index security_alerts_user_idx on security_alerts (user_id, at);
        create table api_keys (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          access_key text not null unique,
          secret_sealed text not null,
          passphrase_digest text not null,
          label text not null,
          permissions text not null,
          allowed_ips text not null default '',
          created_at timestamptz not null,
          last_used_at timestamptz,
          revoked_at timestamptz
        );
        create index api_keys_user_idx on api_keys (user_id);
        create table api_signatures (
          signature text primary key,
          expires_at timestamptz not null
        );
        create table mail_outbox (
          id uuid primary key default gen_random_uuid(),
          to_address text not null,
          subject text not null,
          text_body text not null,
          sent_at timestamptz not null
        );
        create index mail_outbox_sent_idx on mail_outbox (sent_at);
      `.execute(db)
    },
  },
  '0101_accounts_email_change': {
    async up(db: Kysely<unknown>) {
      await sql`
        alter table email_tokens add column new_email text;
        alter table email_tokens drop constraint email_tokens_purpose_check;
        alter table email_tokens add constraint email_tokens_purpose_check check (
          purpose in ('confirm_email', 'password_reset', 'device_approval', 'wasnt_me', 'email_change')
        );
      `.execute(db)
    },
  },
  '0102_accounts_reauth_and_attempts': {
    async up(db: Kysely<unknown>) {
      // Re-authentication (fresh proof for sensitive changes), which session created or last used
      // an API key and raised an alert (so "This wasn't me" can revoke what the intruder made),
      // and failed credential checks per account across IPs (sign-in and re-authentication).
      await sql`
        alter table sessions add column reauthenticated_at timestamptz;
        alter table api_keys add column created_session_id text;
        alter table api_keys add column last_used_ip text;
        alter table security_alerts add column session_id text;
        create table credential_failures (
          id uuid primary key default gen_random_uuid(),
          kind text not null check (kind in ('signin', 'reauth')),
          subject text not null,
          at timestamptz not null
        );
        create index credential_failures_subject_idx on credential_failures (kind, subject, at);
      `.execute(db)
    },
  },
}
