/**
 * @module One order: its terms as placed, and the next step for me. Buyer: mark paid or cancel;
 * seller: release with the authenticator code; either side: appeal from 15 minutes after "paid".
 */
import { startAuthentication } from '@simplewebauthn/browser'
import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { OrderChat, WhereToPay } from './OrderChat.tsx'
import { Balances } from './OrdersPage.tsx'
import { type Order, restrictionText, statusLabel, useReference } from './types.ts'

export function OrderPage({ id }: { id: string }) {
  const reference = useReference()
  const [order, setOrder] = useState<Order | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')
  const [code, setCode] = useState('')
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [balancesKey, setBalancesKey] = useState(0)

  const load = useCallback(async () => {
    try {
      setOrder((await get<{ order: Order }>(`/api/p2p/orders/${id}`)).order)
    } catch (e) {
      setError(e)
    }
  }, [id])
  useEffect(() => {
    void load()
  }, [load])

  async function act(path: string, body: unknown | (() => Promise<unknown>), done: string) {
    setError(null)
    setNotice('')
    setBusy(true)
    try {
      const payload = typeof body === 'function' ? await (body as () => Promise<unknown>)() : body
      setOrder((await post<{ order: Order }>(`/api/p2p/orders/${id}/${path}`, payload)).order)
      setNotice(done)
      setBalancesKey((k) => k + 1)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (!order) return <Page title="Order">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  const other = order.role === 'buyer' ? order.seller.displayName : order.buyer.displayName
  const appealable = order.status === 'paid' && !order.appeal && order.appealableAt
  return (
    <Page title={`${order.role === 'buyer' ? 'Buy' : 'Sell'} ${order.amount} ${order.asset}`}>
      <p className="p2p-order-status" data-status={order.status}>
        Status: <strong>{statusLabel[order.status]}</strong>
        {order.appeal ? ' · under appeal, support will resolve it' : ''}
      </p>
      <dl className="p2p-facts">
        <dt>{order.role === 'buyer' ? 'Seller' : 'Buyer'}</dt>
        <dd>{other}</dd>
        <dt>Amount</dt>
        <dd>
          {order.amount} {order.asset}
        </dd>
        <dt>To pay</dt>
        <dd>
          <strong>
            {order.fiatAmount} {order.fiat}
          </strong>{' '}
          at {order.price} {order.fiat}/{order.asset}
        </dd>
        <dt>Payment methods</dt>
        <dd>{order.terms.paymentMethods.join(', ')}</dd>
        <dt>Terms (as placed)</dt>
        <dd>{order.terms.terms || '–'}</dd>
        <dt>Who could trade</dt>
        <dd>{restrictionText(reference, order.terms.allowedCountries)}</dd>
        <dt>Placed</dt>
        <dd>{formatTime(order.createdAt)}</dd>
        {order.status === 'pending_payment' ? (
          <>
            <dt>Pay before</dt>
            <dd>{formatTime(order.expiresAt)}</dd>
          </>
        ) : null}
      </dl>
      {order.role === 'buyer' && (order.status === 'pending_payment' || order.status === 'paid') ? (
        <WhereToPay orderId={order.id} methods={order.terms.paymentMethods} />
      ) : null}
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNote error={error} />

      {order.role === 'buyer' && order.status === 'pending_payment' ? (
        <div className="row">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(
                'paid',
                {},
                'Marked as paid. The seller will release the crypto once the payment arrives.',
              )
            }
          >
            I have paid
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void act('cancel', {}, 'Order cancelled.')}
          >
            Cancel order
          </button>
        </div>
      ) : null}

      {order.role === 'seller' && order.status === 'paid' && !order.appeal ? (
        <form
          className="stack narrow"
          onSubmit={(e: FormEvent) => {
            e.preventDefault()
            void act(
              'release',
              { totpCode: code.trim() },
              `Released ${order.amount} ${order.asset} to ${other}.`,
            )
          }}
        >
          <p>
            Check that {order.fiatAmount} {order.fiat} arrived in your account before releasing. Releasing
            cannot be undone.
          </p>
          <label>
            Authenticator code
            <input
              name="totpCode"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <div className="row">
            <button type="submit" disabled={busy}>
              Release {order.asset}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                void act(
                  'release',
                  async () => {
                    const options = await post<Parameters<typeof startAuthentication>[0]['optionsJSON']>(
                      '/api/accounts/passkeys/authentication-options',
                    )
                    return { passkeyResponse: await startAuthentication({ optionsJSON: options }) }
                  },
                  `Released ${order.amount} ${order.asset} to ${other}.`,
                )
              }
            >
              Release with a passkey
            </button>
          </div>
        </form>
      ) : null}

      {appealable ? (
        order.appealOpen ? (
          <form
            className="stack narrow"
            onSubmit={(e: FormEvent) => {
              e.preventDefault()
              void act('appeal', { reason }, 'Appeal opened. Support will contact both sides.')
            }}
          >
            <label>
              Something wrong? Describe it for support
              <textarea
                required
                minLength={3}
                maxLength={1000}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </label>
            <button type="submit" className="secondary" disabled={busy}>
              Appeal
            </button>
          </form>
        ) : (
          <p>If something goes wrong, you can appeal from {formatTime(order.appealableAt!)}.</p>
        )
      ) : null}

      {order.role === 'buyer' || order.role === 'seller' ? (
        <OrderChat
          key={`${order.status}-${balancesKey}`}
          orderId={order.id}
          role={order.role}
          open={order.status === 'pending_payment' || order.status === 'paid'}
        />
      ) : null}

      <h2>My wallet balances</h2>
      <Balances key={balancesKey} />
      <p>
        <Link to="/p2p/orders">All my orders</Link>
      </p>
    </Page>
  )
}
