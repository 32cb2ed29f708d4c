/**
 * @module One ad: its terms, and either the order form or the blocked prompt. The server decides
 * both (the ad's eligibility for me, and again when the order is placed).
 */
import { type FormEvent, useEffect, useState } from 'react'
import { ApiError, get, post } from '../platform/api.ts'
import { Link, navigate } from '../platform/router.tsx'
import { ErrorNote, Page } from '../platform/ui.tsx'
import { BlockedPrompt } from './BlockedPrompt.tsx'
import { type Ad, countryName, type Order, restrictionText, useReference } from './types.ts'

export function AdPage({ id }: { id: string }) {
  const reference = useReference()
  const [ad, setAd] = useState<Ad | null>(null)
  const [amount, setAmount] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [blocked, setBlocked] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  // One key per attempt on this page: a double click or a retry after a network error places one order.
  const [idempotencyKey] = useState(() => crypto.randomUUID())

  useEffect(() => {
    get<{ ad: Ad }>(`/api/p2p/ads/${id}`)
      .then(({ ad }) => {
        setAd(ad)
        if (!ad.eligibility.ok && ad.eligibility.code === 'P2P_REGION_NOT_ALLOWED')
          setBlocked(ad.eligibility.reason)
      })
      .catch(setError)
  }, [id])

  async function order(event: FormEvent) {
    event.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const { order } = await post<{ order: Order }>(`/api/p2p/ads/${id}/orders`, {
        amount: amount.trim(),
        idempotencyKey,
      })
      navigate(`/p2p/orders/${order.id}`)
    } catch (e) {
      if (e instanceof ApiError && e.code === 'P2P_REGION_NOT_ALLOWED') setBlocked(e.message)
      else setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (!ad) return <Page title="Ad">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  const verb = ad.side === 'sell' ? 'Buy' : 'Sell'
  const own = !ad.eligibility.ok && ad.eligibility.code === 'P2P_OWN_AD'
  return (
    <Page title={`${verb} ${ad.asset} with ${ad.fiat} from ${ad.advertiser.displayName}`}>
      <dl className="p2p-facts">
        <dt>Price</dt>
        <dd>
          {ad.price ?? '–'} {ad.fiat} per {ad.asset}
        </dd>
        <dt>Available</dt>
        <dd>
          {ad.availableAmount} {ad.asset}
        </dd>
        <dt>Order limits</dt>
        <dd>
          {ad.minOrder} – {ad.maxOrder} {ad.fiat}
        </dd>
        <dt>Payment methods</dt>
        <dd>{ad.paymentMethods.join(', ')}</dd>
        <dt>Payment window</dt>
        <dd>{ad.paymentWindowMinutes} minutes</dd>
        <dt>Advertiser</dt>
        <dd>
          {ad.advertiser.displayName} ({countryName(reference, ad.advertiser.country)})
        </dd>
        <dt>Who can trade</dt>
        <dd data-testid="ad-restriction">{restrictionText(reference, ad.allowedCountries)}</dd>
        <dt>Terms</dt>
        <dd>{ad.terms || '–'}</dd>
      </dl>
      {blocked ? (
        <BlockedPrompt message={blocked} unverified={/not verified/.test(blocked)} />
      ) : own ? (
        <p className="notice">
          This is your own ad. <Link to={`/p2p/ads/${ad.id}/edit`}>Edit it</Link> or see it in{' '}
          <Link to="/p2p/my-ads">My ads</Link>.
        </p>
      ) : !ad.eligibility.ok ? (
        <p className="error">{ad.eligibility.reason}</p>
      ) : (
        <form className="stack narrow" onSubmit={order}>
          <label>
            Amount ({ad.asset})
            <input
              name="amount"
              required
              inputMode="decimal"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          </label>
          <ErrorNote error={error} />
          <button type="submit" disabled={busy}>
            {verb} {ad.asset}
          </button>
        </form>
      )}
    </Page>
  )
}
