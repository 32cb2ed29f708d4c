/**
 * @module Support desk HTTP API: customers open, read and answer their tickets (`/api/support/*`),
 * an email-reply endpoint takes a reply quoting the ticket's token, staff work the queues
 * (`/api/staff/support/*`). Frozen accounts and P2P disputes open tickets from the event bus.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { AppError } from '../../platform/errors.ts'
import { requireCustomer, requireStaff } from '../../platform/http/auth.ts'
import { ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_MESSAGE } from './attachments.ts'
import type { Support } from './tickets.ts'

const tags = ['support']
const id = z.uuid()
const idParams = z.object({ id })
const categories = ['account', 'funds', 'p2p', 'security', 'other'] as const
const BASE64_MAX = Math.ceil(((ATTACHMENT_MAX_BYTES + 1024 * 1024) * 4) / 3)
const attachmentsSchema = z
  .array(
    z.object({
      fileName: z.string().min(1).max(120),
      // Room above the 5 MB limit, so a file slightly too large gets ATTACHMENT_TOO_LARGE with its name.
      contentBase64: z.string().max(BASE64_MAX),
    }),
  )
  .max(ATTACHMENTS_PER_MESSAGE)
  .default([])
/** Two files in base64 plus the text. */
const UPLOAD_BODY_LIMIT = ATTACHMENTS_PER_MESSAGE * BASE64_MAX + 64 * 1024

const attachmentView = z.object({
  id: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number(),
  sha256: z.string(),
})
const messageView = z.object({
  id: z.string(),
  kind: z.enum(['customer', 'staff', 'internal', 'system']),
  via: z.string(),
  author: z.string().nullable(),
  body: z.string(),
  at: z.string(),
  attachments: z.array(attachmentView),
})
const clockState = z.enum(['running', 'at_risk', 'met', 'breached'])
const ticketSummary = z.object({
  id: z.string(),
  number: z.string(),
  type: z.string(),
  category: z.string(),
  subject: z.string(),
  status: z.string(),
  priority: z.string(),
  createdAt: z.string(),
})

type MessageRow = Awaited<ReturnType<Support['getForCustomer']>>['messages'][number]
const presentMessage = (m: MessageRow) => ({
  id: m.id,
  kind: m.kind,
  via: m.via,
  author: m.kind === 'system' ? 'Bulwark' : m.author,
  body: m.body,
  at: m.at.toISOString(),
  attachments: m.attachments.map((a) => ({
    id: a.id,
    fileName: a.file_name,
    contentType: a.content_type,
    size: a.size,
    sha256: a.sha256,
  })),
})
const presentSummary = (t: {
  id: string
  number: bigint
  type: string
  category: string
  subject: string
  status: string
  priority: string
  created_at: Date
}) => ({
  id: t.id,
  number: String(t.number),
  type: t.type,
  category: t.category,
  subject: t.subject,
  status: t.status,
  priority: t.priority,
  createdAt: t.created_at.toISOString(),
})

export async function supportRoutes(base: FastifyInstance, deps: DomainDeps & { support: Support }) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const { support } = deps

  app.post(
    '/api/support/tickets',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      preHandler: requireCustomer,
      config: { allowFrozen: true, multilineFields: ['body'] },
      schema: {
        tags,
        summary:
          'Open a support ticket (attachments: PNG, JPEG, PDF or text, checked by content, at most 5 MB each)',
        body: z.object({
          category: z.enum(categories),
          subject: z.string().trim().min(3).max(200),
          body: z.string().trim().min(1).max(10000),
          sourcePage: z.string().max(200).default(''),
          attachments: attachmentsSchema,
        }),
        response: { 201: z.object({ id: z.string(), number: z.string() }) },
      },
    },
    async (request, reply) => {
      const ticket = await support.open({ customerId: request.user!.id, ...request.body })
      return reply.code(201).send({ id: ticket.id, number: String(ticket.number) })
    },
  )

  app.get(
    '/api/support/tickets',
    {
      preHandler: requireCustomer,
      config: { allowFrozen: true },
      schema: {
        tags,
        summary: 'My support tickets',
        response: { 200: z.object({ tickets: z.array(ticketSummary) }) },
      },
    },
    async (request) => ({ tickets: (await support.listForCustomer(request.user!.id)).map(presentSummary) }),
  )

  app.get(
    '/api/support/tickets/:id',
    {
      preHandler: requireCustomer,
      config: { allowFrozen: true },
      schema: {
        tags,
        summary: 'One of my tickets with its conversation (internal staff notes are never included)',
        params: idParams,
        response: { 200: z.object({ ticket: ticketSummary, messages: z.array(messageView) }) },
      },
    },
    async (request) => {
      const { ticket, messages } = await support.getForCustomer(request.user!.id, request.params.id)
      return { ticket: presentSummary(ticket), messages: messages.map(presentMessage) }
    },
  )

  app.post(
    '/api/support/tickets/:id/replies',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      preHandler: requireCustomer,
      config: { allowFrozen: true, multilineFields: ['body'] },
      schema: {
        tags,
        summary: 'Answer on one of my tickets (reopens a resolved one)',
        params: idParams,
        body: z.object({ body: z.string().trim().min(1).max(10000), attachments: attachmentsSchema }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      await support.replyAsCustomer(
        request.user!.id,
        request.params.id,
        request.body.body,
        'web',
        request.body.attachments,
      )
      return { ok: true as const }
    },
  )

  app.get(
    '/api/support/tickets/:id/attachments/:attachmentId',
    {
      preHandler: requireCustomer,
      config: { allowFrozen: true },
      schema: {
        tags,
        summary: 'Download an attachment of one of my tickets',
        params: z.object({ id, attachmentId: id }),
      },
    },
    async (request, reply) =>
      sendFile(
        reply,
        await support.attachment(request.params.attachmentId, request.params.id, request.user!.id),
      ),
  )

  app.post(
    '/api/support/email-replies',
    {
      config: {
        rateLimit: { max: deps.config.OPS_PUBLIC_RATE_LIMIT_MAX, timeWindow: '1 minute' },
        multilineFields: ['text'],
      },
      schema: {
        tags,
        summary:
          'Inbound email: a customer’s reply quoting the ticket’s reply token (the mail server’s hook calls this)',
        body: z.object({
          from: z.email().max(254),
          text: z.string().min(1).max(20000),
        }),
        response: { 200: z.object({ ticketId: z.string() }) },
      },
    },
    async (request) => {
      const { token, body } = parseEmailReply(request.body.text)
      return support.replyByEmail({ token, from: request.body.from, body })
    },
  )

  // Staff
  const queueRow = ticketSummary.extend({
    customerEmail: z.string(),
    assignee: z.string().nullable(),
    assigneeId: z.string().nullable(),
    firstResponseDueAt: z.string(),
    resolutionDueAt: z.string(),
    sla: z.object({ firstResponse: clockState, resolution: clockState }),
  })

  app.get(
    '/api/staff/support/tickets',
    {
      preHandler: requireStaff('support.tickets.read'),
      schema: {
        tags,
        summary: 'The support queue with SLA clocks (at_risk = breach warning)',
        querystring: z.object({
          view: z.enum(['open', 'mine', 'unassigned', 'breached', 'resolved']).default('open'),
        }),
        response: { 200: z.object({ tickets: z.array(queueRow) }) },
      },
    },
    async (request) => ({
      tickets: (await support.queue(request.user!.id, request.query.view)).map((t) => ({
        ...presentSummary(t),
        customerEmail: t.customer_email,
        assignee: t.assignee_name,
        assigneeId: t.assignee_id,
        firstResponseDueAt: t.first_response_due_at.toISOString(),
        resolutionDueAt: t.resolution_due_at.toISOString(),
        sla: t.sla,
      })),
    }),
  )

  app.get(
    '/api/staff/support/tickets/:id',
    {
      preHandler: requireStaff('support.tickets.read'),
      schema: {
        tags,
        summary:
          'A ticket with internal notes, SLA clocks, and the customer’s account, alerts, P2P orders and risk cases',
        params: idParams,
        response: {
          200: z.object({
            ticket: queueRow
              .omit({ customerEmail: true, assignee: true })
              .extend({ p2pOrderId: z.string().nullable(), sourcePage: z.string() }),
            customer: z.object({
              id: z.string(),
              email: z.string(),
              displayName: z.string(),
              status: z.string(),
              createdAt: z.string(),
            }),
            alerts: z.array(
              z.object({ id: z.string(), kind: z.string(), at: z.string(), wasntMe: z.boolean() }),
            ),
            orders: z.array(
              z.object({
                id: z.string(),
                status: z.string(),
                asset: z.string(),
                fiat: z.string(),
                createdAt: z.string(),
                disputed: z.boolean(),
              }),
            ),
            cases: z.array(
              z.object({
                id: z.string(),
                status: z.string(),
                resolution: z.string().nullable(),
                createdAt: z.string(),
              }),
            ),
            messages: z.array(messageView),
          }),
        },
      },
    },
    async (request) => {
      const t = await support.getForStaff(request.params.id)
      return {
        ticket: {
          ...presentSummary(t.ticket),
          assigneeId: t.ticket.assignee_id,
          firstResponseDueAt: t.ticket.first_response_due_at.toISOString(),
          resolutionDueAt: t.ticket.resolution_due_at.toISOString(),
          sla: t.sla,
          p2pOrderId: t.ticket.p2p_order_id,
          sourcePage: t.ticket.source_page,
        },
        customer: {
          id: t.customer.id,
          email: t.customer.email,
          displayName: t.customer.display_name,
          status: t.customer.status,
          createdAt: t.customer.created_at.toISOString(),
        },
        alerts: t.alerts.map((a) => ({
          id: a.id,
          kind: a.kind,
          at: a.at.toISOString(),
          wasntMe: a.wasnt_me_at !== null,
        })),
        orders: t.orders.map((o) => ({
          id: o.id,
          status: o.status,
          asset: o.asset,
          fiat: o.fiat,
          createdAt: o.created_at.toISOString(),
          disputed: o.appealed_at !== null,
        })),
        cases: t.cases.map((c) => ({
          id: c.id,
          status: c.status,
          resolution: c.resolution,
          createdAt: c.created_at.toISOString(),
        })),
        messages: t.messages.map(presentMessage),
      }
    },
  )

  app.get(
    '/api/staff/support/tickets/:id/attachments/:attachmentId',
    {
      preHandler: requireStaff('support.tickets.read'),
      schema: { tags, summary: 'Download a ticket attachment', params: z.object({ id, attachmentId: id }) },
    },
    async (request, reply) =>
      sendFile(reply, await support.attachment(request.params.attachmentId, request.params.id, null)),
  )

  app.post(
    '/api/staff/support/tickets/:id/replies',
    {
      preHandler: requireStaff('support.tickets.handle'),
      config: { multilineFields: ['body'] },
      schema: {
        tags,
        summary: 'Answer the customer (mailed, with their anti-phishing code) or add an internal note',
        params: idParams,
        body: z.object({
          body: z.string().max(10000).default(''),
          internal: z.boolean().default(false),
          macroId: id.optional(),
          resolve: z.boolean().default(false),
        }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      const { macroId, ...rest } = request.body
      await support.replyAsStaff(request.user!.id, request.params.id, {
        ...rest,
        ...(macroId ? { macroId } : {}),
      })
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/support/tickets/:id/assign',
    {
      preHandler: requireStaff('support.tickets.handle'),
      schema: {
        tags,
        summary: 'Assign a ticket to a support staff member (null: unassign)',
        params: idParams,
        body: z.object({ assigneeId: id.nullable() }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      await support.assign(request.user!.id, request.params.id, request.body.assigneeId)
      return { ok: true as const }
    },
  )

  app.post(
    '/api/staff/support/tickets/:id/state',
    {
      preHandler: requireStaff('support.tickets.handle'),
      schema: {
        tags,
        summary: 'Change a ticket’s status or priority (the SLA targets follow the priority)',
        params: idParams,
        body: z
          .object({
            status: z.enum(['open', 'waiting_customer', 'resolved']).optional(),
            priority: z.enum(['urgent', 'high', 'normal', 'low']).optional(),
          })
          .refine((b) => b.status !== undefined || b.priority !== undefined, {
            message: 'Give a status or a priority.',
          }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (request) => {
      const { status, priority } = request.body
      await support.setState(request.user!.id, request.params.id, {
        ...(status ? { status } : {}),
        ...(priority ? { priority } : {}),
      })
      return { ok: true as const }
    },
  )

  const macroView = z.object({ id: z.string(), title: z.string(), body: z.string() })
  app.get(
    '/api/staff/support/macros',
    {
      preHandler: requireStaff('support.tickets.read'),
      schema: {
        tags,
        summary: 'Macros (canned replies)',
        response: { 200: z.object({ macros: z.array(macroView) }) },
      },
    },
    async () => ({ macros: await support.macros() }),
  )

  app.post(
    '/api/staff/support/macros',
    {
      preHandler: requireStaff('support.macros.manage'),
      config: { multilineFields: ['body'] },
      schema: {
        tags,
        summary: 'Write a macro',
        body: z.object({
          title: z.string().trim().min(1).max(100),
          body: z.string().trim().min(1).max(5000),
        }),
        response: { 201: macroView },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await support.createMacro(request.user!.id, request.body.title, request.body.body)),
  )

  app.get(
    '/api/staff/support/sla',
    {
      preHandler: requireStaff('support.tickets.read'),
      schema: {
        tags,
        summary: 'SLA attainment per week: first responses and resolutions within target',
        querystring: z.object({ weeks: z.coerce.number().int().min(1).max(52).default(8) }),
        response: {
          200: z.object({
            weeks: z.array(
              z.object({
                week: z.string(),
                tickets: z.number(),
                firstResponseMet: z.number(),
                firstResponseDecided: z.number(),
                resolutionMet: z.number(),
                resolutionDecided: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ weeks: await support.attainment(request.query.weeks) }),
  )
}

function sendFile(
  reply: FastifyReply,
  file: { file_name: string; content_type: string; content: Uint8Array; sha256: string },
) {
  // Text is sent with its charset (ASVS 4.1.1), so a browser never guesses one.
  const type = file.content_type === 'text/plain' ? 'text/plain; charset=utf-8' : file.content_type
  reply.header('content-type', type)
  reply.header('content-disposition', `attachment; filename="${file.file_name.replace(/"/g, '')}"`)
  reply.header('x-content-type-options', 'nosniff')
  reply.header('x-sha256', file.sha256)
  return reply.send(Buffer.from(file.content))
}

/**
 * The reply token and the new text of an emailed reply: the token line the notification carried
 * (`Reply token: …`), and the text above the first quoted line (`>`) or the "On … wrote:" line.
 */
export function parseEmailReply(text: string): { token: string; body: string } {
  const token = /Reply token: ([A-Za-z0-9_-]{43})/.exec(text)?.[1]
  if (!token) {
    throw new AppError(
      'SUPPORT_REPLY_TOKEN_MISSING',
      400,
      'The email has no "Reply token:" line: reply to the latest email about your ticket and keep that line.',
    )
  }
  const lines = text.split(/\r?\n/)
  const end = lines.findIndex(
    (l) => l.startsWith('>') || /^On .+ wrote:$/.test(l.trim()) || l.includes('Reply token:'),
  )
  const body = (end < 0 ? lines : lines.slice(0, end)).join('\n').trim()
  return { token, body: body === '' ? '(empty reply)' : body.slice(0, 10000) }
}
