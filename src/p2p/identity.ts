/**
 * @module Identity country for P2P: a customer submits the country or region on their identity
 * document; a compliance officer reviews it and records the verified country. Restrictions use only
 * the verified country. Changing a verified country sends the identity back to review.
 */
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
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
