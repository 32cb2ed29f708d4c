/**
 * @module Identity country for P2P. The country comes from the customer's approved identity
 * document (identity domain, `fromDocument`); such a country cannot be replaced by a typed one or
 * by hand. Installs and customers without a verified document keep the older path: a customer
 * types the country on their document and a compliance officer verifies it. Restrictions use only
 * the verified country. Changing a typed verified country sends the identity back to review.
 */
import type { Kysely } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Database } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { isCountryCode } from './countries.ts'
import type { P2pDeps } from './deps.ts'
import type { VerifiedIdentity } from './regions.ts'

export type IdentityView = {
  userId: string
  status: 'pending' | 'verified' | 'rejected'
  claimedCountry: string
  country: string | null
  note: string
  submittedAt: string
  reviewedAt: string | null
}

export type ReviewInput = {
  userId: string
  decision: 'verify' | 'reject'
  /** The verified country; defaults to the claimed one. */
  country?: string
  note?: string
}

function assertCountry(code: string): void {
  if (!isCountryCode(code)) {
    throw errors.invalidInput(`${JSON.stringify(code)} is not an ISO 3166 country or region code.`, {
      field: 'country',
    })
  }
}

function fromDocumentError(): AppError {
  return new AppError(
    'P2P_COUNTRY_FROM_DOCUMENT',
    409,
    'This country comes from a verified identity document. To change it, verify a new document on the Verify identity page.',
  )
}

export type DocumentCountryInput = {
  userId: string
  /** ISO 3166-1 alpha-2 of the approved document's issuing state. */
  country: string
  verificationId: string
  /** The compliance officer who approved it; null when the pipeline approved it. */
  reviewerId: string | null
  at: Date
}

/**
 * Records the country of an approved identity document as the customer's verified P2P country,
 * inside the caller's transaction (the identity decision and this change commit together).
 *
 * @example await recordDocumentCountry(tx, { userId, country: 'FR', verificationId, reviewerId, at })
 */
export async function recordDocumentCountry(
  tx: Kysely<Database>,
  input: DocumentCountryInput,
): Promise<void> {
  assertCountry(input.country)
  const previous = await tx
    .selectFrom('p2p_identities')
    .select(['country', 'status'])
    .where('user_id', '=', input.userId)
    .executeTakeFirst()
  const values = {
    claimed_country: input.country,
    country: input.country,
    status: 'verified' as const,
    note: 'from the approved identity document',
    reviewed_by: input.reviewerId,
    reviewed_at: input.at,
    verification_id: input.verificationId,
  }
  await tx
    .insertInto('p2p_identities')
    .values({ user_id: input.userId, submitted_at: input.at, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute()
  await appendAudit(tx, {
    actor: input.reviewerId ? `staff:${input.reviewerId}` : 'system',
    action: 'p2p.identity_verified',
    target: `user:${input.userId}`,
    details: {
      country: input.country,
      previous: previous?.country ?? null,
      source: 'identity_document',
      verification: input.verificationId,
    },
    at: input.at,
  })
}

export function createIdentities(deps: Pick<P2pDeps, 'db' | 'clock'>) {
  const { db, clock } = deps

  async function get(userId: string): Promise<IdentityView | null> {
    const row = await db
      .selectFrom('p2p_identities')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return row ? present(row) : null
  }

  return {
    get,

    /** The identity as the region rule reads it. */
    async forRules(userId: string): Promise<VerifiedIdentity> {
      const row = await get(userId)
      return row ? { status: row.status, country: row.country } : null
    },

    /** A customer submits (or changes) the country on their identity document for review. */
    async submit(userId: string, claimedCountry: string): Promise<IdentityView> {
      assertCountry(claimedCountry)
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('p2p_identities')
          .select('verification_id')
          .where('user_id', '=', userId)
          .forUpdate()
          .executeTakeFirst()
        if (current?.verification_id) throw fromDocumentError()
        const row = await tx
          .insertInto('p2p_identities')
          .values({
            user_id: userId,
            claimed_country: claimedCountry,
            country: null,
            status: 'pending',
            note: '',
            submitted_at: now,
          })
          .onConflict((oc) =>
            oc.column('user_id').doUpdateSet({
              claimed_country: claimedCountry,
              country: null,
              status: 'pending',
              note: '',
              reviewed_by: null,
              reviewed_at: null,
              submitted_at: now,
            }),
          )
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `user:${userId}`,
          action: 'p2p.identity_submitted',
          target: `user:${userId}`,
          details: { claimedCountry },
          at: now,
        })
        return present(row)
      })
    },

    /** A compliance officer verifies (with the document's country) or rejects a submission. */
    async review(staffId: string, input: ReviewInput): Promise<IdentityView> {
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('p2p_identities')
          .selectAll()
          .where('user_id', '=', input.userId)
          .forUpdate()
          .executeTakeFirst()
        if (!current) throw errors.notFound('An identity submission for this customer')
        if (current.verification_id) throw fromDocumentError()
        const verifiedCountry =
          input.decision === 'verify' ? (input.country ?? current.claimed_country) : null
        if (verifiedCountry !== null) assertCountry(verifiedCountry)
        const row = await tx
          .updateTable('p2p_identities')
          .set({
            status: input.decision === 'verify' ? 'verified' : 'rejected',
            country: verifiedCountry,
            note: input.note ?? '',
            reviewed_by: staffId,
            reviewed_at: now,
          })
          .where('user_id', '=', input.userId)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: input.decision === 'verify' ? 'p2p.identity_verified' : 'p2p.identity_rejected',
          target: `user:${input.userId}`,
          details: {
            claimedCountry: current.claimed_country,
            country: verifiedCountry,
            previous: current.country,
            note: input.note ?? '',
          },
          at: now,
        })
        return present(row)
      })
    },

    /** Submissions for the compliance queue, pending first. */
    async list(status?: IdentityView['status']) {
      let query = db
        .selectFrom('p2p_identities')
        .innerJoin('users', 'users.id', 'p2p_identities.user_id')
        .selectAll('p2p_identities')
        .select(['users.email', 'users.display_name'])
        .orderBy('submitted_at')
        .limit(500)
      if (status) query = query.where('p2p_identities.status', '=', status)
      const rows = await query.execute()
      return rows.map((r) => ({ ...present(r), email: r.email, displayName: r.display_name }))
    },
  }
}

function present(row: {
  user_id: string
  status: 'pending' | 'verified' | 'rejected'
  claimed_country: string
  country: string | null
  note: string
  submitted_at: Date
  reviewed_at: Date | null
}): IdentityView {
  return {
    userId: row.user_id,
    status: row.status,
    claimedCountry: row.claimed_country,
    country: row.country,
    note: row.note,
    submittedAt: row.submitted_at.toISOString(),
    reviewedAt: row.reviewed_at?.toISOString() ?? null,
  }
}
