/**
 * @module Whose a withdrawal address is, as the customer declares it: a customer of a VASP in the
 * directory (with the beneficiary's name, sealed at rest), or their own self-hosted wallet proven
 * by a message signed with the address and checked by the proof-of-reserves verifiers (EIP-191 for
 * Ethereum; BIP-322 simple, or the legacy signed message, for Bitcoin).
 */
import { requireCanonicalAddress } from '../accounts/index.ts'
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import { verifyBip322Simple, verifyBitcoinMessage } from '../por/reserves/bitcoin.ts'
import { verifyEip191 } from '../por/reserves/evm.ts'
import type { TravelRuleContext } from './context.ts'
import type { Ivms101Person } from './ivms101.ts'

/** The beneficiary as a customer names them: a person or a company. */
export type BeneficiaryName =
  | { kind: 'natural'; firstName: string; lastName: string }
  | { kind: 'legal'; name: string }

export type DestinationInput = {
  network: string
  address: string
} & (
  | { kind: 'vasp'; vaspId: string; beneficiary: BeneficiaryName }
  | { kind: 'self_hosted'; signature: string }
)

/** The message a customer signs with a self-hosted address to prove it is theirs. */
export function ownershipMessage(userId: string, network: string, address: string): string {
  return `Bulwark Travel Rule: I, customer ${userId}, own the address ${address} on ${network}.`
}

/**
 * A Bitcoin ownership proof: BIP-322 simple, else the legacy signed message (BIP-137). When both
 * fail, the reason given is that of the scheme the signature is written in (a legacy signature is
 * 65 bytes), so a customer reads why their signature failed, not why it is not the other kind.
 */
function bitcoinOwnership(address: string, message: string, signature: string) {
  const bip322 = verifyBip322Simple(address, message, signature)
  if (bip322.ok) return bip322
  const legacy = verifyBitcoinMessage(address, message, signature)
  if (legacy.ok) return legacy
  return Buffer.from(signature, 'base64').length === 65 ? legacy : bip322
}

/** A beneficiary's name as an IVMS101 person (`LEGL` name). */
export function beneficiaryPerson(b: BeneficiaryName): Ivms101Person {
  return b.kind === 'natural'
    ? {
        naturalPerson: {
          name: {
            nameIdentifier: [
              {
                primaryIdentifier: b.lastName,
                secondaryIdentifier: b.firstName,
                nameIdentifierType: 'LEGL',
              },
            ],
          },
        },
      }
    : {
        legalPerson: {
          name: { nameIdentifier: [{ legalPersonName: b.name, legalPersonNameIdentifierType: 'LEGL' }] },
        },
      }
}

/** @example const destinations = travelRuleDestinations(ctx); await destinations.declare(userId, input) */
export function travelRuleDestinations(ctx: TravelRuleContext) {
  const { db, clock } = ctx
  return {
    /** The customer's declaration for an address, if any. */
    async find(userId: string, network: string, address: string) {
      return db
        .selectFrom('travel_rule_destinations')
        .selectAll()
        .where('user_id', '=', userId)
        .where('network', '=', network)
        .where('address', '=', address)
        .executeTakeFirst()
    },

    /** The sealed beneficiary name of a declaration. */
    async beneficiary(sealed: string): Promise<BeneficiaryName> {
      return JSON.parse(
        await ctx.cipher('travel_rule_destinations').decrypt('beneficiary', sealed),
      ) as BeneficiaryName
    },

    /** A customer says whose a withdrawal address is. */
    async declare(userId: string, input: DestinationInput) {
      const address = requireCanonicalAddress(input.network, input.address)
      let proofMethod: string | null = null
      let beneficiary: BeneficiaryName
      if (input.kind === 'vasp') {
        const target = await ctx.vasp(input.vaspId)
        if (target?.status !== 'active') throw errors.notFound('That exchange')
        beneficiary = input.beneficiary
      } else {
        const message = ownershipMessage(userId, input.network, address)
        const result =
          input.network === 'bitcoin'
            ? bitcoinOwnership(address, message, input.signature)
            : await verifyEip191(address, message, input.signature)
        if (!result.ok)
          throw new AppError(
            'OWNERSHIP_PROOF_INVALID',
            400,
            `The signature does not prove this address is yours (${result.reason}). Sign exactly the message shown, with this address.`,
          )
        proofMethod = result.detail.startsWith('EIP-191')
          ? 'EIP-191'
          : result.detail.split(' ')[0]!.slice(0, 40)
        const user = await db
          .selectFrom('users')
          .select('display_name')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
        beneficiary = { kind: 'legal', name: user.display_name.slice(0, 100) }
      }
      const sealed = await ctx
        .cipher('travel_rule_destinations')
        .encrypt('beneficiary', JSON.stringify(beneficiary))
      const at = clock.now()
      await db
        .insertInto('travel_rule_destinations')
        .values({
          user_id: userId,
          network: input.network,
          address,
          kind: input.kind,
          vasp_id: input.kind === 'vasp' ? input.vaspId : null,
          beneficiary: sealed,
          proof_method: proofMethod,
          created_at: at,
        })
        .onConflict((oc) =>
          oc.columns(['user_id', 'network', 'address']).doUpdateSet({
            kind: input.kind,
            vasp_id: input.kind === 'vasp' ? input.vaspId : null,
            beneficiary: sealed,
            proof_method: proofMethod,
            created_at: at,
          }),
        )
        .execute()
      await appendAudit(db, {
        actor: `user:${userId}`,
        action: 'travel_rule.destination_declared',
        target: `user:${userId}`,
        details: {
          network: input.network,
          address,
          kind: input.kind,
          ...(input.kind === 'vasp' ? { vasp: input.vaspId } : { proof: proofMethod }),
        },
        at,
      })
      return { network: input.network, address, kind: input.kind }
    },

    async list(userId: string) {
      const rows = await db
        .selectFrom('travel_rule_destinations as d')
        .leftJoin('travel_rule_vasps as v', 'v.id', 'd.vasp_id')
        .select([
          'd.network',
          'd.address',
          'd.kind',
          'd.vasp_id',
          'v.name as vasp_name',
          'd.proof_method',
          'd.created_at',
        ])
        .where('d.user_id', '=', userId)
        .orderBy('d.created_at', 'desc')
        .execute()
      return rows.map((r) => ({
        network: r.network,
        address: r.address,
        kind: r.kind,
        vaspId: r.vasp_id,
        vaspName: r.vasp_name,
        proofMethod: r.proof_method,
        declaredAt: r.created_at.toISOString(),
      }))
    },
  }
}
export type TravelRuleDestinations = ReturnType<typeof travelRuleDestinations>
