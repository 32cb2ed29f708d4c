/**
 * @module Inbound transfers, as the beneficiary VASP: a signed `transfer` from a VASP in our
 * directory is checked (envelope, IVMS101), decided, stored sealed and answered with a signed
 * `transfer_reply`; a `transfer_broadcast` adds the transaction hash. Accepted data releases
 * deposits held for it. Decided: accepted when the destination is one of our customers' deposit
 * addresses and, when that customer has an approved identity verification, the beneficiary named
 * is its holder (beneficiary-name.ts); a different name is rejected (BENEFICIARY_NAME_MISMATCH)
 * before anything moves on-chain, so the originator's customer gets the funds back and can correct
 * the name, rather than waiting on our review with the funds locked at their exchange.
 */
import { type CustodyAsset, isCustodyAsset, parseAmount } from '../custody/assets.ts'
import { approvedIdentityName } from '../identity/index.ts'
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import { type BeneficiaryNameCheck, beneficiaryNameMatches } from './beneficiary-name.ts'
import type { TransferRow, TravelRuleContext } from './context.ts'
import type { DepositReviews } from './deposit-reviews.ts'
import { displayName } from './ivms101.ts'
import type { VaspMessaging } from './messaging.ts'
import {
  type BroadcastMessage,
  broadcastMessage,
  type Envelope,
  header_,
  type ReplyMessage,
  sign,
  transferMessage,
} from './protocol.ts'

/** @example const inbound = inboundTransfers(ctx, messaging, reviews); await inbound.receiveTransfer(body) */
export function inboundTransfers(ctx: TravelRuleContext, messaging: VaspMessaging, reviews: DepositReviews) {
  const { db, clock, me } = ctx
  return {
    /** Inbound `transfer`: verify, validate IVMS101, decide, store sealed, answer signed. */
    async receiveTransfer(body: unknown): Promise<Envelope> {
      const { message, sender } = await messaging.open(body)
      const parsed = transferMessage.safeParse(message)
      if (!parsed.success)
        throw new AppError(
          'TRAVEL_RULE_INVALID_PAYLOAD',
          400,
          `The transfer does not follow IVMS101: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`.slice(0, 500),
        )
      const m = parsed.data
      let decision: 'accepted' | 'rejected' = 'accepted'
      let reason: string | undefined
      let userId: string | null = null
      let nameCheck: BeneficiaryNameCheck | null = null
      let amount = 0n
      if (!isCustodyAsset(m.transfer.asset)) {
        decision = 'rejected'
        reason = 'ASSET_NOT_SUPPORTED'
      } else {
        try {
          amount = parseAmount(m.transfer.asset as CustodyAsset, m.transfer.amount)
        } catch {
          decision = 'rejected'
          reason = 'AMOUNT_INVALID'
        }
      }
      if (decision === 'accepted') {
        const owner = await db
          .selectFrom('custody_deposit_addresses')
          .select('user_id')
          .where(
            'address',
            '=',
            m.transfer.destination.startsWith('0x')
              ? m.transfer.destination.toLowerCase()
              : m.transfer.destination,
          )
          .executeTakeFirst()
        if (!owner) {
          decision = 'rejected'
          reason = 'BENEFICIARY_ADDRESS_UNKNOWN'
        } else {
          userId = owner.user_id
          const identity = await approvedIdentityName(ctx.deps, owner.user_id)
          nameCheck = identity
            ? beneficiaryNameMatches(m.ivms101.beneficiary.beneficiaryPersons, identity)
              ? 'match'
              : 'mismatch'
            : 'no_identity'
          if (nameCheck === 'mismatch') {
            decision = 'rejected'
            reason = 'BENEFICIARY_NAME_MISMATCH'
          }
        }
      }
      const at = clock.now()
      const stored = (await db
        .insertInto('travel_rule_transfers')
        .values({
          transfer_id: m.transferId,
          direction: 'inbound',
          vasp_id: sender.id,
          user_id: userId,
          asset: m.transfer.asset.slice(0, 16),
          network: m.transfer.network,
          amount: amount > 0n ? amount : 1n,
          destination: m.transfer.destination,
          status: decision,
          reason: reason ?? null,
          ivms101: await ctx.seal('ivms101', m.ivms101),
          originator_name: await ctx.seal(
            'originator_name',
            displayName(m.ivms101.originator.originatorPersons[0]!),
          ),
          beneficiary_name: await ctx.seal(
            'beneficiary_name',
            displayName(m.ivms101.beneficiary.beneficiaryPersons[0]!),
          ),
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.columns(['vasp_id', 'direction', 'transfer_id']).doNothing())
        .returningAll()
        .executeTakeFirst()) as TransferRow | undefined
      if (!stored)
        throw new AppError(
          'TRAVEL_RULE_DUPLICATE_TRANSFER',
          409,
          'A transfer with this id was already received from you.',
        )
      await appendAudit(db, {
        actor: `vasp:${sender.id}`,
        action: `travel_rule.transfer_received_${decision}`,
        target: `travel_rule:${stored.id}`,
        details: {
          vasp: sender.id,
          transferId: m.transferId,
          asset: m.transfer.asset,
          amount: m.transfer.amount,
          reason: reason ?? null,
          nameCheck,
        },
        at,
      })
      if (decision === 'accepted') await reviews.releaseCovered(stored)
      const reply: ReplyMessage = {
        ...header_(me, sender.id, clock.now()),
        type: 'transfer_reply',
        transferId: m.transferId,
        decision,
        ...(reason ? { reason } : {}),
      }
      return sign(reply, ctx.secretKey())
    },

    /** Inbound `transfer_broadcast`: the originator's transaction hash for an accepted transfer. */
    async receiveBroadcast(body: unknown): Promise<void> {
      const { message, sender } = await messaging.open(body)
      const parsed = broadcastMessage.safeParse(message)
      if (!parsed.success)
        throw new AppError('TRAVEL_RULE_INVALID_MESSAGE', 400, 'Not a transfer_broadcast message.')
      const m: BroadcastMessage = parsed.data
      const row = (await db
        .updateTable('travel_rule_transfers')
        .set({ tx_hash: m.txHash, updated_at: clock.now() })
        .where('vasp_id', '=', sender.id)
        .where('direction', '=', 'inbound')
        .where('transfer_id', '=', m.transferId)
        .where('status', '=', 'accepted')
        .returningAll()
        .executeTakeFirst()) as TransferRow | undefined
      if (!row) throw errors.notFound('That accepted transfer')
      await appendAudit(db, {
        actor: `vasp:${sender.id}`,
        action: 'travel_rule.broadcast_received',
        target: `travel_rule:${row.id}`,
        details: { transferId: m.transferId, txHash: m.txHash },
        at: clock.now(),
      })
      await reviews.releaseCovered(row)
    },
  }
}
