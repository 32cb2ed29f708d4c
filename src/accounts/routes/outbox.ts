import { z } from 'zod'
import { errors } from '../../platform/errors.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function outboxRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps, demoOutbox } = ctx
  // --- Mail outbox: staff always; anyone on a demo install without SMTP. ---
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
        summary: 'Demo installs only (SEED_DEMO and no SMTP_URL): the mail outbox',
        querystring: z.object({ to: z.string().max(254).optional() }),
        response: { 200: outboxSchema },
      },
    },
    async (request) => {
      if (!demoOutbox) throw errors.notFound('The demo outbox')
      return outbox(request.query.to)
    },
  )
}
