/**
 * @module Phishing drills: a simulated phishing email sent to chosen staff through the real mailer
 * (so it carries the anti-phishing code line and reaches the real mail server), marked with the
 * header `X-Bulwark-Drill: <drill id>` for the mail server's logs. Each recipient gets their own
 * random token (stored only as its SHA-256) in two links to web pages: the lure
 * (`/training/drill/clicked#<token>`, a page that teaches what gave the email away) and "report
 * phishing" (`/training/drill/reported#<token>`, a thank-you page). The token rides in the URL
 * fragment, so it reaches neither server logs nor Referer headers; the page posts it to record
 * the click or report. Both work without signing in, as a real lure would.
 */
import { createHash, randomBytes } from 'node:crypto'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import type { Mailer } from '../../platform/mail.ts'

export const DRILL_HEADER = 'X-Bulwark-Drill'

export type DrillDeps = { db: Db; clock: Clock; mailer: Mailer; publicUrl: string }

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

/**
 * @example const drills = createDrills({ db, clock, mailer, publicUrl })
 *          await drills.send(adminId, { subject: 'Your mailbox is full', staffIds: [id] })
 */
export function createDrills({ db, clock, mailer, publicUrl }: DrillDeps) {
  return {
    async send(actorId: string, input: { subject: string; staffIds: string[] }) {
      const ids = [...new Set(input.staffIds)]
      const staff = await db
        .selectFrom('users')
        .select(['id', 'email', 'display_name'])
        .where('kind', '=', 'staff')
        .where('status', '=', 'active')
        .where('id', 'in', ids)
        .execute()
      if (staff.length !== ids.length) {
        throw new AppError(
          'TRAINING_DRILL_TARGET_INVALID',
          400,
          'Every drill recipient must be an active staff member; reload the staff list and choose again.',
        )
      }
      const tokens = new Map(staff.map((s) => [s.id, randomBytes(32).toString('base64url')]))
      const drill = await db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_training_drills')
          .values({ subject: input.subject, created_by: actorId, created_at: clock.now() })
          .returning('id')
          .executeTakeFirstOrThrow()
        await tx
          .insertInto('ops_training_drill_targets')
          .values(
            staff.map((s) => ({ drill_id: row.id, staff_id: s.id, token_hash: hash(tokens.get(s.id)!) })),
          )
          .execute()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'training.drill_sent',
          target: `training_drill:${row.id}`,
          details: { subject: input.subject, recipients: staff.map((s) => s.id) },
        })
        return row
      })
      // Mail is sent after the transaction: no network calls inside it.
      for (const s of staff) {
        const token = tokens.get(s.id)!
        await mailer.send({
          to: s.email,
          subject: input.subject,
          text: [
            `Hello ${s.display_name},`,
            '',
            'Please review the document shared with you before the end of the day:',
            `${publicUrl}/training/drill/clicked#${token}`,
            '',
            `Does this look like phishing? Report it: ${publicUrl}/training/drill/reported#${token}`,
          ].join('\n'),
          headers: { [DRILL_HEADER]: drill.id },
        })
      }
      return { id: drill.id, recipients: staff.length }
    },

    /** Records a click (first one counts) on the tracked link; unknown tokens are 404. */
    async record(kind: 'clicked' | 'reported', token: string) {
      const column = kind === 'clicked' ? 'clicked_at' : 'reported_at'
      const target = await db
        .selectFrom('ops_training_drill_targets')
        .select(['drill_id', 'staff_id'])
        .where('token_hash', '=', hash(token))
        .executeTakeFirst()
      if (!target) throw errors.notFound('Drill link')
      await db.transaction().execute(async (tx) => {
        // Only the first click (or report) counts: the update matches only while the mark is unset.
        const first = await tx
          .updateTable('ops_training_drill_targets')
          .set({ [column]: clock.now() })
          .where('drill_id', '=', target.drill_id)
          .where('staff_id', '=', target.staff_id)
          .where(column, 'is', null)
          .returning('staff_id')
          .executeTakeFirst()
        if (!first) return
        await appendAudit(tx, {
          actor: `staff:${target.staff_id}`,
          action: `training.drill_${kind}`,
          target: `training_drill:${target.drill_id}`,
          details: {},
        })
      })
    },

    async results(drillId: string) {
      const drill = await db
        .selectFrom('ops_training_drills')
        .select(['id', 'subject', 'created_at'])
        .where('id', '=', drillId)
        .executeTakeFirst()
      if (!drill) throw errors.notFound('Drill')
      const targets = await db
        .selectFrom('ops_training_drill_targets as t')
        .innerJoin('users as u', 'u.id', 't.staff_id')
        .select(['u.id', 'u.display_name', 'u.role', 't.clicked_at', 't.reported_at'])
        .where('t.drill_id', '=', drillId)
        .execute()
      // Sorted here: with a DATA_KEK the stored names are sealed, so SQL cannot order them.
      targets.sort((a, b) => a.display_name.localeCompare(b.display_name))
      return {
        id: drill.id,
        subject: drill.subject,
        sentAt: drill.created_at.toISOString(),
        recipients: targets.map((t) => ({
          staffId: t.id,
          name: t.display_name,
          role: t.role ?? '',
          clickedAt: t.clicked_at?.toISOString() ?? null,
          reportedAt: t.reported_at?.toISOString() ?? null,
        })),
      }
    },
  }
}
