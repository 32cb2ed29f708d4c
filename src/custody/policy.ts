/**
 * @module The withdrawal policy engine. A policy is a versioned JSON document (the policy language,
 * docs/custody.md): a fee schedule per asset with the insurance fund's share, the largest amount the
 * hot wallet signs per withdrawal, and rules. A rule matches when every condition in its `when`
 * holds; the strictest matching outcome wins (reject > require approvals > auto-approve; with
 * several approval rules the largest count applies and any named role may approve). No match:
 * auto-approve. A new version is proposed by one staff member and takes effect only when another
 * approves it (four-eyes); both steps are audit-logged. The migration seeds version 1.
 */
import { z } from 'zod'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { permissionMatrix, type StaffRole } from '../platform/rbac.ts'
import { type CustodyAsset, custodyAssets, isCustodyAsset, parseAmount } from './assets.ts'
import type { Executor } from './ledger.ts'

const decimal = z
  .string()
  .max(40)
  .regex(/^\d+(\.\d+)?$/, 'a decimal amount such as 1.5')
const assetName = z.string().refine(isCustodyAsset, 'a custody asset (ETH, USDT, USDC, BTC)')
/** Roles that hold the approval permission: the only roles a policy may ask approvals from. */
export const approverRoles = permissionMatrix['custody.withdrawals.approve'] as readonly StaffRole[]

const conditionSchema = z
  .object({
    asset: assetName.optional(),
    /** The withdrawal's amount is at least this (needs `asset`). */
    amountAtLeast: decimal.optional(),
    /** The customer's withdrawals of `asset` in the last 24 h, this one included, total at least this. */
    dailyVolumeAtLeast: decimal.optional(),
    /** The destination was first used or whitelisted by this customer less than N days ago (new: 0). */
    destinationNewerThanDays: z.number().min(0).max(3650).optional(),
    /** The risk engine's score for this withdrawal is at least this (0..1). */
    riskScoreAtLeast: z.number().min(0).max(1).optional(),
    /** The account was opened less than N days ago. */
    accountYoungerThanDays: z.number().min(0).max(36500).optional(),
  })
  .strict()
  .refine((w) => (w.amountAtLeast === undefined && w.dailyVolumeAtLeast === undefined) || w.asset, {
    message: 'amountAtLeast and dailyVolumeAtLeast need an asset (amounts are per asset)',
  })

const outcomeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('auto_approve') }).strict(),
  z.object({ action: z.literal('reject') }).strict(),
  z
    .object({
      action: z.literal('require_approvals'),
      count: z.number().int().min(1).max(5),
      roles: z
        .array(z.string().refine((r) => approverRoles.includes(r as StaffRole), 'a role that may approve'))
        .min(1)
        .max(6),
    })
    .strict(),
])

export const policySchema = z
  .object({
    fees: z.record(assetName, decimal),
    /** Basis points of each fee credited to the insurance fund (the rest goes to fees). */
    insuranceShareBps: z.number().int().min(0).max(10_000),
    /** Largest amount per withdrawal the in-process hot wallet signs; above it, offline signing. */
    hotWalletMax: z.record(assetName, decimal),
    rules: z
      .array(
        z
          .object({
            id: z
              .string()
              .max(64)
              .regex(/^[a-z0-9-]+$/),
            description: z.string().max(300).optional(),
            when: conditionSchema,
            outcome: outcomeSchema,
          })
          .strict(),
      )
      .max(100),
  })
  .strict()
  .refine((p) => custodyAssets.every((a) => p.fees[a] !== undefined), {
    message: 'the fee schedule names every asset',
  })
export type PolicyDocument = z.infer<typeof policySchema>
export type PolicyRule = PolicyDocument['rules'][number]

/** Version 1, seeded by the migration. */
export const DEFAULT_POLICY: PolicyDocument = {
  fees: { ETH: '0.0005', USDT: '1', USDC: '1', BTC: '0.0001' },
  insuranceShareBps: 2000,
  hotWalletMax: { ETH: '1', USDT: '5000', USDC: '5000', BTC: '0.1' },
  rules: [
    {
      id: 'risky',
      description: 'The risk engine scored it 0.5 or more.',
      when: { riskScoreAtLeast: 0.5 },
      outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
    },
    {
      id: 'new-account-new-address',
      description: 'A day-old account sending to an address it never used before.',
      when: { accountYoungerThanDays: 1, destinationNewerThanDays: 1 },
      outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
    },
    {
      id: 'eth-large',
      when: { asset: 'ETH', amountAtLeast: '1' },
      outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
    },
    {
      id: 'eth-very-large',
      when: { asset: 'ETH', amountAtLeast: '10' },
      outcome: { action: 'require_approvals', count: 2, roles: ['custody_approver'] },
    },
    {
      id: 'eth-daily',
      when: { asset: 'ETH', dailyVolumeAtLeast: '20' },
      outcome: { action: 'require_approvals', count: 2, roles: ['custody_approver'] },
    },
    {
      id: 'usdt-large',
      when: { asset: 'USDT', amountAtLeast: '10000' },
      outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
    },
    {
      id: 'usdc-large',
      when: { asset: 'USDC', amountAtLeast: '10000' },
      outcome: { action: 'require_approvals', count: 1, roles: ['custody_approver'] },
    },
  ],
}

export type PolicyFacts = {
  asset: CustodyAsset
  amount: bigint
  /** This customer's withdrawals of the asset in the last 24 h, this one included. */
  dailyVolume: bigint
  destinationAgeDays: number
  riskScore: number
  accountAgeDays: number
}

export type PolicyOutcome =
  | { action: 'auto_approve'; matched: string[] }
  | { action: 'reject'; matched: string[] }
  | { action: 'require_approvals'; count: number; roles: string[]; matched: string[] }

/**
 * Evaluates a policy on one withdrawal's facts.
 * @example evaluatePolicy(DEFAULT_POLICY, { asset: 'ETH', amount: 2n * 10n ** 18n, … }) // require 1 approval
 */
export function evaluatePolicy(policy: PolicyDocument, f: PolicyFacts): PolicyOutcome {
  const matched = policy.rules.filter((r) => matches(r.when, f))
  const ids = matched.map((r) => r.id)
  if (matched.some((r) => r.outcome.action === 'reject')) return { action: 'reject', matched: ids }
  let count = 0
  const roles = new Set<string>()
  for (const r of matched) {
    if (r.outcome.action !== 'require_approvals') continue
    count = Math.max(count, r.outcome.count)
    for (const role of r.outcome.roles) roles.add(role)
  }
  if (count > 0) return { action: 'require_approvals', count, roles: [...roles].sort(), matched: ids }
  return { action: 'auto_approve', matched: ids }
}

function matches(w: PolicyRule['when'], f: PolicyFacts): boolean {
  if (w.asset !== undefined && w.asset !== f.asset) return false
  if (w.amountAtLeast !== undefined && f.amount < parseAmount(f.asset, w.amountAtLeast)) return false
  if (w.dailyVolumeAtLeast !== undefined && f.dailyVolume < parseAmount(f.asset, w.dailyVolumeAtLeast))
    return false
  if (w.destinationNewerThanDays !== undefined && !(f.destinationAgeDays < w.destinationNewerThanDays))
    return false
  if (w.riskScoreAtLeast !== undefined && !(f.riskScore >= w.riskScoreAtLeast)) return false
  if (w.accountYoungerThanDays !== undefined && !(f.accountAgeDays < w.accountYoungerThanDays)) return false
  return true
}

/** The fee and the insurance fund's share of it, in the asset's smallest unit. */
export function feeOf(policy: PolicyDocument, asset: CustodyAsset): { fee: bigint; insurance: bigint } {
  const fee = parseAmount(asset, policy.fees[asset] ?? '0')
  return { fee, insurance: (fee * BigInt(policy.insuranceShareBps)) / 10_000n }
}

/** Whether the hot wallet may sign this amount under the policy. */
export function hotWalletMay(policy: PolicyDocument, asset: CustodyAsset, amount: bigint): boolean {
  const max = policy.hotWalletMax[asset]
  return max !== undefined && amount <= parseAmount(asset, max)
}

export type StoredPolicy = {
  version: number
  document: PolicyDocument
  status: 'proposed' | 'active' | 'superseded' | 'rejected'
  proposedBy: string | null
  proposedAt: string
  approvedBy: string | null
  approvedAt: string | null
  note: string
}

/** The policy store: the active version, proposals, and four-eyes approval. */
export function createPolicyStore(deps: { db: Db; clock: Pick<Clock, 'now'> }) {
  const present = (r: {
    version: number
    document: Record<string, unknown>
    status: StoredPolicy['status']
    proposed_by: string | null
    proposed_at: Date
    approved_by: string | null
    approved_at: Date | null
    note: string
  }): StoredPolicy => ({
    version: r.version,
    document: r.document as PolicyDocument,
    status: r.status,
    proposedBy: r.proposed_by,
    proposedAt: r.proposed_at.toISOString(),
    approvedBy: r.approved_by,
    approvedAt: r.approved_at?.toISOString() ?? null,
    note: r.note,
  })

  return {
    /** The policy in force (exactly one row is `active`). */
    async active(executor: Executor = deps.db): Promise<{ version: number; document: PolicyDocument }> {
      const row = await executor
        .selectFrom('custody_withdrawal_policies')
        .select(['version', 'document'])
        .where('status', '=', 'active')
        .executeTakeFirst()
      if (!row) throw new Error('no active withdrawal policy (the 0750 migration seeds one)')
      return { version: row.version, document: row.document as PolicyDocument }
    },

    async list(): Promise<StoredPolicy[]> {
      const rows = await deps.db
        .selectFrom('custody_withdrawal_policies')
        .selectAll()
        .orderBy('version', 'desc')
        .limit(50)
        .execute()
      return rows.map(present)
    },

    /** Proposes a new version; it takes effect when a different staff member approves it. */
    async propose(document: unknown, staffId: string, note: string): Promise<StoredPolicy> {
      const parsed = policySchema.safeParse(document)
      if (!parsed.success) {
        throw errors.invalidInput(
          `The policy is not valid: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`)
            .join('; ')}.`,
        )
      }
      const now = deps.clock.now()
      return deps.db.transaction().execute(async (tx) => {
        await tx.selectFrom('custody_withdrawal_policies').select('version').forUpdate().execute()
        const last = await tx
          .selectFrom('custody_withdrawal_policies')
          .select((eb) => eb.fn.max('version').as('v'))
          .executeTakeFirstOrThrow()
        const version = Number(last.v ?? 0) + 1
        const row = await tx
          .insertInto('custody_withdrawal_policies')
          .values({
            version,
            document: JSON.stringify(parsed.data),
            status: 'proposed',
            proposed_by: staffId,
            proposed_at: now,
            approved_by: null,
            approved_at: null,
            note,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'custody.policy_proposed',
          target: `withdrawal_policy:${version}`,
          details: { version, note },
          at: now,
        })
        return present(row)
      })
    },

    /** Four-eyes: a proposal becomes the active policy when someone other than its proposer approves it. */
    async approve(version: number, staffId: string): Promise<StoredPolicy> {
      const now = deps.clock.now()
      return deps.db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('custody_withdrawal_policies')
          .selectAll()
          .where('version', '=', version)
          .forUpdate()
          .executeTakeFirst()
        if (!row) throw errors.notFound('That policy version')
        if (row.status !== 'proposed')
          throw new AppError(
            'POLICY_NOT_PROPOSED',
            409,
            `Version ${version} is ${row.status}, not a proposal.`,
          )
        if (row.proposed_by === staffId) {
          throw new AppError(
            'POLICY_FOUR_EYES',
            403,
            'A policy change needs a second person: someone other than its proposer must approve it.',
          )
        }
        await tx
          .updateTable('custody_withdrawal_policies')
          .set({ status: 'superseded' })
          .where('status', '=', 'active')
          .execute()
        const updated = await tx
          .updateTable('custody_withdrawal_policies')
          .set({ status: 'active', approved_by: staffId, approved_at: now })
          .where('version', '=', version)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'custody.policy_approved',
          target: `withdrawal_policy:${version}`,
          details: { version, proposedBy: row.proposed_by },
          at: now,
        })
        return present(updated)
      })
    },
  }
}
export type PolicyStore = ReturnType<typeof createPolicyStore>
