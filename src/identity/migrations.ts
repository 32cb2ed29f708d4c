/**
 * @module Identity verification migrations (range 0900-0999). A verification holds the decision,
 * its reasons and scores, the document's country in clear (P2P reads it) and every other extracted
 * field sealed; the document number is kept only as a keyed digest, for the duplicate index. Images
 * live in their own table, sealed, and are deleted after the retention period.
 */
import { type Kysely, type Migration, sql } from 'kysely'

export const migrations: Record<string, Migration> = {
  '0900_identity_verifications': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table identity_verifications (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id) on delete cascade,
          status text not null check (status in ('approved', 'rejected', 'review')),
          decided_by text not null check (decided_by in ('system', 'staff')),
          document_format text check (document_format in ('TD1', 'TD2', 'TD3')),
          document_type text,
          country char(2) check (country ~ '^[A-Z]{2}$'),
          document_digest text check (document_digest ~ '^[0-9a-f]{64}$'),
          fields_sealed text,
          reasons jsonb not null,
          scores jsonb not null,
          reviewer_id uuid references users (id),
          review_note text,
          created_at timestamptz not null,
          decided_at timestamptz,
          images_deleted_at timestamptz,
          check ((status = 'review') = (decided_at is null))
        );
        create index identity_verifications_user_idx on identity_verifications (user_id, created_at);
        create index identity_verifications_status_idx on identity_verifications (status, created_at);
        create index identity_verifications_document_idx on identity_verifications (document_digest);

        create table identity_duplicates (
          verification_id uuid not null references identity_verifications (id) on delete cascade,
          other_verification_id uuid not null references identity_verifications (id) on delete cascade,
          other_user_id uuid not null references users (id) on delete cascade,
          kind text not null check (kind in ('document', 'face')),
          created_at timestamptz not null,
          primary key (verification_id, other_verification_id, kind)
        );

        create table identity_images (
          verification_id uuid not null references identity_verifications (id) on delete cascade,
          kind text not null check (kind in ('document', 'selfie')),
          content_type text not null check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
          sealed bytea not null,
          created_at timestamptz not null,
          primary key (verification_id, kind)
        );
      `.execute(db)
    },
  },
  // The duplicate-face index (src/identity/face/duplicates.ts): sealed selfie embeddings.
  '0931_identity_face_embeddings': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table identity_face_embeddings (
          verification_id uuid primary key references identity_verifications (id) on delete cascade,
          user_id uuid not null references users (id) on delete cascade,
          sealed bytea not null,
          created_at timestamptz not null
        );
        create index identity_face_embeddings_user_idx on identity_face_embeddings (user_id);
      `.execute(db)
    },
  },
  // The active liveness challenge (src/identity/liveness/): steps asked, each step's result, the
  // first step's face (sealed) and the verification that used it (single use).
  '0947_identity_liveness_challenges': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table identity_liveness_challenges (
          id uuid primary key,
          user_id uuid not null references users (id) on delete cascade,
          steps jsonb not null,
          camera_label text,
          results jsonb not null,
          baseline_yaw double precision,
          reference_sealed bytea,
          status text not null check (status in ('open', 'passed', 'failed')),
          verification_id uuid references identity_verifications (id) on delete set null,
          created_at timestamptz not null,
          expires_at timestamptz not null
        );
        create index identity_liveness_challenges_user_idx on identity_liveness_challenges (user_id, created_at);
      `.execute(db)
    },
  },
}
