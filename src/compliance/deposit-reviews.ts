/**
 * @module Deposits held because a VASP sent them without Travel Rule data (held by
 * deposit-check.ts): released to the customer once when matching data arrives or a compliance
 * officer releases one with a note, or kept held ("reject"). A deposit that sanctions or risk
 * screening also held is never released here.
 */
import { createLedger } from '../custody/ledger.ts'
import { appendAudit } from '../platform/audit.ts'
import { AppError, isAppError } from '../platform/errors.ts'
import type { TransferRow, TravelRuleContext } from './context.ts'
import { TRAVEL_RULE_DATA_MISSING as MISSING } from './deposit-check.ts'

/** @example const reviews = depositReviews(ctx); await reviews.releaseCovered(inboundTransfer) */
export function depositReviews(ctx: TravelRuleContext) {
  const { db, clock } = ctx
  const ledger = createLedger({ db, clock })

  /** Moves a held deposit to the customer's available balance, once. */
  async function releaseDeposit(depositId: string, actor: string, note: string, transferId: string | null) {
    return db.transaction().execute(async (tx) => {
      const review = await tx
        .selectFrom('travel_rule_deposit_reviews')
        .selectAll()
        .where('deposit_id', '=', depositId)
        .forUpdate()
        .executeTakeFirst()
      if (review?.status !== 'held') return false
      const d = await tx
        .selectFrom('custody_deposits')
        .selectAll()
        .where('id', '=', depositId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      const reasons = d.screening?.reasons ?? []
      if (d.status !== 'held' || reasons.some((r) => r !== MISSING))
        throw new AppError(
          'DEPOSIT_HELD_FOR_OTHER_REASONS',
          409,
          'This deposit is also held by sanctions or risk screening; the risk team decides it.',
        )
      const at = clock.now()
      await ledger.post(tx, {
        key: `deposit:${d.id}:travel_rule_release`,
        kind: 'deposit_release',
        ref: `deposit:${d.id}`,
        entries: [
          { account: { owner: d.user_id, asset: d.asset, kind: 'held_deposit' }, amount: -BigInt(d.amount) },
          { account: { owner: d.user_id, asset: d.asset, kind: 'available' }, amount: BigInt(d.amount) },
        ],
      })
      await tx
        .updateTable('custody_deposits')
        .set({ status: 'credited', updated_at: at })
        .where('id', '=', d.id)
        .execute()
      await tx
        .updateTable('travel_rule_deposit_reviews')
        .set({ status: 'released', decided_by: actor, decided_at: at, note, transfer_id: transferId })
        .where('deposit_id', '=', d.id)
        .execute()
      await appendAudit(tx, {
        actor,
        action: 'travel_rule.deposit_released',
        target: `user:${d.user_id}`,
        details: { deposit: d.id, vasp: review.vasp_id, asset: d.asset, amount: d.amount, note },
        at,
      })
      return true
    })
  }

  return {
    /**
     * Releases deposits held for missing data that this inbound transfer now covers. A deposit that
     * screening also flagged stays held for the risk team: the data arriving answers only the Travel
     * Rule's question, and the sending VASP still gets its signed answer (never a hint about screening).
     */
    async releaseCovered(transfer: TransferRow): Promise<number> {
      const held = await db
        .selectFrom('travel_rule_deposit_reviews as r')
        .innerJoin('custody_deposits as d', 'd.id', 'r.deposit_id')
        .select(['d.id', 'd.address', 'd.asset', 'd.amount', 'd.txid'])
        .where('r.status', '=', 'held')
        .where('r.vasp_id', '=', transfer.vasp_id)
        .where('d.asset', '=', transfer.asset)
        .where('d.amount', '=', transfer.amount)
        .execute()
      let released = 0
      for (const d of held) {
        if (d.address.toLowerCase() !== transfer.destination.toLowerCase()) continue
        if (transfer.tx_hash && transfer.tx_hash.toLowerCase() !== d.txid.toLowerCase()) continue
        try {
          if (
            await releaseDeposit(
              d.id,
              'system',
              `Travel Rule data arrived (transfer ${transfer.transfer_id})`,
              transfer.id,
            )
          )
            released++
        } catch (error) {
          if (!(isAppError(error) && error.code === 'DEPOSIT_HELD_FOR_OTHER_REASONS')) throw error
          await db
            .updateTable('travel_rule_deposit_reviews')
            .set({ transfer_id: transfer.id, note: 'Travel Rule data arrived; also held by screening' })
            .where('deposit_id', '=', d.id)
            .where('status', '=', 'held')
            .execute()
        }
      }
      return released
    },

    /** A compliance officer releases a held deposit or keeps it held (rejected), with a note. */
    async decideDeposit(depositId: string, staffId: string, decision: 'release' | 'reject', note: string) {
      if (decision === 'release') {
        if (!(await releaseDeposit(depositId, `staff:${staffId}`, note, null)))
          throw new AppError(
            'TRAVEL_RULE_STATE',
            409,
            'This deposit is not waiting for a Travel Rule decision.',
          )
        return
      }
      const at = clock.now()
      const done = await db
        .updateTable('travel_rule_deposit_reviews')
        .set({ status: 'rejected', decided_by: `staff:${staffId}`, decided_at: at, note })
        .where('deposit_id', '=', depositId)
        .where('status', '=', 'held')
        .returning('vasp_id')
        .executeTakeFirst()
      if (!done)
        throw new AppError(
          'TRAVEL_RULE_STATE',
          409,
          'This deposit is not waiting for a Travel Rule decision.',
        )
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.deposit_rejected',
        target: `deposit:${depositId}`,
        details: { vasp: done.vasp_id, note },
        at,
      })
    },
  }
}
export type DepositReviews = ReturnType<typeof depositReviews>
