/**
 * @module The order chat and "where to pay". Messages from Bulwark show the reader's own
 * anti-phishing code: a "platform" message without it was typed by someone else. The buyer of an
 * open order sees the seller's payment details for the order's methods, with a warning never to pay
 * any other way. Support reads the same chat as evidence of a dispute.
 */
import { useState } from 'react'
import { post } from '../platform/api.ts'
import { fieldErrors } from '../platform/fields.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Table, useAction, useLoaded } from '../platform/ui.tsx'
import type { PaymentDetails } from './PaymentDetailsPage.tsx'
import { accountLabel } from './PaymentDetailsPage.tsx'

export type ChatMessage = {
  id: string
  at: string
  from: 'buyer' | 'seller' | 'platform'
  author: string
  text: string
  antiPhishingCode: string | null
}

/** The messages, oldest first; `mine` marks the reader's side. */
export function ChatLog({ messages, mine }: { messages: ChatMessage[]; mine: 'buyer' | 'seller' | null }) {
  if (messages.length === 0) return <p className="empty">No messages yet.</p>
  return (
    <ol className="chat" aria-label="Order chat">
      {messages.map((m) => (
        <li
          key={m.id}
          className={m.from === 'platform' ? 'platform' : m.from === mine ? 'mine' : undefined}
          data-from={m.from}
        >
          <small>
            <strong>{m.from === 'platform' ? 'Bulwark' : m.author}</strong>
            {m.from === 'platform' ? null : ` (${m.from})`} · {formatTime(m.at)}
          </small>
          {m.from === 'platform' && mine !== null ? (
            <small className="chat-code" data-testid="chat-code">
              {' '}
              · your anti-phishing code:{' '}
              {m.antiPhishingCode ? (
                <span className="accounts-code">{m.antiPhishingCode}</span>
              ) : (
                <>
                  not set (<Link to="/security/anti-phishing">set one</Link>)
                </>
              )}
            </small>
          ) : null}
          <div>{m.text}</div>
        </li>
      ))}
    </ol>
  )
}

export function OrderChat({
  orderId,
  role,
  open,
}: {
  orderId: string
  role: 'buyer' | 'seller'
  open: boolean
}) {
  const { data, reload } = useLoaded<{ messages: ChatMessage[] }>(`/api/p2p/orders/${orderId}/messages`)
  const [text, setText] = useState('')
  const send = useAction()
  const errors = fieldErrors(send.error, { text: 'Write a message of 1 to 1000 characters.' })
  return (
    <section aria-labelledby="chat-title">
      <h2 id="chat-title">Chat with the {role === 'buyer' ? 'seller' : 'buyer'}</h2>
      <p className="hint">
        Messages from Bulwark show your anti-phishing code. A message claiming to be from Bulwark without it
        is fake.
      </p>
      <ChatLog messages={data?.messages ?? []} mine={role} />
      {open ? (
        <form
          className="stack"
          onSubmit={send.handleSubmit(async () => {
            await post(`/api/p2p/orders/${orderId}/messages`, { text })
            setText('')
            await reload()
          })}
        >
          <label>
            Message
            <textarea
              rows={2}
              maxLength={1000}
              value={text}
              aria-invalid={errors.text ? true : undefined}
              onChange={(e) => setText(e.target.value)}
            />
            {errors.text ? <span className="field-error">{errors.text}</span> : null}
          </label>
          <ErrorNote error={send.error} fields={['text']} />
          <div className="row">
            <button type="submit" disabled={send.busy || !text.trim()}>
              Send
            </button>
            <button type="button" className="secondary" onClick={() => void reload()}>
              Refresh
            </button>
          </div>
        </form>
      ) : (
        <p className="hint">The order is closed; its chat is read-only.</p>
      )}
    </section>
  )
}

/** For the buyer of an open order: the seller's details for the order's methods. */
export function WhereToPay({ orderId, methods }: { orderId: string; methods: string[] }) {
  const { data } = useLoaded<{ details: PaymentDetails[] }>(`/api/p2p/orders/${orderId}/payment-details`)
  return (
    <section aria-labelledby="pay-title">
      <h2 id="pay-title">Where to pay</h2>
      <p className="warning" role="note">
        Pay only by {methods.join(' or ')}, only to the details below, from an account in your own name. Never
        pay by another method or to details sent in the chat: Bulwark cannot protect a payment made outside
        the listed method.
      </p>
      <Table
        columns={['Method', 'Name on the account', 'Pay to', 'Note']}
        empty="The seller has not added details for these methods yet. Ask in the chat below, then wait for them to add the details here; do not pay to details sent in the chat."
      >
        {(data?.details ?? []).map((d) => (
          <tr key={d.method}>
            <td>{d.method}</td>
            <td>{d.holder}</td>
            <td className="break">
              <small>{accountLabel(d.method)}:</small> {d.account}
            </td>
            <td>{d.note || '–'}</td>
          </tr>
        ))}
      </Table>
    </section>
  )
}
