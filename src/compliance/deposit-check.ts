/**
 * @module The Travel Rule's question before a deposit is credited (asked by custody's deposits):
 * a deposit sent from an address of a VASP in the directory, with no accepted inbound Travel Rule
 * transfer for it (same VASP, destination, asset and amount, and the transaction hash once known),
 * is flagged `TRAVEL_RULE_DATA_MISSING`, held, and queued for a compliance officer.
 */
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'

export const TRAVEL_RULE_DATA_MISSING = 'TRAVEL_RULE_DATA_MISSING'

export type DepositFacts = {
  id: string
  sender: string | null
  address: string
  asset: string
  amount: string
  txid: string
}

/**
 * @example const { flagged, reasons } = await travelRuleDepositCheck({ db, clock }, deposit)
 */
export async function travelRuleDepositCheck(
  deps: { db: Db; clock: Clock },
  d: DepositFacts,
): Promise<{ flagged: boolean; reasons: string[] }> {
  const { db, clock } = deps
  if (!d.sender) return { flagged: false, reasons: [] }
  const sender = d.sender.startsWith('0x') ? d.sender.toLowerCase() : d.sender
  const vasps = await db.selectFrom('travel_rule_vasps').select(['id', 'addresses']).execute()
  const from = vasps.find((v) => v.addresses.includes(sender))
  if (!from) return { flagged: false, reasons: [] }
  const covered = await db
    .selectFrom('travel_rule_transfers')
    .select(['destination', 'tx_hash'])
    .where('direction', '=', 'inbound')
    .where('status', '=', 'accepted')
    .where('vasp_id', '=', from.id)
    .where('asset', '=', d.asset)
    .where('amount', '=', d.amount)
    .execute()
  const match = covered.some(
    (t) =>
      t.destination.toLowerCase() === d.address.toLowerCase() &&
      (t.tx_hash === null || t.tx_hash.toLowerCase() === d.txid.toLowerCase()),
  )
  if (match) return { flagged: false, reasons: [] }
  const inserted = await db
    .insertInto('travel_rule_deposit_reviews')
    .values({ deposit_id: d.id, vasp_id: from.id, status: 'held', created_at: clock.now() })
    .onConflict((oc) => oc.column('deposit_id').doNothing())
    .returning('deposit_id')
    .executeTakeFirst()
  if (inserted)
    await appendAudit(db, {
      actor: 'system',
      action: 'travel_rule.deposit_held',
      target: `deposit:${d.id}`,
      details: { vasp: from.id, asset: d.asset, amount: d.amount, txid: d.txid },
      at: clock.now(),
    })
  return { flagged: true, reasons: [TRAVEL_RULE_DATA_MISSING] }
}
