/**
 * @module The support desk: customers open tickets (with checked attachments) and reply on the web
 * or by email (quoting the ticket's reply token); staff work queues with SLA clocks, assign,
 * answer, keep internal notes the customer never sees, and use macros. Frozen accounts and P2P
 * disputes open a ticket of their own type, linked to the existing records. Every message to a
 * customer goes through the mailer, so it carries their anti-phishing code.
 */
import { type Kysely, sql } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Database, Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import { randomToken, tokenDigest } from '../../platform/identity/tokens.ts'
import type { Mailer } from '../../platform/mail.ts'
import { roleHasPermission } from '../../platform/rbac.ts'
import type { MessageKind, TicketCategory, TicketPriority, TicketStatus, TicketType } from '../tables.ts'
import { type CheckedAttachment, checkAttachment } from './attachments.ts'
import { clockState, type SlaTargets, weeklyAttainment } from './sla.ts'

export type SupportDeps = { db: Db; clock: Clock; mailer: Mailer; sla: SlaTargets; publicUrl: string }

export type OpenTicketParameters = {
  customerId: string
  category: TicketCategory
  subject: string
  body: string
  attachments?: Array<{ fileName: string; contentBase64: string }>
  sourcePage?: string
}

const priorityOf: Record<TicketCategory, TicketPriority> = {
  security: 'high',
  funds: 'high',
  account: 'normal',
  p2p: 'normal',
  other: 'low',
}

const ticketNotFound = () => errors.notFound('This ticket')

export function createSupport(deps: SupportDeps) {
  const { db, clock, mailer } = deps

  async function customerEmail(userId: string): Promise<string> {
    const row = await db
      .selectFrom('users')
      .select('email')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()
    return row.email
  }

  /** Mails the customer about their ticket with a fresh reply token (the latest email's token replies). */
  async function notifyCustomer(ticketId: string, subject: string, text: string): Promise<void> {
    const token = randomToken()
    const ticket = await db
      .updateTable('ops_tickets')
      .set({ reply_token_digest: tokenDigest(token) })
      .where('id', '=', ticketId)
      .returning(['number', 'customer_id'])
      .executeTakeFirstOrThrow()
    await mailer.send({
      to: await customerEmail(ticket.customer_id),
      subject: `[Ticket #${ticket.number}] ${subject}`,
      text: `${text}\n\nSee the ticket: ${deps.publicUrl}/support/tickets/${ticketId}\nTo answer by email, reply to this message keeping this line:\nReply token: ${token}`,
    })
  }

  async function insertTicket(
    executor: Kysely<Database>,
    input: {
      customerId: string
      type: TicketType
      category: TicketCategory
      subject: string
      priority: TicketPriority
      p2pOrderId?: string | null
      sourcePage?: string
    },
  ) {
    const now = clock.now()
    const target = deps.sla[input.priority]
    return executor
      .insertInto('ops_tickets')
      .values({
        customer_id: input.customerId,
        type: input.type,
        category: input.category,
        subject: input.subject,
        priority: input.priority,
        status: 'open',
        p2p_order_id: input.p2pOrderId ?? null,
        alert_id: null,
        source_page: input.sourcePage ?? '',
        reply_token_digest: tokenDigest(randomToken()),
        created_at: now,
        updated_at: now,
        first_response_due_at: new Date(now.getTime() + target.firstResponseHours * 3_600_000),
        resolution_due_at: new Date(now.getTime() + target.resolutionHours * 3_600_000),
      })
      .returning(['id', 'number'])
      .executeTakeFirstOrThrow()
  }

  async function addMessage(
    executor: Kysely<Database>,
    ticketId: string,
    message: { authorId: string | null; kind: MessageKind; via: 'web' | 'email' | 'system'; body: string },
    attachments: CheckedAttachment[] = [],
  ) {
    const row = await executor
      .insertInto('ops_ticket_messages')
      .values({
        ticket_id: ticketId,
        author_id: message.authorId,
        kind: message.kind,
        via: message.via,
        body: message.body,
        at: clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    for (const a of attachments) {
      await executor
        .insertInto('ops_ticket_attachments')
        .values({
          ticket_id: ticketId,
          message_id: row.id,
          file_name: a.fileName,
          content_type: a.contentType,
          size: a.size,
          sha256: a.sha256,
          content: a.content,
        })
        .execute()
    }
    return row.id
  }

  async function findTicket(id: string) {
    const ticket = await db.selectFrom('ops_tickets').selectAll().where('id', '=', id).executeTakeFirst()
    if (!ticket) throw ticketNotFound()
    return ticket
  }

  async function ownTicket(customerId: string, id: string) {
    const ticket = await findTicket(id)
    // Another customer's ticket is a 404, not a 403: its existence is not theirs to learn.
    if (ticket.customer_id !== customerId) throw ticketNotFound()
    return ticket
  }

  async function messagesOf(ticketId: string, includeInternal: boolean) {
    let query = db
      .selectFrom('ops_ticket_messages as m')
      .leftJoin('users as u', 'u.id', 'm.author_id')
      .select(['m.id', 'm.kind', 'm.via', 'm.body', 'm.at', 'u.display_name as author'])
      .where('m.ticket_id', '=', ticketId)
      .orderBy('m.seq')
    if (!includeInternal) query = query.where('m.kind', '<>', 'internal')
    const messages = await query.execute()
    const files = await db
      .selectFrom('ops_ticket_attachments')
      .select(['id', 'message_id', 'file_name', 'content_type', 'size', 'sha256'])
      .where('ticket_id', '=', ticketId)
      .execute()
    return messages.map((m) => ({
      ...m,
      attachments: files.filter((f) => f.message_id === m.id),
    }))
  }

  function slaOf(t: {
    created_at: Date
    first_response_due_at: Date
    first_response_at: Date | null
    resolution_due_at: Date
    resolved_at: Date | null
  }) {
    const now = clock.now()
    return {
      firstResponse: clockState(t.created_at, t.first_response_due_at, t.first_response_at, now),
      resolution: clockState(t.created_at, t.resolution_due_at, t.resolved_at, now),
    }
  }

  return {
    /** A customer opens a ticket; the first message carries the attachments. */
    async open(input: OpenTicketParameters) {
      const checked = (input.attachments ?? []).map((a) => checkAttachment(a.fileName, a.contentBase64))
      const ticket = await db.transaction().execute(async (tx) => {
        const created = await insertTicket(tx, {
          customerId: input.customerId,
          type: 'question',
          category: input.category,
          subject: input.subject,
          priority: priorityOf[input.category],
          ...(input.sourcePage === undefined ? {} : { sourcePage: input.sourcePage }),
        })
        await addMessage(
          tx,
          created.id,
          { authorId: input.customerId, kind: 'customer', via: 'web', body: input.body },
          checked,
        )
        await appendAudit(tx, {
          actor: `user:${input.customerId}`,
          action: 'support.ticket_opened',
          target: `ticket:${created.id}`,
          details: {
            category: input.category,
            attachments: checked.map((a) => ({ sha256: a.sha256, type: a.contentType, size: a.size })),
          },
          at: clock.now(),
        })
        return created
      })
      await notifyCustomer(
        ticket.id,
        'We received your request',
        `We received your request "${input.subject}" and will answer soon.`,
      )
      return ticket
    },

    /**
     * Opens the ticket of a system flow (frozen account, P2P dispute) once: a second call for the
     * same order, or while the customer's frozen-account ticket is open, returns null.
     */
    async openForFlow(input: {
      customerId: string
      type: 'frozen_account' | 'p2p_dispute'
      subject: string
      body: string
      p2pOrderId?: string
    }) {
      const existing = await db
        .selectFrom('ops_tickets')
        .select('id')
        .where('customer_id', '=', input.customerId)
        .where('type', '=', input.type)
        .$if(input.type === 'p2p_dispute', (q) => q.where('p2p_order_id', '=', input.p2pOrderId ?? null))
        .$if(input.type === 'frozen_account', (q) => q.where('status', '<>', 'resolved'))
        .executeTakeFirst()
      if (existing) return null
      const ticket = await db.transaction().execute(async (tx) => {
        const created = await insertTicket(tx, {
          customerId: input.customerId,
          type: input.type,
          category: input.type === 'p2p_dispute' ? 'p2p' : 'security',
          subject: input.subject,
          priority: input.type === 'frozen_account' ? 'urgent' : 'high',
          p2pOrderId: input.p2pOrderId ?? null,
        })
        await addMessage(tx, created.id, { authorId: null, kind: 'system', via: 'system', body: input.body })
        await appendAudit(tx, {
          actor: 'system',
          action: 'support.ticket_opened',
          target: `ticket:${created.id}`,
          details: { type: input.type, ...(input.p2pOrderId ? { order: input.p2pOrderId } : {}) },
          at: clock.now(),
        })
        return created
      })
      await notifyCustomer(
        ticket.id,
        input.subject,
        `${input.body}\n\nOur support team will contact you here.`,
      )
      return ticket
    },

    /** Closes a flow's open ticket when the flow ends (unfrozen account, resolved dispute). */
    async resolveForFlow(input: {
      customerId?: string
      p2pOrderId?: string
      type: TicketType
      note: string
    }) {
      const open = await db
        .selectFrom('ops_tickets')
        .select('id')
        .where('type', '=', input.type)
        .where('status', '<>', 'resolved')
        .$if(input.customerId !== undefined, (q) => q.where('customer_id', '=', input.customerId!))
        .$if(input.p2pOrderId !== undefined, (q) => q.where('p2p_order_id', '=', input.p2pOrderId!))
        .execute()
      for (const t of open) {
        await db.transaction().execute(async (tx) => {
          await addMessage(tx, t.id, { authorId: null, kind: 'system', via: 'system', body: input.note })
          await tx
            .updateTable('ops_tickets')
            .set({ status: 'resolved', resolved_at: clock.now(), updated_at: clock.now() })
            .where('id', '=', t.id)
            .execute()
          await appendAudit(tx, {
            actor: 'system',
            action: 'support.ticket_resolved',
            target: `ticket:${t.id}`,
            details: { type: input.type },
            at: clock.now(),
          })
        })
      }
    },

    async listForCustomer(customerId: string) {
      return db
        .selectFrom('ops_tickets')
        .select([
          'id',
          'number',
          'type',
          'category',
          'subject',
          'status',
          'priority',
          'created_at',
          'updated_at',
        ])
        .where('customer_id', '=', customerId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute()
    },

    async getForCustomer(customerId: string, id: string) {
      const ticket = await ownTicket(customerId, id)
      return { ticket, messages: await messagesOf(id, false) }
    },

    /** A customer's reply, from the web app or an email quoting the reply token. */
    async replyAsCustomer(
      customerId: string,
      id: string,
      body: string,
      via: 'web' | 'email',
      attachments: Array<{ fileName: string; contentBase64: string }> = [],
    ) {
      const ticket = await ownTicket(customerId, id)
      const checked = attachments.map((a) => checkAttachment(a.fileName, a.contentBase64))
      await db.transaction().execute(async (tx) => {
        await addMessage(tx, id, { authorId: customerId, kind: 'customer', via, body }, checked)
        await tx
          .updateTable('ops_tickets')
          .set({ status: 'open', resolved_at: null, updated_at: clock.now() })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `user:${customerId}`,
          action: 'support.customer_replied',
          target: `ticket:${id}`,
          details: { via, reopened: ticket.status === 'resolved', attachments: checked.length },
          at: clock.now(),
        })
      })
    },

    /** Finds the ticket an emailed reply token belongs to; the sender must be its customer. */
    async replyByEmail(input: { token: string; from: string; body: string }) {
      const ticket = await db
        .selectFrom('ops_tickets as t')
        .innerJoin('users as u', 'u.id', 't.customer_id')
        .select(['t.id', 't.customer_id', 'u.email'])
        .where('t.reply_token_digest', '=', tokenDigest(input.token))
        .executeTakeFirst()
      if (!ticket || ticket.email !== input.from.trim().toLowerCase()) {
        throw new AppError(
          'SUPPORT_REPLY_TOKEN_INVALID',
          404,
          'This reply token does not match a ticket of this sender. Reply to the latest email about the ticket, or answer on the ticket page.',
        )
      }
      await this.replyAsCustomer(ticket.customer_id, ticket.id, input.body, 'email')
      return { ticketId: ticket.id }
    },

    async attachment(id: string, ticketId: string, customerId: string | null) {
      if (customerId) await ownTicket(customerId, ticketId)
      const file = await db
        .selectFrom('ops_ticket_attachments')
        .select(['file_name', 'content_type', 'content', 'sha256'])
        .where('id', '=', id)
        .where('ticket_id', '=', ticketId)
        .executeTakeFirst()
      if (!file) throw errors.notFound('This attachment')
      return file
    },

    /** The staff queue: `open` (not resolved), `mine`, `unassigned`, `breached`, or `resolved`. */
    async queue(staffId: string, view: 'open' | 'mine' | 'unassigned' | 'breached' | 'resolved') {
      const rows = await db
        .selectFrom('ops_tickets as t')
        .innerJoin('users as c', 'c.id', 't.customer_id')
        .leftJoin('users as a', 'a.id', 't.assignee_id')
        .select([
          't.id',
          't.number',
          't.type',
          't.category',
          't.subject',
          't.priority',
          't.status',
          't.created_at',
          't.first_response_due_at',
          't.first_response_at',
          't.resolution_due_at',
          't.resolved_at',
          't.assignee_id',
          'c.email as customer_email',
          'a.display_name as assignee_name',
        ])
        .$if(view === 'resolved', (q) => q.where('t.status', '=', 'resolved'))
        .$if(view !== 'resolved', (q) => q.where('t.status', '<>', 'resolved'))
        .$if(view === 'mine', (q) => q.where('t.assignee_id', '=', staffId))
        .$if(view === 'unassigned', (q) => q.where('t.assignee_id', 'is', null))
        .orderBy(sql`case t.priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end`)
        .orderBy('t.created_at')
        .limit(500)
        .execute()
      const withSla = rows.map((r) => ({ ...r, sla: slaOf(r) }))
      return view === 'breached'
        ? withSla.filter((r) => r.sla.firstResponse === 'breached' || r.sla.resolution === 'breached')
        : withSla
    },

    /** A ticket for staff: all messages with internal notes, SLA clocks, and the customer's linked records. */
    async getForStaff(id: string) {
      const ticket = await findTicket(id)
      const customer = await db
        .selectFrom('users')
        .select(['id', 'email', 'display_name', 'status', 'created_at'])
        .where('id', '=', ticket.customer_id)
        .executeTakeFirstOrThrow()
      const alerts = await db
        .selectFrom('security_alerts')
        .select(['id', 'kind', 'at', 'wasnt_me_at'])
        .where('user_id', '=', ticket.customer_id)
        .orderBy('at', 'desc')
        .limit(20)
        .execute()
      const orders = await db
        .selectFrom('p2p_orders')
        .select(['id', 'status', 'asset', 'fiat', 'created_at', 'appealed_at'])
        .where((eb) =>
          eb.or([eb('buyer_id', '=', ticket.customer_id), eb('seller_id', '=', ticket.customer_id)]),
        )
        .orderBy('created_at', 'desc')
        .limit(20)
        .execute()
      const cases = await db
        .selectFrom('risk_cases')
        .select(['id', 'status', 'resolution', 'created_at'])
        .where('account', '=', ticket.customer_id)
        .orderBy('created_at', 'desc')
        .limit(20)
        .execute()
      return {
        ticket,
        sla: slaOf(ticket),
        customer,
        alerts,
        orders,
        cases,
        messages: await messagesOf(id, true),
      }
    },

    /** A staff answer (mailed to the customer; stops the first-response clock) or an internal note. */
    async replyAsStaff(
      staffId: string,
      id: string,
      input: { body: string; internal: boolean; macroId?: string; resolve?: boolean },
    ) {
      const ticket = await findTicket(id)
      let body = input.body
      if (input.macroId) {
        const macro = await db
          .selectFrom('ops_macros')
          .select('body')
          .where('id', '=', input.macroId)
          .executeTakeFirst()
        if (!macro) throw errors.notFound('This macro')
        body = body.trim() === '' ? macro.body : `${macro.body}\n\n${body}`
      }
      if (body.trim() === '') throw errors.invalidInput('Write a message or choose a macro.')
      const now = clock.now()
      await db.transaction().execute(async (tx) => {
        await addMessage(tx, id, {
          authorId: staffId,
          kind: input.internal ? 'internal' : 'staff',
          via: 'web',
          body,
        })
        if (!input.internal) {
          const resolve = input.resolve === true
          await tx
            .updateTable('ops_tickets')
            .set({
              status: resolve ? 'resolved' : 'waiting_customer',
              resolved_at: resolve ? now : null,
              first_response_at: ticket.first_response_at ?? now,
              updated_at: now,
            })
            .where('id', '=', id)
            .execute()
        }
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: input.internal ? 'support.internal_note' : 'support.staff_replied',
          target: `ticket:${id}`,
          details: {
            ...(input.macroId ? { macro: input.macroId } : {}),
            ...(input.resolve ? { resolved: true } : {}),
          },
          at: now,
        })
      })
      if (!input.internal)
        await notifyCustomer(id, `Re: ${ticket.subject}`, `Support answered your ticket:\n\n${body}`)
    },

    async assign(staffId: string, id: string, assigneeId: string | null) {
      await findTicket(id)
      if (assigneeId) {
        const assignee = await db
          .selectFrom('users')
          .select(['kind', 'role', 'status'])
          .where('id', '=', assigneeId)
          .executeTakeFirst()
        if (
          assignee?.kind !== 'staff' ||
          assignee.status !== 'active' ||
          !roleHasPermission(assignee.role, 'support.tickets.handle')
        ) {
          throw new AppError(
            'SUPPORT_ASSIGNEE_INVALID',
            400,
            'Tickets can be assigned only to active support staff.',
          )
        }
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_tickets')
          .set({ assignee_id: assigneeId, updated_at: clock.now() })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'support.ticket_assigned',
          target: `ticket:${id}`,
          details: { assignee: assigneeId },
          at: clock.now(),
        })
      })
    },

    async setState(staffId: string, id: string, input: { status?: TicketStatus; priority?: TicketPriority }) {
      const ticket = await findTicket(id)
      const now = clock.now()
      const priority = input.priority ?? ticket.priority
      const status = input.status ?? ticket.status
      const target = deps.sla[priority]
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('ops_tickets')
          .set({
            status,
            priority,
            resolved_at: status === 'resolved' ? (ticket.resolved_at ?? now) : null,
            // A new priority restarts the targets from the ticket's opening, not from now.
            first_response_due_at: new Date(
              ticket.created_at.getTime() + target.firstResponseHours * 3_600_000,
            ),
            resolution_due_at: new Date(ticket.created_at.getTime() + target.resolutionHours * 3_600_000),
            updated_at: now,
          })
          .where('id', '=', id)
          .execute()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'support.ticket_updated',
          target: `ticket:${id}`,
          details: { from: { status: ticket.status, priority: ticket.priority }, to: { status, priority } },
          at: now,
        })
      })
    },

    async macros() {
      return db.selectFrom('ops_macros').select(['id', 'title', 'body']).orderBy('title').execute()
    },

    async createMacro(staffId: string, title: string, body: string) {
      const exists = await db
        .selectFrom('ops_macros')
        .select('id')
        .where('title', '=', title)
        .executeTakeFirst()
      if (exists)
        throw errors.conflict(
          'SUPPORT_MACRO_EXISTS',
          `A macro named "${title}" exists already: choose another title.`,
        )
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('ops_macros')
          .values({ title, body, created_by: staffId, created_at: clock.now() })
          .returning(['id', 'title', 'body'])
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${staffId}`,
          action: 'support.macro_created',
          target: `macro:${row.id}`,
          details: { title },
          at: clock.now(),
        })
        return row
      })
    },

    /** SLA attainment per week (tickets opened that week whose clock stopped or ran out). */
    async attainment(weeks: number) {
      const since = new Date(clock.now().getTime() - (weeks + 1) * 7 * 86_400_000)
      const tickets = await db
        .selectFrom('ops_tickets')
        .select([
          'created_at',
          'first_response_due_at',
          'first_response_at',
          'resolution_due_at',
          'resolved_at',
        ])
        .where('created_at', '>=', since)
        .execute()
      return weeklyAttainment(tickets, clock.now(), weeks)
    },
  }
}
export type Support = ReturnType<typeof createSupport>
