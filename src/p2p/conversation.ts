/**
 * @module What the two parties of an order say to each other: the seller's payment details per
 * method (kept in their profile, shown only to the buyer of an open order) and the order chat
 * (text only, rate-limited, visible to the two parties and to support once the order is disputed).
 * Messages from the platform carry the reader's own anti-phishing code, so a "platform" message
 * typed by the other party is recognisable as fake.
 */

import type { Selectable } from 'kysely'
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import { paymentMethods } from './ads.ts'
import type { P2pDeps } from './deps.ts'
import type { P2pOrdersTable } from './tables.ts'

type OrderRow = Selectable<P2pOrdersTable>

export const CHAT_MESSAGE_MAX = 1000
/** Messages one party may send on one order per minute. */
export const CHAT_MESSAGES_PER_MINUTE = 10
const OPEN_STATUSES = new Set(['pending_payment', 'paid'])

export type PaymentDetailsInput = {
  method: string
  holder: string
  account: string
  note?: string | undefined
}
export type PaymentDetails = {
  method: string
  holder: string
  account: string
  note: string
  updatedAt: string
}

export type ChatMessage = {
  id: string
  at: string
  from: 'buyer' | 'seller' | 'platform'
  author: string
  text: string
  /** On platform messages: the reader's own anti-phishing code (null when they have not set one). */
  antiPhishingCode: string | null
}

/** ISO 13616 check: country, check digits, then mod 97 of the rearranged number is 1. */
export function isIban(value: string): boolean {
  const iban = value.replace(/\s+/g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  let rest = 0
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97
  return rest === 1
}

function normaliseDetails(input: PaymentDetailsInput): Omit<PaymentDetails, 'updatedAt'> {
  if (!(paymentMethods as readonly string[]).includes(input.method))
    throw errors.invalidInput(`Unknown payment method ${input.method}.`, { field: 'method' })
  const holder = input.holder.trim()
  let account = input.account.trim()
  if (!holder) throw errors.invalidInput('Enter the name on the account.', { field: 'holder' })
  if (!account) throw errors.invalidInput('Enter where the buyer pays to.', { field: 'account' })
  if (input.method === 'SEPA' || input.method === 'SEPA Instant') {
    if (!isIban(account))
      throw errors.invalidInput('Enter a valid IBAN, like DE89 3704 0044 0532 0130 00.', { field: 'account' })
    account = account.replace(/\s+/g, '').toUpperCase()
  }
  return { method: input.method, holder, account, note: (input.note ?? '').trim() }
}

/** The anti-phishing code account protection keeps for a customer (null when none is set). */
export function antiPhishingCodeLookup(db: P2pDeps['db']) {
  return async (userId: string): Promise<string | null> =>
    (
      await db
        .selectFrom('account_security')
        .select('anti_phishing_code')
        .where('user_id', '=', userId)
        .executeTakeFirst()
    )?.anti_phishing_code ?? null
}

/** The payment details and chat service. `antiPhishingCodeFor` comes from account protection. */
export function createConversation(
  deps: Pick<P2pDeps, 'db' | 'clock'> & { antiPhishingCodeFor: (userId: string) => Promise<string | null> },
) {
  const { db, clock } = deps

  async function order(orderId: string): Promise<OrderRow> {
    const row = await db.selectFrom('p2p_orders').selectAll().where('id', '=', orderId).executeTakeFirst()
    if (!row) throw errors.notFound('The order')
    return row
  }

  /** A party's view; anyone else, or staff when the order is not disputed, gets "not found". */
  async function readable(orderId: string, viewer: { id: string; staff: boolean }) {
    const row = await order(orderId)
    const party = row.buyer_id === viewer.id || row.seller_id === viewer.id
    if (!party && !(viewer.staff && row.appealed_at !== null)) throw errors.notFound('The order')
    return row
  }

  return {
    async myDetails(userId: string): Promise<PaymentDetails[]> {
      const rows = await db
        .selectFrom('p2p_payment_details')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('method')
        .execute()
      return rows.map((r) => ({
        method: r.method,
        holder: r.holder,
        account: r.account,
        note: r.note,
        updatedAt: r.updated_at.toISOString(),
      }))
    },

    /** Adds or replaces the details for one method (audit-logged: where money is sent changed). */
    async saveDetails(userId: string, input: PaymentDetailsInput): Promise<void> {
      const d = normaliseDetails(input)
      const now = clock.now()
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('p2p_payment_details')
          .values({ user_id: userId, ...d, updated_at: now })
          .onConflict((oc) =>
            oc
              .columns(['user_id', 'method'])
              .doUpdateSet({ holder: d.holder, account: d.account, note: d.note, updated_at: now }),
          )
          .execute()
        await appendAudit(tx, {
          actor: `user:${userId}`,
          action: 'p2p.payment_details_saved',
          target: `user:${userId}`,
          details: { method: d.method },
          at: now,
        })
      })
    },

    async removeDetails(userId: string, method: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const gone = await tx
          .deleteFrom('p2p_payment_details')
          .where('user_id', '=', userId)
          .where('method', '=', method)
          .executeTakeFirst()
        if (gone.numDeletedRows === 0n) throw errors.notFound('Those payment details')
        await appendAudit(tx, {
          actor: `user:${userId}`,
          action: 'p2p.payment_details_removed',
          target: `user:${userId}`,
          details: { method },
          at: clock.now(),
        })
      })
    },

    /**
     * Where the buyer of an open order pays: the seller's details for the order's methods. Anyone
     * else (the seller included), or once the order is closed, gets "not found".
     */
    async detailsForBuyer(userId: string, orderId: string): Promise<PaymentDetails[]> {
      const row = await order(orderId)
      if (row.buyer_id !== userId || !OPEN_STATUSES.has(row.status)) throw errors.notFound('The order')
      const methods = row.terms.paymentMethods
      const all = await db
        .selectFrom('p2p_payment_details')
        .selectAll()
        .where('user_id', '=', row.seller_id)
        .execute()
      return all
        .filter((r) => methods.includes(r.method))
        .map((r) => ({
          method: r.method,
          holder: r.holder,
          account: r.account,
          note: r.note,
          updatedAt: r.updated_at.toISOString(),
        }))
    },

    /** The chat, oldest first, as `viewer` reads it. */
    async messages(orderId: string, viewer: { id: string; staff: boolean }): Promise<ChatMessage[]> {
      const row = await readable(orderId, viewer)
      const rows = await db
        .selectFrom('p2p_order_messages')
        .leftJoin('users', 'users.id', 'p2p_order_messages.author_id')
        .select([
          'p2p_order_messages.id',
          'p2p_order_messages.author_id',
          'p2p_order_messages.body',
          'p2p_order_messages.at',
          'users.display_name',
        ])
        .where('p2p_order_messages.order_id', '=', orderId)
        .orderBy('p2p_order_messages.id')
        .limit(500)
        .execute()
      const code = viewer.staff ? null : await deps.antiPhishingCodeFor(viewer.id)
      return rows.map((m) => {
        const from = m.author_id === null ? 'platform' : m.author_id === row.buyer_id ? 'buyer' : 'seller'
        return {
          id: String(m.id),
          at: m.at.toISOString(),
          from,
          author: from === 'platform' ? 'Bulwark' : (m.display_name ?? ''),
          text: m.body,
          antiPhishingCode: from === 'platform' ? code : null,
        }
      })
    },

    /** A party writes on an open order (or one under appeal); at most 10 messages a minute. */
    async send(userId: string, orderId: string, text: string): Promise<void> {
      const row = await order(orderId)
      if (row.buyer_id !== userId && row.seller_id !== userId) throw errors.notFound('The order')
      if (!OPEN_STATUSES.has(row.status))
        throw new AppError('P2P_CHAT_CLOSED', 409, 'This order is closed: its chat is read-only now.')
      const body = text.trim()
      if (!body || body.length > CHAT_MESSAGE_MAX)
        throw errors.invalidInput(`Write a message of 1 to ${CHAT_MESSAGE_MAX} characters.`, {
          field: 'text',
        })
      const now = clock.now()
      const recent = await db
        .selectFrom('p2p_order_messages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('order_id', '=', orderId)
        .where('author_id', '=', userId)
        .where('at', '>', new Date(now.getTime() - 60_000))
        .executeTakeFirstOrThrow()
      if (Number(recent.n) >= CHAT_MESSAGES_PER_MINUTE)
        throw new AppError('P2P_CHAT_TOO_FAST', 429, 'You are sending messages too fast. Wait a minute.')
      await db
        .insertInto('p2p_order_messages')
        .values({ order_id: orderId, author_id: userId, event: null, body, at: now })
        .execute()
    },

    /** Records what happened on the order as a platform message, once per event. */
    async platformMessage(orderId: string, event: string): Promise<void> {
      const row = await order(orderId)
      const body = platformText(row, event)
      if (!body) return
      await db
        .insertInto('p2p_order_messages')
        .values({ order_id: orderId, author_id: null, event, body, at: clock.now() })
        .onConflict((oc) => oc.columns(['order_id', 'event']).doNothing())
        .execute()
    },
  }
}
export type Conversation = ReturnType<typeof createConversation>

function platformText(row: OrderRow, event: string): string | null {
  const methods = row.terms.paymentMethods.join(' or ')
  switch (event) {
    case 'placed':
      return `Order placed. The seller's crypto is in escrow. The buyer pays by ${methods} only, to the details shown on this order, then presses "I have paid". Never pay by another method or to details sent in this chat, and never release before the money is in your account.`
    case 'paid':
      return 'The buyer says they have paid. Seller: check your account, then release; if the money is not there, do not release.'
    case 'released':
      return 'The escrow was released to the buyer. The order is complete.'
    case 'cancelled':
      return 'The buyer cancelled the order; the escrow went back to the seller.'
    case 'refunded':
      return 'Support refunded the escrow to the seller. The order is closed.'
    case 'expired':
      return 'The payment window ended before the buyer paid; the escrow went back to the seller.'
    case 'appealed':
      return 'A dispute is open. Support can read this chat as evidence and will decide.'
    default:
      return null
  }
}
