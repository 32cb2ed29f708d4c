/**
 * @module Account holds: an analyst holds a customer's withdrawals from a risk case. A hold stops
 * new withdrawals (held for review, step 2b) and moves the ones not yet signing to the review queue.
 * Lifting is audit-logged like placing; when the case was closed as fraud, the hold stays until a
 * second staff member — neither the one who placed it nor the one who closed the case — lifts it.
 */
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import type { Executor, Tx } from './ledger.ts'

export type Hold = {
  id: string
  userId: string
  caseId: string | null
  reason: string
  placedBy: string
  placedAt: string
  liftedBy: string | null
  liftedAt: string | null
}

/** Active holds of a customer (none: withdrawals may proceed). */
export async function activeHolds(executor: Executor, userId: string) {
  return executor
    .selectFrom('custody_holds')
    .select(['id', 'placed_at'])
    .where('user_id', '=', userId)
    .where('lifted_at', 'is', null)
    .execute()
}

type HoldRow = {
  id: string
  user_id: string
  case_id: string | null
  reason: string
  placed_by: string
  placed_at: Date
  lifted_by: string | null
  lifted_at: Date | null
}

const present = (r: HoldRow): Hold => ({
  id: r.id,
  userId: r.user_id,
  caseId: r.case_id,
  reason: r.reason,
  placedBy: r.placed_by,
  placedAt: r.placed_at.toISOString(),
  liftedBy: r.lifted_by,
  liftedAt: r.lifted_at?.toISOString() ?? null,
})

export function createHolds(deps: {
  db: Db
  clock: Pick<Clock, 'now'>
  /** Moves the customer's not-yet-signing withdrawals to review (withdrawals.ts). */
  holdPending: (tx: Tx, userId: string, holdId: string) => Promise<number>
}) {
  return {
    async place(input: { userId: string; caseId?: string | undefined; reason: string }, staffId: string) {
      const at = deps.clock.now()
      return deps.db.transaction().execute(async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select(['kind'])
          .where('id', '=', input.userId)
          .executeTakeFirst()
        if (user?.kind !== 'customer') throw errors.notFound('That customer')
        if (input.caseId) {
          const c = await tx
            .selectFrom('risk_cases')
            .select(['account'])
            .where('id', '=', input.caseId)
            .executeTakeFirst()
          if (!c) throw errors.notFound('That case')
          if (c.account !== input.userId)
            throw errors.invalidInput('That case is about another account.', { field: 'caseId' })
        }
        const row = await tx
          .insertInto('custody_holds')
          .values({
            user_id: input.userId,
            case_id: input.caseId ?? null,
            reason: input.reason,
            placed_by: staffId,
            placed_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        const moved = await deps.holdPending(tx, input.userId, row.id)
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'custody.hold_placed',
          target: `user:${input.userId}`,
          details: { hold: row.id, case: input.caseId ?? null, reason: input.reason, withdrawalsHeld: moved },
          at,
        })
        return present(row)
      })
    },

    async lift(id: string, staffId: string, note: string) {
      const at = deps.clock.now()
      return deps.db.transaction().execute(async (tx) => {
        const hold = await tx
          .selectFrom('custody_holds')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()
        if (!hold) throw errors.notFound('That hold')
        if (hold.lifted_at) throw new AppError('HOLD_ALREADY_LIFTED', 409, 'This hold was already lifted.')
        if (hold.case_id) {
          const c = await tx
            .selectFrom('risk_cases')
            .select(['resolution', 'resolved_by'])
            .where('id', '=', hold.case_id)
            .executeTakeFirst()
          if (c?.resolution === 'fraud' && (staffId === hold.placed_by || staffId === c.resolved_by)) {
            throw new AppError(
              'HOLD_FOUR_EYES',
              403,
              'The case was closed as fraud: a second staff member, not the one who placed the hold or closed the case, must lift it.',
            )
          }
        }
        const row = await tx
          .updateTable('custody_holds')
          .set({ lifted_by: staffId, lifted_at: at, lift_note: note })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'custody.hold_lifted',
          target: `user:${hold.user_id}`,
          details: { hold: id, case: hold.case_id, note },
          at,
        })
        return present(row)
      })
    },

    async list(userId?: string) {
      let q = deps.db.selectFrom('custody_holds').selectAll()
      if (userId) q = q.where('user_id', '=', userId)
      return (await q.orderBy('placed_at', 'desc').limit(200).execute()).map(present)
    },
  }
}
export type Holds = ReturnType<typeof createHolds>
