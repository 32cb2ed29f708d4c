/**
 * @module The mail outbox (installs without SMTP_URL): staff with mail.outbox.read always read it;
 * anyone reads it only on a demo install, which the database decides (platform/settings.ts), never
 * the environment alone. On any other install the public route answers 403 OUTBOX_STAFF_ONLY.
 */
import { z } from 'zod'
import { AppError, errors } from '../../platform/errors.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import { mailOutboxAccess } from '../../platform/settings.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function outboxRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps, config } = ctx
  const outboxSchema = z.object({
    messages: z.array(
      z.object({ id: z.uuid(), to: z.string(), subject: z.string(), text: z.string(), sentAt: z.string() }),
    ),
  })
  async function outbox(to: string | undefined) {
    let q = deps.db.selectFrom('mail_outbox').selectAll().orderBy('sent_at', 'desc').limit(100)
    if (to) q = q.where('to_address', '=', to.trim().toLowerCase())
    const rows = await q.execute()
    return {
      messages: rows.map((r) => ({
        id: r.id,
        to: r.to_address,
        subject: r.subject,
        text: r.text_body,
        sentAt: r.sent_at.toISOString(),
      })),
    }
  }
  app.get(
    '/api/staff/mail/outbox',
    {
      preHandler: requireStaff('mail.outbox.read'),
      schema: {
        tags: ['mail'],
        summary: 'Mail written to the outbox (no SMTP_URL)',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: outboxSchema },
      },
    },
    async (request) => outbox(request.query.to),
  )
  app.get(
    '/api/mail/outbox',
    {
      schema: {
        tags: ['mail'],
        summary: 'Demo installs only (database created by the demo seed, no SMTP_URL): the mail outbox',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: outboxSchema },
      },
    },
    async (request) => {
      const access = await mailOutboxAccess(deps.db, config)
      if (access === 'none') throw errors.notFound('The mail outbox (mail goes out through SMTP_URL)')
      if (access === 'staff') {
        throw new AppError(
          'OUTBOX_STAFF_ONLY',
          403,
          'This is not a demo install, so its mail outbox is not public. Staff with the mail.outbox.read permission read it at /staff/outbox.',
        )
      }
      return outbox(request.query.to)
    },
  )
}
