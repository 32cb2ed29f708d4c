/**
 * @module Proof-of-reserves migrations (range 0200-0299). Plain SQL that runs on PGlite and PostgreSQL.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0200_por_rounds': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table por_rounds (
          id text primary key check (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
          status text not null default 'created'
            check (status in ('created', 'imported', 'built', 'reviewed', 'published')),
          created_at timestamptz not null default now(),
          created_by uuid not null references users (id),
          imported_at timestamptz,
          built_at timestamptz,
          built_by uuid references users (id),
          reviewed_at timestamptz,
          reviewed_by uuid references users (id),
          published_at timestamptz,
          published_by uuid references users (id),
          root text check (root ~ '^[0-9a-f]{64}$'),
          depth integer,
          summary jsonb,
          reserves jsonb,
          build_report jsonb,
          check (status <> 'published' or (root is not null and published_at is not null and published_by is not null))
        );
        create index por_rounds_published_idx on por_rounds (published_at) where status = 'published';
        create function por_rounds_immutable() returns trigger language plpgsql as $$
        begin
          if old.status = 'published' then
            raise exception 'round % is published and cannot change', old.id;
          end if;
          if tg_op = 'DELETE' then return old; end if;
          return new;
        end $$;
        create trigger por_rounds_no_change before update or delete on por_rounds
          for each row execute function por_rounds_immutable();
      `.execute(db)
    },
  },
  '0210_por_round_audit_head': {
    async up(db: Kysely<unknown>) {
      // The signed audit tree head a round was published under (see docs/security-model.md).
      await sql`alter table por_rounds add column audit_head jsonb`.execute(db)
    },
  },
  '0230_por_reserve_verification': {
    async up(db: Kysely<unknown>) {
      // What the server verified about a round's reserves when it built the round (per wallet), the
      // reserve challenge the wallets sign, a recorded exemption (who, why) that lets unverified
      // reserves be published as declared, and the insurance fund read from the custody ledger.
      await sql`
        alter table por_rounds add column challenge jsonb;
        alter table por_rounds add column reserve_check jsonb;
        alter table por_rounds add column reserve_exemption jsonb;
        alter table por_rounds add column insurance_fund jsonb;
      `.execute(db)
    },
  },
  '0264_por_round_zk': {
    async up(db: Kysely<unknown>) {
      // The zk hashes of a round's proof of liabilities (docs/por-zk.md), recorded by the proving job. Frozen
      // once the round is published: the verifiers pin these values.
      await sql`
        create table por_round_zk (
          round_id text primary key references por_rounds (id),
          circuit_hash text not null check (circuit_hash ~ '^[0-9a-f]{64}$'),
          vk_hash text not null check (vk_hash ~ '^[0-9a-f]{64}$'),
          setup_hash text not null check (setup_hash ~ '^[0-9a-f]{64}$'),
          setup_insecure boolean not null,
          setup_g2 text not null check (length(setup_g2) = 256 and setup_g2 ~ '^[0-9a-f]+$'),
          top_root text not null,
          batch_size integer not null,
          batch_count integer not null,
          leaf_count integer not null,
          proved_at timestamptz not null
        );
        create function por_round_zk_immutable() returns trigger language plpgsql as $$
        declare
          rid text;
        begin
          if tg_op = 'INSERT' then rid := new.round_id; else rid := old.round_id; end if;
          if exists (select 1 from por_rounds where id = rid and status = 'published') then
            raise exception 'round % is published: its zk hashes cannot change', rid;
          end if;
          if tg_op = 'DELETE' then return old; end if;
          return new;
        end $$;
        create trigger por_round_zk_no_change before insert or update or delete on por_round_zk
          for each row execute function por_round_zk_immutable();
      `.execute(db)
    },
  },
  '0266_por_zk_jobs': {
    async up(db: Kysely<unknown>) {
      // The zk proving job of a round (docs/por-zk.md), kept in the database so that a restarted server (or
      // another server process) shows it, and so that two clicks or two processes cannot start two: the partial
      // unique index admits one running job at a time (proving uses every core it is given). `owner` names
      // the server process that runs it (host:pid:nonce) and `heartbeat_at` when it last said it was alive.
      await sql`
        create table por_zk_jobs (
          round_id text primary key references por_rounds (id),
          state text not null check (state in ('running', 'done', 'failed', 'stopped', 'interrupted')),
          batch_size integer not null check (batch_size between 2 and 4096),
          cores integer not null check (cores between 1 and 64),
          done integer not null default 0,
          total integer not null default 0,
          reused integer not null default 0,
          users_per_second double precision,
          eta_seconds integer,
          started_at timestamptz not null,
          started_by text not null,
          finished_at timestamptz,
          stopped_by text,
          error_code text,
          error_message text,
          owner text not null,
          heartbeat_at timestamptz not null,
          check (state = 'running' or finished_at is not null)
        );
        create unique index por_zk_jobs_one_running on por_zk_jobs (state) where state = 'running';
      `.execute(db)
    },
  },
}
