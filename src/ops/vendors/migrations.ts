/**
 * @module Compliance migrations, vendor register (range 1000-1019 of compliance 1000-1099): vendors
 * with the data they access, risk tier, questionnaire, contract and certification expiry, review
 * date, and the compliance officer's decision. The database refuses an approval by the person who
 * registered or last changed the vendor (four eyes).
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '1000_compliance_vendors': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table compliance_vendors (
          id uuid primary key default gen_random_uuid(),
          name text not null unique check (length(name) between 1 and 120),
          service text not null check (length(service) between 1 and 500),
          data_accessed jsonb not null,
          risk_tier text not null check (risk_tier in ('critical', 'high', 'medium', 'low')),
          questionnaire jsonb not null,
          certification text check (length(certification) <= 120),
          certification_expires_on text check (certification_expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          contract_expires_on text not null check (contract_expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          next_review_on text not null check (next_review_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          status text not null check (status in ('pending', 'approved', 'rejected')),
          decided_by uuid references users (id),
          decided_at timestamptz,
          decision_note text check (length(decision_note) <= 1000),
          changed_by uuid not null references users (id),
          created_at timestamptz not null,
          updated_at timestamptz not null,
          check (status = 'pending' or (decided_by is not null and decided_at is not null)),
          check (decided_by is null or decided_by <> changed_by)
        );
      `.execute(db)
    },
  },
}
