/**
 * @module Platform migrations: users, sessions, the insert-only audit log and its Merkle leaves.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { type Kysely, type Migration, sql } from 'kysely'
import { auditEntryBytes } from './audit.ts'
import { leafHash } from './audit-log/merkle.ts'

export const migrations: Record<string, Migration> = {
  '0001_platform_users_sessions': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table users (
          id uuid primary key default gen_random_uuid(),
          email text not null check (email = lower(email) and length(email) <= 254),
          kind text not null check (kind in ('customer', 'staff')),
          role text check ((kind = 'staff') = (role is not null)),
          display_name text not null,
          password_hash text not null,
          status text not null default 'active' check (status in ('active', 'disabled', 'frozen')),
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create unique index users_email_key on users (email);
        create table sessions (
          id text primary key,
          user_id uuid not null references users (id) on delete cascade,
          csrf_token text not null,
          user_agent text not null,
          ip text not null,
          created_at timestamptz not null,
          last_seen_at timestamptz not null,
          expires_at timestamptz not null,
          revoked_at timestamptz
        );
        create index sessions_user_idx on sessions (user_id);
      `.execute(db)
    },
  },
  '0002_platform_audit_log': {
    async up(db: Kysely<unknown>) {
      // The log is insert-only at the database level: a trigger refuses UPDATE, DELETE and
      // TRUNCATE, so even application bugs cannot rewrite history. The hash chain catches anyone
      // who bypasses the trigger (a superuser disabling it, or editing the files).
      await sql`
        create table audit_log (
          seq bigint primary key check (seq > 0),
          at timestamptz not null,
          actor text not null,
          action text not null,
          target text not null,
          details jsonb not null,
          prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
          hash text not null unique check (hash ~ '^[0-9a-f]{64}$')
        );
        create index audit_log_action_idx on audit_log (action);
        create index audit_log_actor_idx on audit_log (actor);
        create function audit_log_refuse_change() returns trigger language plpgsql as $$
        begin
          raise exception 'audit_log is insert-only' using errcode = 'insufficient_privilege';
        end $$;
        create trigger audit_log_no_update before update or delete on audit_log
          for each row execute function audit_log_refuse_change();
        create trigger audit_log_no_truncate before truncate on audit_log
          for each statement execute function audit_log_refuse_change();
      `.execute(db)
    },
  },
  '0003_platform_staff_invites': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table staff_invites (
          token_digest text primary key,
          user_id uuid not null references users (id) on delete cascade,
          invited_by uuid not null references users (id),
          created_at timestamptz not null,
          expires_at timestamptz not null,
          accepted_at timestamptz
        );
      `.execute(db)
    },
  },
  '0005_platform_settings': {
    async up(db: Kysely<unknown>) {
      // Facts about this install that only the database may decide, e.g. `demo_install`, written
      // by the demo seed in the transaction that creates the demo people (settings.ts).
      await sql`
        create table platform_settings (
          key text primary key check (key ~ '^[a-z_]{1,64}$'),
          value jsonb not null,
          set_at timestamptz not null
        );
      `.execute(db)
    },
  },
  '0004_platform_audit_leaves': {
    async up(db: Kysely<unknown>) {
      // The Merkle leaf hash of every audit entry, insert-only like the log. Entries written
      // before this migration get theirs now (computed the same way appendAudit does).
      await sql`
        create table audit_leaves (
          seq bigint primary key,
          leaf_hash text not null check (leaf_hash ~ '^[0-9a-f]{64}$')
        );
        create trigger audit_leaves_no_update before update or delete on audit_leaves
          for each row execute function audit_log_refuse_change();
        create trigger audit_leaves_no_truncate before truncate on audit_leaves
          for each statement execute function audit_log_refuse_change();
      `.execute(db)
      let after = '0'
      for (;;) {
        const { rows } = await sql<{
          seq: string
          at: Date
          actor: string
          action: string
          target: string
          details: Record<string, unknown>
        }>`select seq::text as seq, at, actor, action, target, details from audit_log
           where seq > ${after}::bigint order by seq limit 5000`.execute(db)
        if (rows.length === 0) break
        const values = rows.map(
          (r) =>
            sql`(${r.seq}::bigint, ${bytesToHex(leafHash(auditEntryBytes({ ...r, seq: BigInt(r.seq) })))})`,
        )
        await sql`insert into audit_leaves (seq, leaf_hash) values ${sql.join(values)}`.execute(db)
        after = rows[rows.length - 1]!.seq
      }
    },
  },
}
