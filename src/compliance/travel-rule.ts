/**
 * @module The Travel Rule (FATF Recommendation 16), composed from its parts: the VASP directory
 * (directory.ts), the signed messages between VASPs (protocol.ts, messaging.ts), outbound and
 * inbound transfers (outbound.ts, inbound.ts), deposits held for missing data (deposit-check.ts,
 * deposit-reviews.ts), customers' declared destinations (destinations.ts), the thresholds
 * (thresholds.ts) and the withdrawal step (withdrawal-step.ts). Personal data is sealed with the
 * field cipher; every send, receipt and decision is audit-logged.
 */
import { type TravelRuleDeps, travelRuleContext } from './context.ts'
import { depositReviews } from './deposit-reviews.ts'
import { type DestinationInput, travelRuleDestinations } from './destinations.ts'
import { vaspDirectory } from './directory.ts'
import { inboundTransfers } from './inbound.ts'
import { vaspMessaging } from './messaging.ts'
import { outboundTransfers } from './outbound.ts'
import { publicKeyOf } from './protocol.ts'
import { travelRuleQueue } from './queue.ts'
import { type SetThresholdInput, thresholdTable } from './threshold-table.ts'
import { aboveThreshold, parsePrices, parseThresholds } from './thresholds.ts'
import { travelRuleStep } from './withdrawal-step.ts'

export type { TransferRow, TravelRuleDeps, VaspRow } from './context.ts'
export type { BeneficiaryName, DestinationInput } from './destinations.ts'
export type { VaspInput } from './directory.ts'

/**
 * The Travel Rule service.
 * @example const tr = createTravelRule(domain); await tr.receiveTransfer(request.body)
 */
export function createTravelRule(deps: TravelRuleDeps) {
  const ctx = travelRuleContext(deps)
  const { config } = ctx
  const thresholds = parseThresholds(config.TRAVEL_RULE_THRESHOLDS)
  const prices = parsePrices(config.TRAVEL_RULE_PRICES)
  const jurisdiction = config.TRAVEL_RULE_JURISDICTION
  if (jurisdiction !== undefined && !thresholds.has(jurisdiction))
    throw new RangeError(
      `TRAVEL_RULE_THRESHOLDS has no threshold for TRAVEL_RULE_JURISDICTION=${jurisdiction}`,
    )

  const messaging = vaspMessaging(ctx)
  const directory = vaspDirectory(ctx)
  const reviews = depositReviews(ctx)
  const destinations = travelRuleDestinations(ctx)
  const outbound = outboundTransfers(ctx, messaging)
  const inbound = inboundTransfers(ctx, messaging, reviews)
  const queue = travelRuleQueue(ctx)
  const table = thresholdTable(ctx, { defaults: thresholds, prices })
  const step = travelRuleStep(ctx, {
    destinations,
    outbound,
    // The threshold in force when the withdrawal is requested (the step is asked once, then).
    threshold: async (asset, amount, at) => {
      const t = (await table.inForce(jurisdiction ?? '', at)) ?? thresholds.get(jurisdiction ?? '')!
      return aboveThreshold(asset, amount, t, prices)
    },
  })

  return {
    /** The withdrawal step; absent while TRAVEL_RULE_JURISDICTION is unset. */
    step: jurisdiction === undefined ? undefined : step,

    /** Who we are, for other VASPs' directories (with our threshold in force now). */
    async identity() {
      const t = jurisdiction === undefined ? null : await table.inForce(jurisdiction, ctx.clock.now())
      return {
        id: ctx.me,
        name: config.TRAVEL_RULE_VASP_NAME,
        country: config.TRAVEL_RULE_COUNTRY,
        publicKey: config.TRAVEL_RULE_SIGNING_KEY
          ? publicKeyOf(config.TRAVEL_RULE_SIGNING_KEY.toLowerCase())
          : null,
        protocol: 'bulwark-trp/1',
        threshold: t ? { jurisdiction: t.jurisdiction, amount: t.amount, currency: t.currency } : null,
      }
    },

    /** The thresholds page: ours, every jurisdiction's in force now, and the versions staff set. */
    async thresholds() {
      const now = ctx.clock.now()
      return {
        jurisdiction: jurisdiction ?? null,
        inForce: await table.allInForce(now),
        versions: await table.history(),
      }
    },
    /** A compliance officer sets a jurisdiction's threshold (audit-logged, before and after). */
    setThreshold: (staffId: string, input: SetThresholdInput) => table.set(staffId, input),

    listVasps: directory.listVasps,
    /** Adds or changes a directory entry. */
    saveVasp: directory.saveVasp,

    /** A customer says whose a withdrawal address is. */
    declareDestination: (userId: string, input: DestinationInput) => destinations.declare(userId, input),
    listDestinations: destinations.list,

    /** Inbound `transfer`: verify, validate IVMS101, decide, store sealed, answer signed. */
    receiveTransfer: inbound.receiveTransfer,
    /** Inbound `transfer_broadcast`: the originator's transaction hash for an accepted transfer. */
    receiveBroadcast: inbound.receiveBroadcast,

    /** Unanswered transfers sent again, due broadcast notices sent. */
    sendDue: outbound.sendDue,
    /** Staff send an unanswered transfer again now. */
    retry: outbound.retry,
    /** A compliance officer gives up on an unanswered transfer: its withdrawal is rejected, funds returned. */
    rejectPending: outbound.rejectPending,

    /** A compliance officer releases a held deposit or keeps it held (rejected), with a note. */
    decideDeposit: reviews.decideDeposit,

    queue: queue.queue,
    payload: queue.payload,
  }
}
export type TravelRule = ReturnType<typeof createTravelRule>
