/**
 * @module Operations migrations (range 0800-0899): the support desk (tickets, messages with
 * internal notes, attachments, macros), the bug bounty (researchers' reports, triage, rewards with
 * four-eyes approval) and the register of third-party security audits (audits, findings, retests).
 * Invariants live in the database: one open ticket per P2P dispute and per frozen account, a
 * reward is approved by someone other than its proposer, a report is a duplicate of another.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0800_ops_support': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table ops_tickets (
          id uuid primary key default gen_random_uuid(),
          number bigserial unique,
          customer_id uuid not null references users (id),
          type text not null check (type in ('question', 'frozen_account', 'p2p_dispute')),
          category text not null check (category in ('account', 'funds', 'p2p', 'security', 'other')),
          subject text not null check (length(subject) between 1 and 200),
          priority text not null check (priority in ('urgent', 'high', 'normal', 'low')),
          status text not null check (status in ('open', 'waiting_customer', 'resolved')),
          assignee_id uuid references users (id),
          p2p_order_id uuid,
          alert_id uuid,
          source_page text not null default '' check (length(source_page) <= 200),
          reply_token_digest text not null unique,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          first_response_due_at timestamptz not null,
          resolution_due_at timestamptz not null,
          first_response_at timestamptz,
          resolved_at timestamptz,
          check ((status = 'resolved') = (resolved_at is not null)),
          check ((type = 'p2p_dispute') = (p2p_order_id is not null))
        );
        create index ops_tickets_status_idx on ops_tickets (status, created_at);
        create index ops_tickets_customer_idx on ops_tickets (customer_id, created_at);
        create unique index ops_tickets_dispute_key on ops_tickets (p2p_order_id) where type = 'p2p_dispute';
        create unique index ops_tickets_frozen_key on ops_tickets (customer_id)
          where type = 'frozen_account' and status <> 'resolved';

        create table ops_ticket_messages (
          id uuid primary key default gen_random_uuid(),
          seq bigserial unique,
          ticket_id uuid not null references ops_tickets (id),
          author_id uuid references users (id),
          kind text not null check (kind in ('customer', 'staff', 'internal', 'system')),
          via text not null check (via in ('web', 'email', 'system')),
          body text not null check (length(body) between 1 and 10000),
          at timestamptz not null,
          check ((kind = 'system') = (author_id is null))
        );
        create index ops_ticket_messages_ticket_idx on ops_ticket_messages (ticket_id, at);

        create table ops_ticket_attachments (
          id uuid primary key default gen_random_uuid(),
          ticket_id uuid not null references ops_tickets (id),
          message_id uuid not null references ops_ticket_messages (id),
          file_name text not null check (length(file_name) between 1 and 120),
          content_type text not null check (content_type in ('image/png', 'image/jpeg', 'application/pdf', 'text/plain')),
          size integer not null check (size between 1 and 5242880),
          sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
          content bytea not null
        );
        create index ops_ticket_attachments_ticket_idx on ops_ticket_attachments (ticket_id);

        create table ops_macros (
          id uuid primary key default gen_random_uuid(),
          title text not null unique check (length(title) between 1 and 100),
          body text not null check (length(body) between 1 and 5000),
          created_by uuid references users (id),
          created_at timestamptz not null
        );
      `.execute(db)
    },
  },
  '0801_ops_bounty': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table ops_bounty_reports (
          id uuid primary key default gen_random_uuid(),
          number bigserial unique,
          email text not null check (length(email) <= 254),
          handle text not null check (length(handle) between 1 and 60),
          title text not null check (length(title) between 1 and 200),
          description text not null check (length(description) between 1 and 20000),
          affected text not null check (length(affected) <= 200),
          status text not null check (status in ('unconfirmed', 'new', 'triaged', 'fixed', 'rewarded', 'disclosed', 'duplicate')),
          confirm_token_digest text unique,
          created_at timestamptz not null,
          confirmed_at timestamptz,
          cvss_vector text,
          cvss_score_tenths integer check (cvss_score_tenths between 0 and 100),
          severity text check (severity in ('none', 'low', 'medium', 'high', 'critical')),
          triaged_by uuid references users (id),
          triaged_at timestamptz,
          fixed_at timestamptz,
          duplicate_of uuid references ops_bounty_reports (id),
          reward_cents numeric(20,0) check (reward_cents >= 0),
          reward_proposed_by uuid references users (id),
          reward_approved_by uuid references users (id),
          rewarded_at timestamptz,
          disclosed_at timestamptz,
          disclosure text check (length(disclosure) <= 20000),
          check ((status = 'duplicate') = (duplicate_of is not null)),
          check (duplicate_of is null or duplicate_of <> id),
          check (reward_approved_by is null or reward_approved_by <> reward_proposed_by)
        );
        create index ops_bounty_reports_status_idx on ops_bounty_reports (status, created_at);
      `.execute(db)
    },
  },
  '0802_ops_audits': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table ops_audits (
          id uuid primary key default gen_random_uuid(),
          firm text not null check (length(firm) between 1 and 120),
          scope text not null check (length(scope) between 1 and 2000),
          started_on text not null check (started_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          ended_on text check (ended_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and ended_on >= started_on),
          status text not null check (status in ('planned', 'in_progress', 'completed')),
          report_name text check (length(report_name) <= 120),
          report_sha256 text check (report_sha256 ~ '^[0-9a-f]{64}$'),
          report bytea,
          created_by uuid references users (id),
          created_at timestamptz not null,
          check ((report is null) = (report_sha256 is null)),
          check (status <> 'completed' or ended_on is not null)
        );

        create table ops_audit_findings (
          id uuid primary key default gen_random_uuid(),
          audit_id uuid not null references ops_audits (id),
          title text not null check (length(title) between 1 and 200),
          severity text not null check (severity in ('critical', 'high', 'medium', 'low', 'info')),
          owner text not null check (length(owner) between 1 and 120),
          due_on text not null check (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          status text not null check (status in ('open', 'fixed', 'closed', 'accepted')),
          fix_commit text check (fix_commit ~ '^[0-9a-f]{7,40}$'),
          overdue_alerted_on text,
          created_at timestamptz not null,
          check (status not in ('fixed', 'closed') or fix_commit is not null)
        );
        create index ops_audit_findings_audit_idx on ops_audit_findings (audit_id);
        create index ops_audit_findings_due_idx on ops_audit_findings (status, due_on);

        create table ops_audit_retests (
          id uuid primary key default gen_random_uuid(),
          finding_id uuid not null references ops_audit_findings (id),
          result text not null check (result in ('pass', 'fail')),
          note text not null check (length(note) <= 2000),
          by_id uuid not null references users (id),
          at timestamptz not null
        );
        create index ops_audit_retests_finding_idx on ops_audit_retests (finding_id, at);
      `.execute(db)
    },
  },
}
