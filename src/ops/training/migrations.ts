/**
 * @module Ops migrations, staff security training (range 0850-0859 of ops 0800-0899): modules with
 * a quiz and pass mark, due dates per staff role, quiz attempts, and phishing drills with one row
 * per recipient (tracked-link token stored only as its SHA-256; when they clicked or reported).
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0850_ops_training': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table ops_training_modules (
          id uuid primary key default gen_random_uuid(),
          title text not null check (length(title) between 1 and 200),
          body text not null check (length(body) between 1 and 20000),
          quiz jsonb not null,
          pass_mark integer not null check (pass_mark between 1 and 100),
          created_by uuid not null references users (id),
          created_at timestamptz not null
        );
        create table ops_training_due (
          module_id uuid not null references ops_training_modules (id),
          role text not null check (length(role) <= 40),
          due_on text not null check (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          primary key (module_id, role)
        );
        create table ops_training_attempts (
          id uuid primary key default gen_random_uuid(),
          module_id uuid not null references ops_training_modules (id),
          staff_id uuid not null references users (id),
          score integer not null check (score between 0 and 100),
          passed boolean not null,
          at timestamptz not null
        );
        create index ops_training_attempts_staff on ops_training_attempts (staff_id, module_id);
        create table ops_training_drills (
          id uuid primary key default gen_random_uuid(),
          subject text not null check (length(subject) between 1 and 200),
          created_by uuid not null references users (id),
          created_at timestamptz not null
        );
        create table ops_training_drill_targets (
          drill_id uuid not null references ops_training_drills (id),
          staff_id uuid not null references users (id),
          token_hash text not null unique,
          clicked_at timestamptz,
          reported_at timestamptz,
          primary key (drill_id, staff_id)
        );
      `.execute(db)
    },
  },
}
