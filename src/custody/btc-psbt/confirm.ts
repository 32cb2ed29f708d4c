/**
 * @module Confirmations the operator reports for a broadcast BTC withdrawal: with enough, the withdrawal
 * completes on the ledger exactly once.
 */
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError } from '../../platform/errors.ts'
import { createLedger } from '../ledger.ts'
import { completionEntries, type WithdrawalRow, type Withdrawals } from '../withdrawals.ts'

export type BtcConfirmResult =
  | { withdrawalId: string; status: 'confirmed'; confirmations: number; needed: number }
  | { withdrawalId: string; status: 'broadcast_pending_external'; confirmations: number; needed: number }

/**
 * Records the confirmations the operator read for a broadcast Bitcoin withdrawal (by txid). With
 * `needed` or more (CUSTODY_CONFIRMATIONS BTC=), it completes: pending → cold wallet, fees and the
 * insurance fund, under the fixed ledger key `withdrawal:<id>:complete`; fewer are recorded only.
 */
export async function confirmBtcWithdrawal(
  deps: { db: Db; clock: Pick<Clock, 'now'>; withdrawals: Withdrawals },
  txid: string,
  confirmations: number,
  needed: number,
): Promise<BtcConfirmResult> {
  const row = (await deps.db
    .selectFrom('custody_withdrawals')
    .selectAll()
    .where('tx_hash', '=', txid)
    .where('asset', '=', 'BTC')
    .executeTakeFirst()) as WithdrawalRow | undefined
  if (!row)
    throw new AppError('WITHDRAWAL_NOT_FOUND', 404, `No Bitcoin withdrawal has the transaction ${txid}.`)
  if (row.status !== 'broadcast_pending_external')
    throw new AppError(
      'WITHDRAWAL_STATE',
      409,
      `The withdrawal of transaction ${txid} is ${row.status.replaceAll('_', ' ')}, not waiting for confirmations.`,
    )
  if (confirmations < needed) {
    await deps.db
      .updateTable('custody_withdrawals')
      .set({ confirmations, updated_at: deps.clock.now() })
      .where('id', '=', row.id)
      .where('status', '=', 'broadcast_pending_external')
      .execute()
    return { withdrawalId: row.id, status: 'broadcast_pending_external', confirmations, needed }
  }
  const ledger = createLedger({ db: deps.db, clock: deps.clock })
  await deps.withdrawals.transition(row.id, ['broadcast_pending_external'], 'cli', async (tx, locked) => {
    await ledger.post(tx, {
      key: `withdrawal:${locked.id}:complete`,
      kind: 'withdrawal',
      ref: `withdrawal:${locked.id}`,
      entries: completionEntries(locked, 'cold_wallet'),
    })
    return {
      status: 'confirmed',
      set: {
        confirmations,
        broadcast_at: locked.broadcast_at ?? deps.clock.now(),
        completed_at: deps.clock.now(),
        funds_held: false,
      },
      step: {
        step: 'confirmations',
        verdict: 'pass',
        detail: `${confirmations} of ${needed}, reported by the operator`,
      },
      audit: { txid, confirmations },
    }
  })
  return { withdrawalId: row.id, status: 'confirmed', confirmations, needed }
}
