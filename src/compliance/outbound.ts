/**
 * @module Outbound transfers: a withdrawal's IVMS101 data sent to the beneficiary VASP in a signed
 * `transfer` message, its signed answer applied (accept moves the withdrawal on, reject rejects it
 * with TRAVEL_RULE_REJECTED and returns the funds once), unanswered ones sent again while their
 * withdrawal waits, `transfer_broadcast` notices once the transaction has a hash, and a compliance
 * officer's retry or reject of an unanswered transfer.
 */
import { formatAmount } from '../custody/assets.ts'
import { configuredHotSigner } from '../custody/hot-signer.ts'
import { createWithdrawals, type WithdrawalRow } from '../custody/withdrawals.ts'
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import type { TransferRow, TravelRuleContext } from './context.ts'
import type { IdentityPayload } from './ivms101.ts'
import type { VaspMessaging } from './messaging.ts'
import { type BroadcastMessage, header_, REPLAY_WINDOW_MS } from './protocol.ts'

/** The other reasons a withdrawal may be held, by the step that raised them. */
const REVIEW_CODES: Record<string, string> = {
  account_hold: 'ACCOUNT_HOLD',
  address_poisoning: 'ADDRESS_POISONING_SUSPECTED',
  sanctions: 'WATCHLISTED_ADDRESS',
  risk: 'RISK_REVIEW',
}

/** @example const outbound = outboundTransfers(ctx, messaging); await outbound.deliver(row) */
export function outboundTransfers(ctx: TravelRuleContext, messaging: VaspMessaging) {
  const { db, clock, config, me } = ctx
  // Only its transitions are used (the Travel Rule moves a withdrawal on); the checks run in custody.
  const withdrawals = createWithdrawals({ db, clock, config, accounts: ctx.deps as never })
  const hotSigner = configuredHotSigner(config) !== null

  /** Moves a withdrawal waiting in its travel_rule step on, after the beneficiary VASP's answer. */
  async function settleWithdrawal(
    row: TransferRow,
    decision: 'accepted' | 'rejected',
    actor: string,
    note?: string,
  ) {
    if (!row.withdrawal_id) return
    const w = (await db
      .selectFrom('custody_withdrawals')
      .select(['status', 'reason_code'])
      .where('id', '=', row.withdrawal_id)
      .executeTakeFirst()) as { status: string; reason_code: string | null } | undefined
    if (w?.status !== 'held_for_review' || w.reason_code !== 'TRAVEL_RULE_PENDING') return
    await withdrawals.transition(row.withdrawal_id, ['held_for_review'], actor, async (_tx, wr) => {
      if (wr.reason_code !== 'TRAVEL_RULE_PENDING')
        throw new AppError('WITHDRAWAL_STATE', 409, 'This withdrawal no longer waits for Travel Rule data.')
      if (decision === 'rejected')
        return {
          status: 'rejected',
          refund: true,
          set: { reason_code: 'TRAVEL_RULE_REJECTED' },
          step: { step: 'travel_rule', verdict: 'block', detail: note ?? 'rejected by the beneficiary VASP' },
          audit: { travelRule: row.transfer_id, decision },
        }
      const step = {
        step: 'travel_rule',
        verdict: 'pass' as const,
        detail: 'accepted by the beneficiary VASP',
      }
      // Another reviewer's hold (risk, lookalike, watchlist) still applies after the Travel Rule's.
      const other = wr.steps.find((s) => s.verdict === 'review' && REVIEW_CODES[s.step])
      if (other) return { status: 'held_for_review', set: { reason_code: REVIEW_CODES[other.step] }, step }
      const decisionDoc = wr.policy_decision ?? {}
      if (decisionDoc.action === 'reject')
        return { status: 'rejected', refund: true, set: { reason_code: 'WITHDRAWAL_POLICY_REJECTED' }, step }
      // Approvals are given only in awaiting_approval, so a withdrawal held since its request has none.
      if (wr.required_approvals > 0) return { status: 'awaiting_approval', set: { reason_code: null }, step }
      return {
        status: 'approved',
        set: {
          reason_code: null,
          approved_at: clock.now(),
          signing_mode: decisionDoc.hotEligible === true && hotSigner ? 'hot' : 'offline',
        },
        step,
      }
    })
  }

  async function recordError(row: TransferRow, why: string): Promise<TransferRow> {
    const updated = (await db
      .updateTable('travel_rule_transfers')
      .set({ last_error: why.slice(0, 300), updated_at: clock.now() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow()) as TransferRow
    await appendAudit(db, {
      actor: 'system',
      action: 'travel_rule.transfer_undelivered',
      target: `travel_rule:${row.id}`,
      details: { vasp: row.vasp_id, transferId: row.transfer_id, why: why.slice(0, 300) },
      at: clock.now(),
    })
    return updated
  }

  async function decide(
    row: TransferRow,
    decision: 'accepted' | 'rejected',
    actor: string,
    reason?: string,
  ): Promise<TransferRow> {
    const updated = (await db
      .updateTable('travel_rule_transfers')
      .set({
        status: decision,
        reason: reason?.slice(0, 200) ?? null,
        last_error: null,
        updated_at: clock.now(),
      })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()) as TransferRow | undefined
    if (!updated) return row
    await appendAudit(db, {
      actor,
      action: `travel_rule.transfer_${decision}`,
      target: `travel_rule:${row.id}`,
      details: {
        vasp: row.vasp_id,
        transferId: row.transfer_id,
        withdrawal: row.withdrawal_id,
        reason: reason ?? null,
      },
      at: clock.now(),
    })
    await settleWithdrawal(
      updated,
      decision,
      actor,
      reason ? `rejected by the beneficiary VASP: ${reason}` : undefined,
    )
    return updated
  }

  /** Sends (or sends again) an outbound transfer and applies the signed answer. */
  async function deliver(row: TransferRow): Promise<TransferRow> {
    const target = await ctx.vasp(row.vasp_id)
    if (target?.status !== 'active') return recordError(row, 'the VASP is not active in the directory')
    const ivms = await ctx.unseal<IdentityPayload>('ivms101', row.ivms101)
    const message = {
      ...header_(me, target.id, clock.now()),
      type: 'transfer' as const,
      transferId: row.transfer_id,
      transfer: {
        asset: row.asset,
        network: row.network,
        amount: formatAmount(row.asset, BigInt(row.amount)),
        destination: row.destination,
      },
      ivms101: ivms,
    }
    let answer: { status: number; body: unknown }
    try {
      answer = await messaging.send(target, '/api/travel-rule/v1/transfers', message)
    } catch (error) {
      return recordError(row, `no answer: ${error instanceof Error ? error.name : 'error'}`)
    }
    await appendAudit(db, {
      actor: 'system',
      action: 'travel_rule.transfer_sent',
      target: `travel_rule:${row.id}`,
      details: {
        vasp: target.id,
        transferId: row.transfer_id,
        withdrawal: row.withdrawal_id,
        status: answer.status,
      },
      at: clock.now(),
    })
    const reply = await messaging.verifiedReply(target, row, answer)
    if (typeof reply === 'string') return recordError(row, reply)
    return decide(row, reply.decision, `vasp:${target.id}`, reply.reason)
  }

  async function outbound(id: string): Promise<TransferRow> {
    const row = (await db
      .selectFrom('travel_rule_transfers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()) as TransferRow | undefined
    if (row?.direction !== 'outbound') throw errors.notFound('That outbound transfer')
    if (row.status !== 'pending')
      throw new AppError('TRAVEL_RULE_STATE', 409, `This transfer is already ${row.status}.`)
    return row
  }

  return {
    deliver,

    /** The withdrawal as it stands now (after an answer moved it on). */
    async withdrawal(id: string): Promise<WithdrawalRow> {
      return (await withdrawals.get(id)).row
    },

    /**
     * Work that is due: outbound transfers still unanswered are sent again, and accepted ones whose
     * withdrawal has a transaction hash send their `transfer_broadcast`.
     */
    async sendDue(): Promise<{ resent: number; broadcasts: number }> {
      if (!config.TRAVEL_RULE_SIGNING_KEY || !ctx.kek) return { resent: 0, broadcasts: 0 }
      // Only transfers whose withdrawal still waits for them (a cancelled one is not sent again).
      const pending = (await db
        .selectFrom('travel_rule_transfers as t')
        .innerJoin('custody_withdrawals as w', 'w.id', 't.withdrawal_id')
        .selectAll('t')
        .where('t.direction', '=', 'outbound')
        .where('t.status', '=', 'pending')
        .where('w.status', '=', 'held_for_review')
        .where('w.reason_code', '=', 'TRAVEL_RULE_PENDING')
        .limit(50)
        .execute()) as TransferRow[]
      for (const row of pending) await deliver(row)
      // Nonces older than the replay window can go: a message that old is refused by its timestamp.
      await db
        .deleteFrom('travel_rule_nonces')
        .where('seen_at', '<', new Date(clock.now().getTime() - 2 * REPLAY_WINDOW_MS))
        .execute()
      const due = await db
        .selectFrom('travel_rule_transfers as t')
        .innerJoin('custody_withdrawals as w', 'w.id', 't.withdrawal_id')
        .selectAll('t')
        .select('w.tx_hash as withdrawal_tx')
        .where('t.direction', '=', 'outbound')
        .where('t.status', '=', 'accepted')
        .where('t.broadcast_sent_at', 'is', null)
        .where('w.tx_hash', 'is not', null)
        .limit(50)
        .execute()
      let broadcasts = 0
      for (const row of due) {
        const target = await ctx.vasp(row.vasp_id)
        if (!target) continue
        const message: BroadcastMessage = {
          ...header_(me, target.id, clock.now()),
          type: 'transfer_broadcast',
          transferId: row.transfer_id,
          txHash: row.withdrawal_tx!,
        }
        let status = 0
        try {
          status = (
            await messaging.send(
              target,
              `/api/travel-rule/v1/transfers/${row.transfer_id}/broadcast`,
              message,
            )
          ).status
        } catch {
          status = 0
        }
        if (status !== 200) continue
        await db
          .updateTable('travel_rule_transfers')
          .set({ tx_hash: row.withdrawal_tx, broadcast_sent_at: clock.now(), updated_at: clock.now() })
          .where('id', '=', row.id)
          .execute()
        await appendAudit(db, {
          actor: 'system',
          action: 'travel_rule.broadcast_sent',
          target: `travel_rule:${row.id}`,
          details: { vasp: target.id, transferId: row.transfer_id, txHash: row.withdrawal_tx },
          at: clock.now(),
        })
        broadcasts++
      }
      return { resent: pending.length, broadcasts }
    },

    /** Staff send an unanswered transfer again now. */
    async retry(id: string, staffId: string) {
      const row = await outbound(id)
      const w = row.withdrawal_id
        ? await db
            .selectFrom('custody_withdrawals')
            .select(['status', 'reason_code'])
            .where('id', '=', row.withdrawal_id)
            .executeTakeFirst()
        : undefined
      if (w?.status !== 'held_for_review' || w.reason_code !== 'TRAVEL_RULE_PENDING')
        throw new AppError(
          'TRAVEL_RULE_STATE',
          409,
          'Its withdrawal no longer waits for this transfer (cancelled or decided); nothing to send.',
        )
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.transfer_retried',
        target: `travel_rule:${id}`,
        details: { vasp: row.vasp_id },
        at: clock.now(),
      })
      return deliver(row)
    },

    /** A compliance officer gives up on an unanswered transfer: its withdrawal is rejected, funds returned. */
    async rejectPending(id: string, staffId: string, note: string) {
      const row = await outbound(id)
      return decide(row, 'rejected', `staff:${staffId}`, `compliance: ${note}`)
    },
  }
}
export type OutboundTransfers = ReturnType<typeof outboundTransfers>
