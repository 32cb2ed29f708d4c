/**
 * @module Support: P2P orders under appeal, resolved by releasing the escrow to the buyer or
 * refunding the seller; plus the marketplace's overall metrics.
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, formatTime, Page, useLoaded } from '../platform/ui.tsx'
import { MetricsRow, metricsHead } from './MyAdsPage.tsx'
import { ChatLog, type ChatMessage } from './OrderChat.tsx'
import type { Metrics, Order } from './types.ts'

export function DisputesPage() {
  const { me } = useSession()
  const resolve = can(me, 'p2p.disputes.resolve')
  const [state, setState] = useState<'open' | 'resolved'>('open')
  const [orders, setOrders] = useState<Order[]>([])
  const [overall, setOverall] = useState<Metrics | null>(null)
  const [notes, setNotes] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')

  const load = useCallback(async () => {
    try {
      setOrders((await get<{ orders: Order[] }>(`/api/p2p/staff/disputes?state=${state}`)).orders)
      setOverall((await get<{ overall: Metrics }>('/api/p2p/staff/metrics')).overall)
    } catch (e) {
      setError(e)
    }
  }, [state])
  useEffect(() => {
    void load()
  }, [load])

  async function decide(order: Order, outcome: 'release' | 'refund') {
    setError(null)
    try {
      await post(`/api/p2p/staff/disputes/${order.id}`, { outcome, note: notes[order.id] ?? '' })
      setNotice(
        outcome === 'release'
          ? `Released ${order.amount} ${order.asset} to ${order.buyer.displayName}.`
          : `Refunded ${order.amount} ${order.asset} to ${order.seller.displayName}.`,
      )
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="P2P disputes"
      intro="Orders where the buyer or the seller appealed. Check the payment evidence, then release or refund."
    >
      {overall ? (
        <table className="p2p-metrics" aria-label="Marketplace metrics">
          <thead>
            <tr>{metricsHead}</tr>
          </thead>
          <tbody>
            <tr>
              <MetricsRow m={overall} />
            </tr>
          </tbody>
        </table>
      ) : null}
      <label>
        Show{' '}
        <select value={state} onChange={(e) => setState(e.target.value as typeof state)}>
          <option value="open">Open disputes</option>
          <option value="resolved">Resolved</option>
        </select>
      </label>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNote error={error} />
      {orders.length === 0 ? (
        <p className="empty">
          {state === 'open'
            ? 'No open disputes: nobody has appealed an order. Appeals appear here as soon as a buyer or seller opens one.'
            : 'No resolved disputes yet.'}
        </p>
      ) : null}
      {orders.map((o) => (
        <article key={o.id} className="card">
          <h2>
            {o.amount} {o.asset} for {o.fiatAmount} {o.fiat}
          </h2>
          <p>
            Buyer <strong>{o.buyer.displayName}</strong> · seller <strong>{o.seller.displayName}</strong> ·
            paid {o.paidAt ? formatTime(o.paidAt) : '–'} · appealed {o.appeal ? formatTime(o.appeal.at) : '–'}{' '}
            by the {o.appeal?.by === o.buyer.id ? 'buyer' : 'seller'}
          </p>
          <blockquote>{o.appeal?.reason}</blockquote>
          <p>
            Payment methods: {o.terms.paymentMethods.join(', ')} · terms: {o.terms.terms || '–'}
          </p>
          <details>
            <summary>Chat between buyer and seller (evidence)</summary>
            <Evidence orderId={o.id} />
          </details>
          {o.resolution ? (
            <p className="ok">
              Resolved: {o.resolution === 'release' ? 'released to the buyer' : 'refunded to the seller'}.
            </p>
          ) : resolve ? (
            <div className="row">
              <input
                aria-label="Resolution note"
                placeholder="What the evidence showed"
                value={notes[o.id] ?? ''}
                onChange={(e) => setNotes({ ...notes, [o.id]: e.target.value })}
              />
              <button type="button" onClick={() => void decide(o, 'release')}>
                Release to buyer
              </button>
              <button type="button" className="danger" onClick={() => void decide(o, 'refund')}>
                Refund seller
              </button>
            </div>
          ) : null}
        </article>
      ))}
    </Page>
  )
}

/** The order chat as support reads it, loaded when the evidence is opened. */
function Evidence({ orderId }: { orderId: string }) {
  const { data } = useLoaded<{ messages: ChatMessage[] }>(`/api/p2p/staff/disputes/${orderId}/messages`)
  return data ? <ChatLog messages={data.messages} mine={null} /> : <p>Loading…</p>
}
