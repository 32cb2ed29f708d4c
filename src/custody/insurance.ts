/**
 * @module Insurance-fund payouts. Withdrawal fees credit a share to the exchange's `insurance_fund`
 * account (policy `insuranceShareBps`); paying out of it takes m-of-n staff approvals: one staff
 * member proposes a payout (asset, amount, a customer's available balance or an external reference,
 * reason), m others (CUSTODY_INSURANCE_APPROVALS, default 2) holding `custody.insurance.approve`
 * approve the payout's payload hash before it expires, and the approval that reaches m moves the
 * funds on the ledger in the same database transaction, under the idempotency key
 * `insurance-payout:<id>`, so a payout is paid at most once. Every step is audit-logged.
 */
import { randomUUID } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { type ColumnType, type Kysely, type Migration, sql } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors } from '../platform/errors.ts'
import { formatAmount, isCustodyAsset, parseAmount } from './assets.ts'
import { type AccountRef, createLedger, type Tx } from './ledger.ts'

/** How long a proposed payout can collect approvals. */
export const PAYOUT_TTL_MS = 24 * 60 * 60 * 1000

type Numeric = ColumnType<string, string | bigint, string | bigint>

export const payoutStatuses = ['proposed', 'executed'] as const
export type PayoutStatus = (typeof payoutStatuses)[number]

export interface InsuranceTables {
  custody_insurance_payouts: {
    id: string
    asset: string
    amount: Numeric
    destination_user_id: string | null
    external_ref: string | null
    reason: string
    payload_hash: string
    status: PayoutStatus
    proposed_by: string
    proposed_at: Date
    expires_at: Date
    executed_at: Date | null
    transaction_id: string | null
  }
  custody_insurance_approvals: {
    payout_id: string
    staff_id: string
    role: string
    payload_hash: string
    created_at: Date
  }
}

/** Migration 0770 (custody range): payouts and their approvals, one per staff member. */
export const migrations: Record<string, Migration> = {
  '0770_custody_insurance_payouts': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table custody_insurance_payouts (
          id uuid primary key,
          asset text not null,
          amount numeric(78,0) not null check (amount > 0),
          destination_user_id uuid references users (id),
          external_ref text check (length(external_ref) between 1 and 200),
          reason text not null check (length(reason) between 1 and 500),
          payload_hash text not null check (payload_hash ~ '^[0-9a-f]{64}$'),
          status text not null check (status in ('proposed', 'executed')),
          proposed_by uuid not null references users (id),
          proposed_at timestamptz not null,
          expires_at timestamptz not null,
          executed_at timestamptz,
          transaction_id uuid references custody_transactions (id),
          check ((destination_user_id is null) <> (external_ref is null)),
          check ((status = 'executed') = (transaction_id is not null))
        );
        create index custody_insurance_payouts_time_idx on custody_insurance_payouts (proposed_at desc);
        create table custody_insurance_approvals (
          payout_id uuid not null references custody_insurance_payouts (id),
          staff_id uuid not null references users (id),
          role text not null,
          payload_hash text not null check (payload_hash ~ '^[0-9a-f]{64}$'),
          created_at timestamptz not null,
          primary key (payout_id, staff_id)
        );
      `.execute(db)
    },
  },
}

export type PayoutDestination = { userId: string } | { externalRef: string }

export type ProposePayoutParameters = {
  asset: string
  /** Decimal in whole units, e.g. `0.5`. */
  amount: string
  destination: PayoutDestination
  reason: string
}

export type Payout = {
  id: string
  asset: string
  amount: bigint
  destination: PayoutDestination
  reason: string
  payloadHash: string
  /** `expired`: still proposed, past its expiry; it can no longer be approved. */
  status: PayoutStatus | 'expired'
  proposedBy: string
  proposedAt: Date
  expiresAt: Date
  executedAt: Date | null
  transactionId: string | null
  approvals: { staffId: string; role: string; at: Date }[]
  requiredApprovals: number
}

export type InsuranceDeps = {
  db: Db
  clock: Clock
  /** m: distinct approvers needed (CUSTODY_INSURANCE_APPROVALS). */
  requiredApprovals: number
  /** The n roles whose members may approve. */
  approverRoles: readonly string[]
}

/**
 * The SHA-256 of what a payout does, in a fixed JSON form: an approval names this hash, so it
 * counts only for exactly this asset, amount, destination and reason.
 * @example payoutPayloadHash({ id, asset: 'ETH', amount: 10n ** 17n, destination: { userId }, reason: 'hack refund' })
 */
export function payoutPayloadHash(p: {
  id: string
  asset: string
  amount: bigint
  destination: PayoutDestination
  reason: string
}): string {
  const to =
    'userId' in p.destination ? `user:${p.destination.userId}` : `external:${p.destination.externalRef}`
  const canonical = JSON.stringify(['insurance-payout/v1', p.id, p.asset, p.amount.toString(), to, p.reason])
  return bytesToHex(sha256(utf8ToBytes(canonical)))
}

type PayoutRow = InsuranceTables['custody_insurance_payouts'] & { amount: string }

/**
 * Insurance-fund balances and m-of-n payouts.
 * @example
 * const insurance = createInsurance({ db, clock, requiredApprovals: 2, approverRoles: ['custody_approver'] })
 * const p = await insurance.propose({ asset: 'ETH', amount: '0.1', destination: { userId }, reason: 'incident 12' }, staffId)
 * await insurance.approve(p.id, { id: approverId, role: 'custody_approver' }, p.payloadHash)
 */
export function createInsurance(deps: InsuranceDeps) {
  const ledger = createLedger({ db: deps.db, clock: deps.clock })

  const present = (row: PayoutRow, approvals: InsuranceTables['custody_insurance_approvals'][]): Payout => ({
    id: row.id,
    asset: row.asset,
    amount: BigInt(row.amount),
    destination:
      row.destination_user_id !== null
        ? { userId: row.destination_user_id }
        : { externalRef: row.external_ref ?? '' },
    reason: row.reason,
    payloadHash: row.payload_hash,
    status: row.status === 'proposed' && row.expires_at <= deps.clock.now() ? 'expired' : row.status,
    proposedBy: row.proposed_by,
    proposedAt: row.proposed_at,
    expiresAt: row.expires_at,
    executedAt: row.executed_at,
    transactionId: row.transaction_id,
    approvals: approvals
      .filter((a) => a.payload_hash === row.payload_hash)
      .map((a) => ({ staffId: a.staff_id, role: a.role, at: a.created_at })),
    requiredApprovals: deps.requiredApprovals,
  })

  async function approvalsOf(executor: Db | Tx, ids: string[]) {
    if (ids.length === 0) return []
    return executor
      .selectFrom('custody_insurance_approvals')
      .selectAll()
      .where('payout_id', 'in', ids)
      .orderBy('created_at')
      .execute()
  }

  return {
    /** The fund's balance per asset (assets it never held are absent). */
    async balances(): Promise<{ asset: string; balance: bigint }[]> {
      return (await ledger.balances(deps.db, null))
        .filter((b) => b.kind === 'insurance_fund')
        .map((b) => ({ asset: b.asset, balance: b.balance }))
    },

    /** Payouts, newest first, with their approvals. */
    async list(limit = 100): Promise<Payout[]> {
      const rows = (await deps.db
        .selectFrom('custody_insurance_payouts')
        .selectAll()
        .orderBy('proposed_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute()) as PayoutRow[]
      const approvals = await approvalsOf(
        deps.db,
        rows.map((r) => r.id),
      )
      return rows.map((r) =>
        present(
          r,
          approvals.filter((a) => a.payout_id === r.id),
        ),
      )
    },

    /** A staff member proposes a payout; it waits for approvals until it expires. */
    async propose(input: ProposePayoutParameters, proposerId: string): Promise<Payout> {
      if (!isCustodyAsset(input.asset))
        throw errors.invalidInput(`Unknown asset ${JSON.stringify(input.asset)}.`)
      let amount: bigint
      try {
        amount = parseAmount(input.asset, input.amount)
      } catch {
        throw errors.invalidInput(`The amount ${input.amount} is not a valid ${input.asset} amount.`)
      }
      if (amount <= 0n) throw errors.invalidInput('A payout moves a positive amount.')
      const destination = input.destination
      if ('userId' in destination) {
        const user = await deps.db
          .selectFrom('users')
          .select(['id', 'kind'])
          .where('id', '=', destination.userId)
          .executeTakeFirst()
        if (user?.kind !== 'customer')
          throw new AppError(
            'INSURANCE_DESTINATION_UNKNOWN',
            404,
            'No customer account has this id; check the destination account id.',
          )
      }
      const id = randomUUID()
      const at = deps.clock.now()
      const payloadHash = payoutPayloadHash({
        id,
        asset: input.asset,
        amount,
        destination,
        reason: input.reason,
      })
      return deps.db.transaction().execute(async (tx) => {
        const row = (await tx
          .insertInto('custody_insurance_payouts')
          .values({
            id,
            asset: input.asset,
            amount,
            destination_user_id: 'userId' in destination ? destination.userId : null,
            external_ref: 'externalRef' in destination ? destination.externalRef : null,
            reason: input.reason,
            payload_hash: payloadHash,
            status: 'proposed',
            proposed_by: proposerId,
            proposed_at: at,
            expires_at: new Date(at.getTime() + PAYOUT_TTL_MS),
            executed_at: null,
            transaction_id: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow()) as PayoutRow
        await appendAudit(tx, {
          actor: `staff:${proposerId}`,
          action: 'custody.insurance_payout_proposed',
          target: `insurance_payout:${id}`,
          details: {
            asset: input.asset,
            amount: amount.toString(),
            destination: 'userId' in destination ? `user:${destination.userId}` : 'external',
            payloadHash,
          },
          at,
        })
        return present(row, [])
      })
    },

    /**
     * An approval bound to the payload hash the approver saw. The proposer cannot approve; only
     * the named roles count; an expired payout cannot be approved. The approval that reaches m
     * moves the funds from `insurance_fund` in the same transaction.
     */
    async approve(id: string, staff: { id: string; role: string }, seenHash: string): Promise<Payout> {
      return deps.db.transaction().execute(async (tx) => {
        const row = (await tx
          .selectFrom('custody_insurance_payouts')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()) as PayoutRow | undefined
        if (!row) throw errors.notFound('Insurance payout')
        const at = deps.clock.now()
        if (row.status !== 'proposed')
          throw new AppError(
            'INSURANCE_PAYOUT_CLOSED',
            409,
            `This payout is already ${row.status}; nothing is left to approve.`,
          )
        if (row.expires_at <= at)
          throw new AppError(
            'INSURANCE_PAYOUT_EXPIRED',
            409,
            'This payout expired before enough approvals arrived; propose it again.',
          )
        if (row.proposed_by === staff.id)
          throw new AppError(
            'APPROVER_IS_PROPOSER',
            403,
            'You proposed this payout; someone else must approve it.',
          )
        if (!deps.approverRoles.includes(staff.role))
          throw new AppError(
            'APPROVER_ROLE_NOT_NAMED',
            403,
            `Insurance payouts are approved by ${deps.approverRoles.join(', ')}; your role is ${staff.role}.`,
          )
        if (seenHash !== row.payload_hash)
          throw new AppError(
            'PAYLOAD_MISMATCH',
            409,
            'What you approved is not this payout’s payload (asset, amount, destination or reason differ). Reload it and check again.',
          )
        await tx
          .insertInto('custody_insurance_approvals')
          .values({
            payout_id: id,
            staff_id: staff.id,
            role: staff.role,
            payload_hash: seenHash,
            created_at: at,
          })
          .onConflict((oc) =>
            oc
              .columns(['payout_id', 'staff_id'])
              .doUpdateSet({ payload_hash: seenHash, role: staff.role, created_at: at }),
          )
          .execute()
        const approvals = await approvalsOf(tx, [id])
        const valid = approvals.filter(
          (a) => a.payload_hash === row.payload_hash && deps.approverRoles.includes(a.role),
        ).length
        await appendAudit(tx, {
          actor: `staff:${staff.id}`,
          action: 'custody.insurance_payout_approved',
          target: `insurance_payout:${id}`,
          details: { approvals: valid, required: deps.requiredApprovals, payloadHash: seenHash },
          at,
        })
        if (valid < deps.requiredApprovals) return present(row, approvals)
        const to: AccountRef =
          row.destination_user_id !== null
            ? { owner: row.destination_user_id, asset: row.asset, kind: 'available' }
            : { owner: null, asset: row.asset, kind: 'external_clearing' }
        const amount = BigInt(row.amount)
        const posted = await ledger.move(tx, {
          key: `insurance-payout:${id}`,
          kind: 'insurance_payout',
          ref: `insurance_payout:${id}`,
          amount,
          from: { owner: null, asset: row.asset, kind: 'insurance_fund' },
          to,
        })
        const executed = (await tx
          .updateTable('custody_insurance_payouts')
          .set({ status: 'executed', executed_at: at, transaction_id: posted.id })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()) as PayoutRow
        await appendAudit(tx, {
          actor: `staff:${staff.id}`,
          action: 'custody.insurance_payout_executed',
          target: `insurance_payout:${id}`,
          details: {
            asset: row.asset,
            amount: formatAmount(row.asset, amount),
            transaction: posted.id,
            approvers: approvals.map((a) => a.staff_id),
          },
          at,
        })
        return present(executed, approvals)
      })
    },
  }
}
export type Insurance = ReturnType<typeof createInsurance>
