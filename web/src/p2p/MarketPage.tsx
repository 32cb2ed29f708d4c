/**
 * @module The P2P market: ads with filters (asset, fiat, amount, payment method) and "Show local ads
 * only". Ads the user cannot take stay visible, disabled, with the reason.
 */
import { useCallback, useEffect, useState } from 'react'
import { get } from '../platform/api.ts'
import { Link, navigate } from '../platform/router.tsx'
import { ErrorNote, Page } from '../platform/ui.tsx'
import { type Ad, countryName, restrictionText, useReference } from './types.ts'

export function MarketPage() {
  const reference = useReference()
  const initial = new URLSearchParams(window.location.search)
  const [side, setSide] = useState<'buy' | 'sell'>(initial.get('side') === 'sell' ? 'sell' : 'buy')
  const [asset, setAsset] = useState(initial.get('asset') ?? 'USDT')
  const [fiat, setFiat] = useState(initial.get('fiat') ?? 'EUR')
  const [amount, setAmount] = useState('')
  const [paymentMethod, setPaymentMethod] = useState('')
  const [localOnly, setLocalOnly] = useState(initial.get('local') === '1')
  const [ads, setAds] = useState<Ad[] | null>(null)
  const [myCountry, setMyCountry] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  const load = useCallback(async () => {
    const q = new URLSearchParams({ side: side === 'buy' ? 'sell' : 'buy', asset, fiat })
    if (amount.trim()) q.set('amount', amount.trim())
    if (paymentMethod) q.set('paymentMethod', paymentMethod)
    if (localOnly) q.set('localOnly', 'true')
    try {
      const result = await get<{ ads: Ad[]; myCountry: string | null }>(`/api/p2p/ads?${q}`)
      setAds(result.ads)
      setMyCountry(result.myCountry)
      setError(null)
    } catch (e) {
      setError(e)
    }
  }, [side, asset, fiat, amount, paymentMethod, localOnly])
  useEffect(() => {
    void load()
  }, [load])

  return (
    <Page
      title="P2P market"
      intro={
        <>
          Buy and sell crypto directly with other users; the exchange holds the seller’s crypto in escrow
          until the seller confirms the payment. Your verified country or region:{' '}
          <strong>{countryName(reference, myCountry)}</strong>
          {myCountry ? (
            <>
              {' '}
              (<Link to="/p2p/identity">change</Link>)
            </>
          ) : (
            <>
              {' '}
              (<Link to="/p2p/identity">verify it</Link> to take ads restricted to certain countries)
            </>
          )}
          .
        </>
      }
    >
      <div className="row p2p-tabs">
        <button
          type="button"
          aria-pressed={side === 'buy'}
          className={side === 'buy' ? '' : 'secondary'}
          onClick={() => setSide('buy')}
        >
          Buy {asset}
        </button>
        <button
          type="button"
          aria-pressed={side === 'sell'}
          className={side === 'sell' ? '' : 'secondary'}
          onClick={() => setSide('sell')}
        >
          Sell {asset}
        </button>
        <Link to="/p2p/ads/new" className="button">
          Post an ad
        </Link>
      </div>
      <form className="row p2p-filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Asset
          <select value={asset} onChange={(e) => setAsset(e.target.value)}>
            {(reference?.assets ?? ['USDT']).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Fiat
          <select value={fiat} onChange={(e) => setFiat(e.target.value)}>
            {(reference?.fiats ?? ['EUR']).map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <label>
          Amount ({fiat})
          <input
            inputMode="decimal"
            placeholder="Any"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>
        <label>
          Payment method
          <select value={paymentMethod} onChange={(e) => setPaymentMethod(e.target.value)}>
            <option value="">All</option>
            {(reference?.paymentMethods ?? []).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label className="p2p-check">
          <input type="checkbox" checked={localOnly} onChange={(e) => setLocalOnly(e.target.checked)} />
          Show local ads only
        </label>
      </form>
      <ErrorNote error={error} />
      {ads === null ? (
        <p>Loading…</p>
      ) : ads.length === 0 ? (
        <p className="notice">
          No ads match{localOnly ? ' among the ads open to your verified country or region' : ''}. Try other
          filters.
        </p>
      ) : (
        <table className="p2p-ads">
          <thead>
            <tr>
              <th>Advertiser</th>
              <th>Price</th>
              <th>Available / limits</th>
              <th>Payment</th>
              <th>Who can trade</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {ads.map((ad) => (
              <tr key={ad.id} data-ad-id={ad.id} className={ad.eligibility.ok ? '' : 'p2p-disabled'}>
                <td>
                  <Link to={`/p2p/ads/${ad.id}`}>{ad.advertiser.displayName}</Link>
                  <br />
                  <small>{countryName(reference, ad.advertiser.country)}</small>
                </td>
                <td>
                  <strong>
                    {ad.price ?? '–'} {ad.fiat}
                  </strong>
                  {ad.priceType === 'floating' ? <small> (floating {ad.marginBps! / 100} %)</small> : null}
                </td>
                <td>
                  {ad.availableAmount} {ad.asset}
                  <br />
                  <small>
                    {ad.minOrder}–{ad.maxOrder} {ad.fiat}
                  </small>
                </td>
                <td>{ad.paymentMethods.join(', ')}</td>
                <td>{restrictionText(reference, ad.allowedCountries)}</td>
                <td>
                  {ad.eligibility.ok ? (
                    <button type="button" onClick={() => navigate(`/p2p/ads/${ad.id}`)}>
                      {ad.side === 'sell' ? 'Buy' : 'Sell'} {ad.asset}
                    </button>
                  ) : (
                    <>
                      <button type="button" disabled>
                        {ad.side === 'sell' ? 'Buy' : 'Sell'} {ad.asset}
                      </button>
                      <p className="p2p-reason">{ad.eligibility.reason}</p>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}
