/**
 * @module Risk migrations (range 0400-0499): event history, alerts, cases and case notes, system-opened
 * cases and case links.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0400_risk_events_alerts_cases': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table risk_events (
          id text primary key check (length(id) <= 128),
          at timestamptz not null,
          account text check (length(account) <= 128),
          type text not null,
          body jsonb not null,
          received_at timestamptz not null default now()
        );
        create index risk_events_account_at_idx on risk_events (account, at);
        create index risk_events_at_idx on risk_events (at);

        create table risk_cases (
          id uuid primary key default gen_random_uuid(),
          account text not null,
          status text not null default 'open' check (status in ('open', 'resolved')),
          assignee uuid references users (id),
          resolution text check (resolution in ('fraud', 'not_fraud')),
          created_at timestamptz not null,
          created_by uuid not null references users (id),
          updated_at timestamptz not null,
          resolved_at timestamptz,
          resolved_by uuid references users (id),
          check ((status = 'resolved') = (resolution is not null))
        );
        create index risk_cases_status_idx on risk_cases (status, created_at);
        create index risk_cases_account_idx on risk_cases (account);

        create table risk_alerts (
          id uuid primary key default gen_random_uuid(),
          created_at timestamptz not null,
          event_id text not null,
          account text,
          event_type text not null,
          decision text not null check (decision in ('allow', 'review', 'block')),
          score double precision not null check (score >= 0 and score <= 1),
          reasons jsonb not null,
          sources jsonb not null,
          rules_version text not null,
          models jsonb not null,
          status text not null default 'open' check (status in ('open', 'in_case', 'closed')),
          case_id uuid references risk_cases (id)
        );
        create unique index risk_alerts_event_key on risk_alerts (event_id);
        create index risk_alerts_queue_idx on risk_alerts (status, created_at desc);
        create index risk_alerts_account_idx on risk_alerts (account, created_at desc);

        create table risk_case_notes (
          id uuid primary key default gen_random_uuid(),
          case_id uuid not null references risk_cases (id),
          author uuid not null references users (id),
          body text not null check (length(body) between 1 and 4000),
          created_at timestamptz not null
        );
        create index risk_case_notes_case_idx on risk_case_notes (case_id, created_at);
      `.execute(db)
    },
  },
  '0401_risk_rule_sets': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table risk_rule_sets (
          id uuid primary key default gen_random_uuid(),
          version text not null check (length(version) <= 64),
          document jsonb not null,
          enabled_at timestamptz not null,
          enabled_by uuid not null references users (id)
        );
        create index risk_rule_sets_enabled_idx on risk_rule_sets (enabled_at desc);
      `.execute(db)
    },
  },
  // A case the system opens (held deposit, duplicate document) has no staff creator: it names its
  // source instead, and the source event's key keeps it to one case per event.
  '0410_risk_system_cases': {
    async up(db: Kysely<unknown>) {
      await sql`
        alter table risk_cases alter column created_by drop not null;
        alter table risk_cases add column opened_by text not null default 'staff'
          check (opened_by in ('staff', 'system'));
        alter table risk_cases add column source text
          check (source in ('deposit_screening', 'identity_duplicate'));
        alter table risk_cases add column source_key text check (length(source_key) <= 200);
        alter table risk_cases add column reasons jsonb not null default '[]';
        alter table risk_cases add constraint risk_cases_opener_check check (
          (opened_by = 'staff' and created_by is not null and source is null and source_key is null)
          or (opened_by = 'system' and created_by is null and source is not null and source_key is not null)
        );
        create unique index risk_cases_source_key on risk_cases (source_key);

        create table risk_case_links (
          case_id uuid not null references risk_cases (id),
          kind text not null check (kind in ('account', 'deposit', 'identity_verification')),
          ref text not null check (length(ref) between 1 and 128),
          primary key (case_id, kind, ref)
        );
        create index risk_case_links_ref_idx on risk_case_links (kind, ref);
      `.execute(db)
    },
  },
}
