/**
 * @module The vendor register: third parties that touch Bulwark's data or systems, what data they
 * access, their risk tier and security questionnaire, contract and certification expiry, the next
 * review date, and the compliance officer's approval. Any change sends a vendor back to `pending`;
 * the approver must be someone other than who made the last change (also a database check).
 * Reminders: a contract or certification expiring within REMINDER_DAYS, or a review date passed.
 */
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import type { VendorRiskTier, VendorStatus } from './tables.ts'

export const REMINDER_DAYS = 30
export const dataKinds = [
  'personal',
  'kyc_documents',
  'financial',
  'credentials',
  'infrastructure',
  'none',
] as const
export type DataKind = (typeof dataKinds)[number]

/** The questionnaire every vendor answers (yes/no plus a breach-notice time). */
export type VendorQuestionnaire = {
  encryptsAtRest: boolean
  enforcesMfa: boolean
  hasIncidentResponsePlan: boolean
  usesSubprocessors: boolean
  breachNoticeHours: number
}

export type VendorInput = {
  name: string
  service: string
  dataAccessed: DataKind[]
  riskTier: VendorRiskTier
  questionnaire: VendorQuestionnaire
  certification: string | null
  certificationExpiresOn: string | null
  contractExpiresOn: string
  nextReviewOn: string
}

export type Reminder =
  | 'contract_expiring'
  | 'contract_expired'
  | 'certification_expiring'
  | 'certification_expired'
  | 'review_due'

export type VendorView = VendorInput & {
  id: string
  status: VendorStatus
  decidedBy: string | null
  decidedAt: string | null
  decisionNote: string | null
  changedBy: string
  updatedAt: string
  reminders: Reminder[]
}

const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/** What needs attention on `today` (YYYY-MM-DD). */
export function remindersFor(
  v: { contractExpiresOn: string; certificationExpiresOn: string | null; nextReviewOn: string },
  today: string,
): Reminder[] {
  const soon = addDays(today, REMINDER_DAYS)
  const out: Reminder[] = []
  if (v.contractExpiresOn < today) out.push('contract_expired')
  else if (v.contractExpiresOn <= soon) out.push('contract_expiring')
  if (v.certificationExpiresOn !== null) {
    if (v.certificationExpiresOn < today) out.push('certification_expired')
    else if (v.certificationExpiresOn <= soon) out.push('certification_expiring')
  }
  if (v.nextReviewOn <= today) out.push('review_due')
  return out
}

export function createVendorRegister(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps
  const today = () => clock.now().toISOString().slice(0, 10)

  function present(row: Awaited<ReturnType<typeof findRow>>): VendorView {
    const base = {
      name: row.name,
      service: row.service,
      dataAccessed: row.data_accessed as DataKind[],
      riskTier: row.risk_tier,
      questionnaire: row.questionnaire as VendorQuestionnaire,
      certification: row.certification,
      certificationExpiresOn: row.certification_expires_on,
      contractExpiresOn: row.contract_expires_on,
      nextReviewOn: row.next_review_on,
    }
    return {
      id: row.id,
      ...base,
      status: row.status,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at?.toISOString() ?? null,
      decisionNote: row.decision_note,
      changedBy: row.changed_by,
      updatedAt: row.updated_at.toISOString(),
      reminders: remindersFor(base, today()),
    }
  }

  async function findRow(id: string) {
    const row = await db.selectFrom('compliance_vendors').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw errors.notFound('This vendor')
    return row
  }

  function columns(input: VendorInput) {
    if (input.certification === null && input.certificationExpiresOn !== null) {
      throw new AppError(
        'VENDOR_CERTIFICATION_MISSING',
        400,
        'Name the certification whose expiry date you gave.',
      )
    }
    return {
      name: input.name,
      service: input.service,
      data_accessed: JSON.stringify([...new Set(input.dataAccessed)]),
      risk_tier: input.riskTier,
      questionnaire: JSON.stringify(input.questionnaire),
      certification: input.certification,
      certification_expires_on: input.certificationExpiresOn,
      contract_expires_on: input.contractExpiresOn,
      next_review_on: input.nextReviewOn,
    }
  }

  return {
    async list(): Promise<VendorView[]> {
      const rows = await db.selectFrom('compliance_vendors').selectAll().orderBy('name').execute()
      return rows.map(present)
    },

    async get(id: string): Promise<VendorView> {
      return present(await findRow(id))
    },

    /** Registers a vendor, pending approval. */
    async register(actorId: string, input: VendorInput): Promise<{ id: string }> {
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const taken = await tx
          .selectFrom('compliance_vendors')
          .select('id')
          .where('name', '=', input.name)
          .executeTakeFirst()
        if (taken)
          throw new AppError(
            'VENDOR_EXISTS',
            409,
            `A vendor named ${input.name} is already registered: update it instead.`,
          )
        const row = await tx
          .insertInto('compliance_vendors')
          .values({
            ...columns(input),
            status: 'pending',
            changed_by: actorId,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'vendor.registered',
          target: `vendor:${row.id}`,
          details: { name: input.name, riskTier: input.riskTier, dataAccessed: input.dataAccessed },
        })
        return { id: row.id }
      })
    },

    /** Changes a vendor's record; it goes back to pending until approved again. */
    async update(actorId: string, id: string, input: VendorInput): Promise<void> {
      await findRow(id)
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('compliance_vendors')
          .set({
            ...columns(input),
            status: 'pending',
            decided_by: null,
            decided_at: null,
            decision_note: null,
            changed_by: actorId,
            updated_at: clock.now(),
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'vendor.updated',
          target: `vendor:${id}`,
          details: { riskTier: input.riskTier, dataAccessed: input.dataAccessed },
        })
      })
    },

    /** A compliance officer approves or rejects a pending vendor (not their own change). */
    async decide(
      actorId: string,
      id: string,
      decision: 'approved' | 'rejected',
      note: string,
    ): Promise<void> {
      const row = await findRow(id)
      if (row.status !== 'pending') {
        throw new AppError(
          'VENDOR_NOT_PENDING',
          409,
          `This vendor is already ${row.status}; a change sends it back for approval.`,
        )
      }
      if (row.changed_by === actorId) {
        throw new AppError(
          'VENDOR_SELF_APPROVAL',
          403,
          'You made the last change to this vendor: another compliance officer must approve or reject it.',
        )
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('compliance_vendors')
          .set({ status: decision, decided_by: actorId, decided_at: clock.now(), decision_note: note })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .execute()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: decision === 'approved' ? 'vendor.approved' : 'vendor.rejected',
          target: `vendor:${id}`,
          details: { note },
        })
      })
    },
  }
}

export type VendorRegister = ReturnType<typeof createVendorRegister>
