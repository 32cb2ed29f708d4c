/**
 * @module The Travel Rule thresholds as compliance officers keep them: per jurisdiction an amount
 * and currency, each change a new version with the time it takes effect (never in the past, so the
 * record always says which threshold a withdrawal was checked against). The threshold in force at a
 * time is the latest version effective by then; without one, the configured value
 * (TRAVEL_RULE_THRESHOLDS) is the default. Changes are audit-logged with the value before and after.
 */
import { custodyAssets } from '../custody/assets.ts'
import { appendAudit } from '../platform/audit.ts'
import { AppError } from '../platform/errors.ts'
import type { TravelRuleContext } from './context.ts'
import { canonicalDecimal, type Threshold } from './thresholds.ts'

/** A threshold with where it comes from: the configuration (default) or a staff member's version. */
export type ThresholdInForce = Threshold & {
  source: 'config' | 'staff'
  /** When the staff version took effect; null for the configured default. */
  effectiveFrom: string | null
  changedBy: string | null
}

export type ThresholdVersion = Threshold & {
  effectiveFrom: string
  changedBy: string
  note: string | null
  createdAt: string
}

export type SetThresholdInput = {
  jurisdiction: string
  amount: string
  currency: string
  /** When it takes effect; default now. Not before now. */
  effectiveFrom?: Date
  note?: string
}

/**
 * @example const table = thresholdTable(ctx, { defaults: parseThresholds(config.TRAVEL_RULE_THRESHOLDS), prices })
 * await table.inForce('US', clock.now()) // { jurisdiction: 'US', amount: '3000', currency: 'USD', source: 'config', … }
 */
export function thresholdTable(
  ctx: TravelRuleContext,
  options: { defaults: Map<string, Threshold>; prices: Map<string, string> },
) {
  const { db, clock } = ctx
  const { defaults, prices } = options

  function fromConfig(jurisdiction: string): ThresholdInForce | null {
    const t = defaults.get(jurisdiction)
    return t ? { ...t, source: 'config', effectiveFrom: null, changedBy: null } : null
  }

  async function inForce(jurisdiction: string, at: Date): Promise<ThresholdInForce | null> {
    const row = await db
      .selectFrom('travel_rule_thresholds')
      .select(['jurisdiction', 'amount', 'currency', 'effective_from', 'changed_by'])
      .where('jurisdiction', '=', jurisdiction)
      .where('effective_from', '<=', at)
      .orderBy('effective_from', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (!row) return fromConfig(jurisdiction)
    return {
      jurisdiction: row.jurisdiction,
      amount: row.amount,
      currency: row.currency,
      source: 'staff',
      effectiveFrom: row.effective_from.toISOString(),
      changedBy: row.changed_by,
    }
  }

  return {
    inForce,

    /** Every jurisdiction's threshold in force at `at` (configured ones and staff ones), by code. */
    async allInForce(at: Date): Promise<ThresholdInForce[]> {
      const staff = await db.selectFrom('travel_rule_thresholds').select('jurisdiction').distinct().execute()
      const codes = [...new Set([...defaults.keys(), ...staff.map((r) => r.jurisdiction)])].sort()
      const out: ThresholdInForce[] = []
      for (const code of codes) {
        const t = await inForce(code, at)
        if (t) out.push(t)
      }
      return out
    },

    /** Versions, newest first (including ones that take effect later). */
    async history(limit = 100): Promise<ThresholdVersion[]> {
      const rows = await db
        .selectFrom('travel_rule_thresholds')
        .select(['jurisdiction', 'amount', 'currency', 'effective_from', 'changed_by', 'note', 'created_at'])
        .orderBy('effective_from', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        jurisdiction: r.jurisdiction,
        amount: r.amount,
        currency: r.currency,
        effectiveFrom: r.effective_from.toISOString(),
        changedBy: r.changed_by,
        note: r.note,
        createdAt: r.created_at.toISOString(),
      }))
    },

    /** A compliance officer sets a jurisdiction's threshold from `effectiveFrom` (default now). */
    async set(staffId: string, input: SetThresholdInput): Promise<ThresholdVersion> {
      const now = clock.now()
      const effectiveFrom = input.effectiveFrom ?? now
      if (effectiveFrom.getTime() < now.getTime())
        throw new AppError(
          'TRAVEL_RULE_THRESHOLD_BACKDATED',
          400,
          'A threshold cannot take effect in the past: withdrawals already requested were checked against the one in force then. Leave “effective from” empty for now, or pick a later time.',
          { details: { field: 'effectiveFrom' } },
        )
      const amount = canonicalDecimal(input.amount)
      if (amount === null)
        throw new AppError(
          'TRAVEL_RULE_THRESHOLD_INVALID',
          400,
          'Enter the threshold as a number such as 1000 or 999.99 (up to 15 digits and 8 decimals).',
          { details: { field: 'amount' } },
        )
      const unpriced = custodyAssets.filter((asset) => !prices.has(`${asset}:${input.currency}`))
      if (unpriced.length > 0)
        throw new AppError(
          'TRAVEL_RULE_THRESHOLD_UNPRICED',
          400,
          `No reference price converts ${unpriced.join(', ')} into ${input.currency} (TRAVEL_RULE_PRICES): choose a currency with prices, or ask an operator to add them first.`,
          { details: { field: 'currency' } },
        )
      const before = await inForce(input.jurisdiction, effectiveFrom)
      const row = await db
        .insertInto('travel_rule_thresholds')
        .values({
          jurisdiction: input.jurisdiction,
          amount,
          currency: input.currency,
          effective_from: effectiveFrom,
          changed_by: staffId,
          note: input.note ?? null,
          created_at: now,
        })
        .returning([
          'jurisdiction',
          'amount',
          'currency',
          'effective_from',
          'changed_by',
          'note',
          'created_at',
        ])
        .executeTakeFirstOrThrow()
      const version: ThresholdVersion = {
        jurisdiction: row.jurisdiction,
        amount: row.amount,
        currency: row.currency,
        effectiveFrom: row.effective_from.toISOString(),
        changedBy: row.changed_by,
        note: row.note,
        createdAt: row.created_at.toISOString(),
      }
      await appendAudit(db, {
        actor: `staff:${staffId}`,
        action: 'travel_rule.threshold_changed',
        target: `travel_rule_threshold:${input.jurisdiction}`,
        details: {
          before: before
            ? {
                amount: before.amount,
                currency: before.currency,
                source: before.source,
                effectiveFrom: before.effectiveFrom,
              }
            : null,
          after: { amount, currency: input.currency, effectiveFrom: version.effectiveFrom },
          note: input.note ?? null,
        },
        at: now,
      })
      return version
    },
  }
}
export type ThresholdTable = ReturnType<typeof thresholdTable>
