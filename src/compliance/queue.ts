/**
 * @module The compliance officer's view: transfers both ways with their state and names (unsealed
 * for the page), deposits held for missing data, and one transfer's full IVMS101 payload (viewing
 * it is audit-logged: it is personal data).
 */
import { formatAmount } from '../custody/assets.ts'
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
import type { TransferRow, TravelRuleContext } from './context.ts'
import type { IdentityPayload } from './ivms101.ts'

/** @example const q = await travelRuleQueue(ctx).queue() */
export function travelRuleQueue(ctx: TravelRuleContext) {
  const { db, clock } = ctx
  return {
    /** The compliance queue: transfers both ways with their state, and deposits held for review. */
    async queue(limit = 200) {
      const transfers = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute()) as TransferRow[]
      const vasps = new Map(
        (await db.selectFrom('travel_rule_vasps').select(['id', 'name']).execute()).map((v) => [
          v.id,
          v.name,
        ]),
      )
      const statuses = new Map(
        (
          await db
            .selectFrom('custody_withdrawals')
            .select(['id', 'status'])
            .where('id', 'in', [
              ...transfers.map((t) => t.withdrawal_id).filter((x): x is string => x !== null),
              '00000000-0000-0000-0000-000000000000',
            ])
            .execute()
        ).map((w) => [w.id, w.status]),
      )
      const deposits = await db
        .selectFrom('travel_rule_deposit_reviews as r')
        .innerJoin('custody_deposits as d', 'd.id', 'r.deposit_id')
        .select([
          'r.deposit_id',
          'r.vasp_id',
          'r.status',
          'r.note',
          'r.decided_by',
          'r.created_at',
          'd.asset',
          'd.amount',
          'd.txid',
          'd.user_id',
          'd.address',
        ])
        .orderBy('r.created_at', 'desc')
        .limit(limit)
        .execute()
      return {
        transfers: await Promise.all(
          transfers.map(async (t) => ({
            id: t.id,
            transferId: t.transfer_id,
            direction: t.direction,
            vaspId: t.vasp_id,
            vaspName: vasps.get(t.vasp_id) ?? t.vasp_id,
            asset: t.asset,
            amount: formatAmount(t.asset, BigInt(t.amount)),
            destination: t.destination,
            status: t.status,
            reason: t.reason,
            lastError: t.last_error,
            txHash: t.tx_hash,
            withdrawalId: t.withdrawal_id,
            withdrawalStatus: t.withdrawal_id ? (statuses.get(t.withdrawal_id) ?? null) : null,
            originator: await ctx.unseal<string>('originator_name', t.originator_name),
            beneficiary: await ctx.unseal<string>('beneficiary_name', t.beneficiary_name),
            createdAt: t.created_at.toISOString(),
            updatedAt: t.updated_at.toISOString(),
          })),
        ),
        deposits: deposits.map((d) => ({
          depositId: d.deposit_id,
          vaspId: d.vasp_id,
          vaspName: vasps.get(d.vasp_id) ?? d.vasp_id,
          status: d.status,
          note: d.note,
          decidedBy: d.decided_by,
          asset: d.asset,
          amount: formatAmount(d.asset, BigInt(d.amount)),
          txid: d.txid,
          userId: d.user_id,
          address: d.address,
          heldAt: d.created_at.toISOString(),
        })),
      }
    },

    /** The full IVMS101 payload of one transfer (staff, audit-logged: it is personal data). */
    async payload(id: string, staffId: string) {
      const row = (await db
        .selectFrom('travel_rule_transfers')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) as TransferRow | undefined
      if (!row) throw errors.notFound('That transfer')
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.payload_viewed',
        target: `travel_rule:${id}`,
        details: {},
        at: clock.now(),
      })
      return ctx.unseal<IdentityPayload>('ivms101', row.ivms101)
    },
  }
}
