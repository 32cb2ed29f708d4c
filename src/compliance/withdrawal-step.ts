/**
 * @module The `travel_rule` step of the custody withdrawal pipeline. `assess` (once, at the
 * request): below the threshold in force `not_applicable`; above it an undeclared address is
 * refused, a proven self-hosted wallet passes, a VASP's customer is held (`review`); `started`
 * then builds the IVMS101 payload, stores it sealed and sends it to the beneficiary VASP.
 */
import type { TravelRuleStep, WithdrawalRow } from '../custody/withdrawals.ts'
import { AppError } from '../platform/errors.ts'
import type { TransferRow, TravelRuleContext } from './context.ts'
import { beneficiaryPerson, type TravelRuleDestinations } from './destinations.ts'
import { displayName, type IdentityPayload, type Ivms101Person, vaspPerson } from './ivms101.ts'
import type { OutboundTransfers } from './outbound.ts'
import { newTransferId } from './protocol.ts'
import type { ThresholdAnswer } from './thresholds.ts'

export type WithdrawalStepParts = {
  destinations: TravelRuleDestinations
  outbound: OutboundTransfers
  /** Whether an amount of an asset is at or above the threshold in force at `at`. */
  threshold(
    asset: Parameters<TravelRuleStep['assess']>[0]['asset'],
    amount: bigint,
    at: Date,
  ): Promise<ThresholdAnswer>
}

/** @example custody's createWithdrawals({ ..., travelRule: travelRuleStep(ctx, parts) }) */
export function travelRuleStep(ctx: TravelRuleContext, parts: WithdrawalStepParts): TravelRuleStep {
  const { db, clock } = ctx
  const { destinations, outbound } = parts

  async function originatorOf(userId: string): Promise<Ivms101Person> {
    const user = await db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()
    return {
      naturalPerson: {
        name: {
          nameIdentifier: [
            { primaryIdentifier: user.display_name.slice(0, 100), nameIdentifierType: 'LEGL' },
          ],
        },
        customerIdentification: user.id,
      },
    }
  }

  return {
    async assess({ userId, asset, amount, network, address }) {
      const t = await parts.threshold(asset, amount, clock.now())
      const declared = await destinations.find(userId, network, address)
      if (!t.required) return { verdict: 'not_applicable', detail: t.detail }
      if (!declared)
        throw new AppError(
          'TRAVEL_RULE_DESTINATION_UNDECLARED',
          409,
          'This withdrawal is above the Travel Rule threshold: first say whose address this is (an account at another exchange, or your own wallet proven with a signed message) under “Travel Rule destinations”, then try again.',
          { details: { field: 'address' } },
        )
      if (declared.kind === 'self_hosted')
        return { verdict: 'pass', detail: `your own wallet, ownership proven (${declared.proof_method})` }
      const target = await ctx.vasp(declared.vasp_id!)
      if (target?.status !== 'active')
        throw new AppError(
          'TRAVEL_RULE_VASP_UNAVAILABLE',
          409,
          'The exchange you named for this address is not available for Travel Rule transfers now; contact support.',
        )
      ctx.secretKey()
      ctx.cipher('travel_rule_transfers')
      return {
        verdict: 'review',
        detail: `waiting for ${target.name} to accept the sender and recipient data`,
      }
    },

    async started(w: WithdrawalRow): Promise<WithdrawalRow> {
      const declared = await destinations.find(w.user_id, w.network, w.address)
      if (declared?.kind !== 'vasp' || !declared.vasp_id) return w
      const target = (await ctx.vasp(declared.vasp_id))!
      const beneficiary = await destinations.beneficiary(declared.beneficiary)
      const originatorPerson = await originatorOf(w.user_id)
      const ivms: IdentityPayload = {
        originator: { originatorPersons: [originatorPerson as never], accountNumber: [w.user_id] },
        beneficiary: { beneficiaryPersons: [beneficiaryPerson(beneficiary)], accountNumber: [w.address] },
        originatingVASP: { originatingVASP: ctx.ourPerson() },
        beneficiaryVASP: {
          beneficiaryVASP: vaspPerson(
            target.name,
            target.id,
            target.jurisdiction === 'EU' ? 'XX' : target.jurisdiction,
          ),
        },
      }
      const at = clock.now()
      const row = (await db
        .insertInto('travel_rule_transfers')
        .values({
          transfer_id: newTransferId(),
          direction: 'outbound',
          vasp_id: target.id,
          withdrawal_id: w.id,
          user_id: w.user_id,
          asset: w.asset,
          network: w.network,
          amount: w.amount,
          destination: w.address,
          status: 'pending',
          ivms101: await ctx.seal('ivms101', ivms),
          originator_name: await ctx.seal('originator_name', displayName(originatorPerson)),
          beneficiary_name: await ctx.seal('beneficiary_name', displayName(beneficiaryPerson(beneficiary))),
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow()) as TransferRow
      await outbound.deliver(row)
      return outbound.withdrawal(w.id)
    },
  }
}
