/**
 * @module My P2P orders, newest first, and my wallet balances (P2P escrow lives on the custody
 * ledger, so these are the same balances the wallet page shows, with what is locked in escrow).
 */
import { useEffect, useState } from 'react'
import { get } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { type Order, statusLabel } from './types.ts'

type Balance = { asset: string; available: string; escrow: string }

export function Balances() {
  const [balances, setBalances] = useState<Balance[] | null>(null)
  useEffect(() => {
    get<{ balances: Balance[] }>('/api/p2p/me')
      .then((me) => setBalances(me.balances))
      .catch(() => setBalances([]))
  }, [])
  if (!balances) return null
  return (
    <table className="p2p-balances" aria-label="Wallet balances">
      <thead>
        <tr>
          <th>Asset</th>
          <th>Available</th>
          <th>In escrow</th>
        </tr>
      </thead>
      <tbody>
        {balances.length === 0 ? (
          <tr>
            <td colSpan={3}>No balance yet.</td>
          </tr>
        ) : (
          balances.map((b) => (
            <tr key={b.asset} data-asset={b.asset}>
              <td>{b.asset}</td>
              <td className="p2p-available">{b.available}</td>
              <td className="p2p-escrow">{b.escrow}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  )
}

export function OrdersPage() {
  const [orders, setOrders] = useState<Order[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    get<{ orders: Order[] }>('/api/p2p/orders')
      .then((r) => setOrders(r.orders))
      .catch(setError)
  }, [])
  return (
    <Page title="P2P orders">
      <h2>Balances</h2>
      <Balances />
      <h2>Orders</h2>
      <ErrorNote error={error} />
      {orders?.length === 0 ? (
        <p>
          No orders yet. Find an ad in the <Link to="/p2p">P2P market</Link>.
        </p>
      ) : null}
      {orders && orders.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Placed</th>
              <th>I</th>
              <th>Amount</th>
              <th>Fiat</th>
              <th>Counterparty</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id}>
                <td>
                  <Link to={`/p2p/orders/${o.id}`}>{formatTime(o.createdAt)}</Link>
                </td>
                <td>{o.role === 'buyer' ? 'buy' : 'sell'}</td>
                <td>
                  {o.amount} {o.asset}
                </td>
                <td>
                  {o.fiatAmount} {o.fiat}
                </td>
                <td>{o.role === 'buyer' ? o.seller.displayName : o.buyer.displayName}</td>
                <td>{statusLabel[o.status]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  )
}
