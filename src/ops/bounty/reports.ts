/**
 * @module The bug bounty: researchers submit reports without an account (confirmed through a link
 * mailed to them), security staff triage them with a CVSS 4.0 base score computed from the vector,
 * link duplicates, and move them new → triaged → fixed → rewarded → disclosed. A reward is proposed
 * by one staff member and approved by another (four-eyes, also a database constraint).
 */

import type { Updateable } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import { sealReporterEmail } from '../../platform/identity/personal-fields.ts'
import { randomToken, tokenDigest } from '../../platform/identity/tokens.ts'
import type { Mailer } from '../../platform/mail.ts'
import type { BountyStatus, OpsBountyReportsTable } from '../tables.ts'
import { cvss4Score } from './cvss4.ts'

export type BountyDeps = { db: Db; clock: Clock; mailer: Mailer; publicUrl: string }

export type SubmitReportParameters = {
  email: string
  handle: string
  title: string
  description: string
  affected: string
}

const notFound = () => errors.notFound('This report')
const wrongState = (status: BountyStatus, action: string) =>
  new AppError(
    'BOUNTY_WRONG_STATE',
    409,
    `A report that is ${status} cannot be ${action}: follow new → triaged → fixed → rewarded → disclosed.`,
  )

export function createBounty(deps: BountyDeps) {
  const { db, clock, mailer } = deps

  async function find(id: string) {
    const row = await db.selectFrom('ops_bounty_reports').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw notFound()
    return row
  }

  async function transition(
    staffId: string,
    id: string,
    from: BountyStatus[],
    action: string,
    change: Updateable<OpsBountyReportsTable>,
    details: Record<string, unknown> = {},
  ) {
    const report = await find(id)
    if (!from.includes(report.status)) throw wrongState(report.status, action)
    await db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('ops_bounty_reports')
        .set(change)
        .where('id', '=', id)
        .where('status', '=', report.status)
        .executeTakeFirst()
      if (updated.numUpdatedRows !== 1n) throw wrongState(report.status, action)
      await appendAudit(tx, {
        actor: `staff:${staffId}`,
        action: `bounty.report_${action}`,
        target: `bounty:${id}`,
        details,
        at: clock.now(),
      })
    })
    return find(id)
  }

  async function tell(report: { email: string; number: bigint }, subject: string, text: string) {
    await mailer.send({ to: report.email, subject: `[Report #${report.number}] ${subject}`, text })
  }

  return {
    /** A researcher's report; it waits, unconfirmed, until the mailed link is opened. */
    async submit(input: SubmitReportParameters) {
      const token = randomToken()
      const now = clock.now()
      const report = await db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_bounty_reports')
          .values({
            // Sealed with a DATA_KEK (identity/personal-fields.ts); opened again in what is read.
            email: sealReporterEmail(tx, input.email),
            handle: input.handle,
            title: input.title,
            description: input.description,
            affected: input.affected,
            status: 'unconfirmed',
            confirm_token_digest: tokenDigest(token),
            created_at: now,
          })
          .returning(['id', 'number', 'email'])
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: 'anonymous',
          action: 'bounty.report_submitted',
          target: `bounty:${row.id}`,
          details: { handle: input.handle },
          at: now,
        })
        return row
      })
      await tell(
        report,
        'Confirm your security report',
        `Thank you for your report "${input.title}". Confirm it to send it to our security team:\n${deps.publicUrl}/security/report/confirm#${token}\n\nIf you did not send a report, ignore this email.`,
      )
      return { id: report.id }
    },

    /** The mailed link: the report enters the triage queue as `new`. */
    async confirm(token: string) {
      const report = await db
        .selectFrom('ops_bounty_reports')
        .select(['id', 'number', 'status'])
        .where('confirm_token_digest', '=', tokenDigest(token))
        .executeTakeFirst()
      if (report?.status !== 'unconfirmed') {
        throw new AppError(
          'BOUNTY_CONFIRM_TOKEN_INVALID',
          404,
          'This confirmation link is not valid or was used already. Submit the report again if it did not reach us.',
        )
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_bounty_reports')
          .set({ status: 'new', confirmed_at: clock.now(), confirm_token_digest: null })
          .where('id', '=', report.id)
          .execute()
        await appendAudit(tx, {
          actor: 'anonymous',
          action: 'bounty.report_confirmed',
          target: `bounty:${report.id}`,
          at: clock.now(),
        })
      })
      return { number: String(report.number) }
    },

    async list(status: BountyStatus | 'all') {
      return db
        .selectFrom('ops_bounty_reports')
        .selectAll()
        .$if(status !== 'all', (q) => q.where('status', '=', status as BountyStatus))
        .$if(status === 'all', (q) => q.where('status', '<>', 'unconfirmed'))
        .orderBy('created_at', 'desc')
        .limit(500)
        .execute()
    },

    get: find,

    /** Scores the report from its CVSS 4.0 vector; a triaged report may be re-scored. */
    async triage(staffId: string, id: string, vector: string) {
      const score = cvss4Score(vector)
      const report = await transition(
        staffId,
        id,
        ['new', 'triaged'],
        'triaged',
        {
          status: 'triaged',
          cvss_vector: score.vector,
          cvss_score_tenths: Math.round(score.score * 10),
          severity: score.severity,
          triaged_by: staffId,
          triaged_at: clock.now(),
        },
        { vector: score.vector, score: score.score, severity: score.severity },
      )
      await tell(
        report,
        'Your report was triaged',
        `We accepted your report and rate it ${score.score.toFixed(1)} (${score.severity}) with CVSS 4.0:\n${score.vector}`,
      )
      return report
    },

    async markDuplicate(staffId: string, id: string, originalId: string) {
      if (originalId === id) throw errors.invalidInput('A report cannot be a duplicate of itself.')
      const original = await find(originalId).catch(() => {
        throw errors.invalidInput('The original report was not found: give the id of an existing report.')
      })
      const target = original.duplicate_of ?? original.id
      const report = await transition(
        staffId,
        id,
        ['new', 'triaged'],
        'duplicate',
        { status: 'duplicate', duplicate_of: target },
        { of: target },
      )
      await tell(
        report,
        'Your report duplicates an earlier one',
        `Your report describes the same issue as report #${original.number}, reported earlier. Thank you all the same.`,
      )
      return report
    },

    markFixed: (staffId: string, id: string) =>
      transition(staffId, id, ['triaged'], 'fixed', { status: 'fixed', fixed_at: clock.now() }),

    /** First of the four eyes: propose a reward in US cents. */
    proposeReward: (staffId: string, id: string, cents: bigint) =>
      transition(
        staffId,
        id,
        ['fixed'],
        'reward_proposed',
        { reward_cents: cents, reward_proposed_by: staffId, reward_approved_by: null },
        { cents: String(cents) },
      ),

    /** Second of the four eyes: someone other than the proposer approves; the report is rewarded. */
    async approveReward(staffId: string, id: string) {
      const report = await find(id)
      if (report.reward_cents === null || !report.reward_proposed_by) {
        throw new AppError(
          'BOUNTY_NO_REWARD_PROPOSED',
          409,
          'No reward has been proposed for this report yet.',
        )
      }
      if (report.reward_proposed_by === staffId) {
        throw new AppError(
          'BOUNTY_FOUR_EYES',
          403,
          'You proposed this reward: another staff member must approve it.',
        )
      }
      const rewarded = await transition(
        staffId,
        id,
        ['fixed'],
        'rewarded',
        { status: 'rewarded', reward_approved_by: staffId, rewarded_at: clock.now() },
        { cents: report.reward_cents, proposedBy: report.reward_proposed_by },
      )
      await tell(
        rewarded,
        'Your reward was approved',
        `A reward of USD ${formatCents(BigInt(report.reward_cents))} was approved for your report. We will contact you about payment.`,
      )
      return rewarded
    },

    /** Publishes the report with a write-up; it then appears on the public page. */
    disclose: (staffId: string, id: string, disclosure: string) =>
      transition(staffId, id, ['fixed', 'rewarded'], 'disclosed', {
        status: 'disclosed',
        disclosure,
        disclosed_at: clock.now(),
      }),

    /** The public page: researchers by accepted reports, and disclosed reports. */
    async publicView() {
      const fame = await db
        .selectFrom('ops_bounty_reports')
        .select(['handle', db.fn.countAll<string>().as('reports')])
        .where('status', 'in', ['triaged', 'fixed', 'rewarded', 'disclosed'])
        .groupBy('handle')
        .orderBy('reports', 'desc')
        .orderBy('handle')
        .limit(100)
        .execute()
      const disclosed = await db
        .selectFrom('ops_bounty_reports')
        .select([
          'number',
          'handle',
          'title',
          'severity',
          'cvss_score_tenths',
          'cvss_vector',
          'disclosure',
          'disclosed_at',
        ])
        .where('status', '=', 'disclosed')
        .orderBy('disclosed_at', 'desc')
        .limit(100)
        .execute()
      return { fame, disclosed }
    },
  }
}
export type Bounty = ReturnType<typeof createBounty>

/** `12345n` → `"123.45"`. */
export function formatCents(cents: bigint): string {
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`
}
