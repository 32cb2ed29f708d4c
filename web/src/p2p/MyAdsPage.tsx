/**
 * @module My Ads: every ad of mine with its metrics (views, orders, completion rate, conversion,
 * abnormal orders, attempts the restriction refused), split by allowlist version so I can see what
 * a restriction changed; edit, pause, resume, close.
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ConfirmButton, ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { type Ad, type AdMetrics, type Metrics, percent, restrictionText, useReference } from './types.ts'

type MyAd = Ad & { metrics: AdMetrics | null }

export function MetricsRow({ m }: { m: Metrics }) {
  return (
    <>
      <td>{m.views}</td>
      <td>{m.orders}</td>
      <td>{m.completed}</td>
      <td>{m.abnormal}</td>
      <td>{m.blocked}</td>
      <td>{percent(m.completionRate)}</td>
      <td>{percent(m.conversion)}</td>
    </>
  )
}

export const metricsHead = (
  <>
    <th>Views</th>
    <th>Orders</th>
    <th>Completed</th>
    <th title="Appealed, cancelled or expired">Abnormal</th>
    <th title="Order attempts refused by the country/region restriction">Blocked</th>
    <th>Completion</th>
    <th title="Orders / views">Conversion</th>
  </>
)

export function MyAdsPage() {
  const reference = useReference()
  const [data, setData] = useState<{ ads: MyAd[]; overall: Metrics } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const load = useCallback(async () => {
    try {
      setData(await get('/api/p2p/my/ads'))
    } catch (e) {
      setError(e)
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  async function setStatus(ad: MyAd, status: 'active' | 'paused' | 'closed') {
    setError(null)
    try {
      await post(`/api/p2p/ads/${ad.id}/status`, { status })
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="My ads"
      intro="Your ads and how they perform. Edits apply to new orders at once; open orders keep their terms."
    >
      <p className="row">
        <Link to="/p2p/ads/new" className="button">
          Post an ad
        </Link>
        <Link to="/p2p/payment-details">Payment details buyers pay to</Link>
      </p>
      <ErrorNote error={error} />
      {data ? (
        <>
          <h2>All my ads</h2>
          <table className="p2p-metrics" aria-label="Overall metrics">
            <thead>
              <tr>{metricsHead}</tr>
            </thead>
            <tbody>
              <tr>
                <MetricsRow m={data.overall} />
              </tr>
            </tbody>
          </table>
          {data.ads.length === 0 ? (
            <p className="empty">
              You have no ads yet. <Link to="/p2p/ads/new">Post an ad</Link> to buy or sell at your own price.
            </p>
          ) : null}
          {data.ads.map((ad) => (
            <article key={ad.id} className="card p2p-myad" data-ad-id={ad.id}>
              <h2>
                {ad.side === 'sell' ? 'Sell' : 'Buy'} {ad.asset} for {ad.fiat} at {ad.price ?? '–'}{' '}
                <small className={`p2p-status p2p-${ad.status}`}>{ad.status}</small>
              </h2>
              <p>
                {ad.availableAmount} {ad.asset} available · limits {ad.minOrder}–{ad.maxOrder} {ad.fiat} ·{' '}
                {ad.paymentMethods.join(', ')} · who can trade:{' '}
                <strong>{restrictionText(reference, ad.allowedCountries)}</strong>
              </p>
              <div className="row">
                {ad.status !== 'closed' ? (
                  <>
                    <Link to={`/p2p/ads/${ad.id}/edit`} className="button">
                      Edit
                    </Link>
                    {ad.status === 'active' ? (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void setStatus(ad, 'paused')}
                      >
                        Pause
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void setStatus(ad, 'active')}
                      >
                        Resume
                      </button>
                    )}
                    <ConfirmButton
                      label="Close"
                      title="Close this ad for good?"
                      consequence="It leaves the market at once and cannot be reopened or edited. Open orders carry on to the end."
                      confirmLabel="Close the ad"
                      onConfirm={() => setStatus(ad, 'closed')}
                    />
                  </>
                ) : null}
              </div>
              {ad.metrics ? (
                <table className="p2p-metrics">
                  <thead>
                    <tr>
                      <th>Who could trade</th>
                      <th>Since</th>
                      {metricsHead}
                    </tr>
                  </thead>
                  <tbody>
                    {ad.metrics.byAllowlist.map((v) => (
                      <tr key={v.allowlistVersion}>
                        <td>{restrictionText(reference, v.allowedCountries)}</td>
                        <td>{formatTime(v.since)}</td>
                        <MetricsRow m={v} />
                      </tr>
                    ))}
                    <tr className="p2p-total">
                      <td>All</td>
                      <td />
                      <MetricsRow m={ad.metrics} />
                    </tr>
                  </tbody>
                </table>
              ) : null}
            </article>
          ))}
        </>
      ) : (
        <p>Loading…</p>
      )}
    </Page>
  )
}
