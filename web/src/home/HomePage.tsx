/**
 * @module The landing page. A customer sees a dashboard: their balances and recent movements, their
 * protection score with the next step, the latest proof-of-reserves round with "Verify my assets",
 * their open P2P orders and recent security alerts. Staff and visitors see what each page is for,
 * in a sentence.
 */
import type { Overview } from '../accounts/SecurityCenterPage.tsx'
import type { Balance, Movement } from '../custody/types.ts'
import { BalancesTable, MovementsTable } from '../custody/WalletPage.tsx'
import type { Order } from '../p2p/types.ts'
import { Link } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import { formatTime, Page, useLoaded } from '../platform/ui.tsx'
import { routes } from '../routes.tsx'

/** What each page in the navigation is for, shown under its link. */
const purpose: Record<string, string> = {
  '/guard': 'Paste an address, token or transaction before you sign: we check it against known scams.',
  '/proof-of-reserves': 'See what we hold against what we owe, and check that your balance is counted.',
  '/security': 'Your protection score, two-factor, devices, withdrawal addresses and alerts.',
  '/wallet': 'Your balances, deposit addresses, withdrawals and everything that moved.',
  '/staff/custody': 'Withdrawals waiting for approval or review, wallets, insurance fund and policy.',
  '/p2p': 'Buy and sell crypto with other customers, the crypto held in escrow until the money arrives.',
  '/p2p/my-ads': 'Your ads, how they perform, and the payment details buyers pay to.',
  '/p2p/orders': 'Your P2P orders and the next step on each.',
  '/staff/por/rounds': 'Import, build, review and publish proof-of-reserves rounds.',
  '/staff/frozen': 'Accounts frozen by "This wasn\u2019t me", waiting for review.',
  '/staff/outbox': 'Mail sent while no SMTP server is configured.',
  '/staff/members': 'Staff members, their roles and invitations.',
  '/staff/audit': 'Every security-relevant action, searchable and verifiable.',
  '/staff/risk': 'Risk alerts on accounts and transactions, with cases to work them.',
  '/staff/p2p/identities': 'Customers\u2019 identity countries to verify for P2P.',
  '/staff/p2p/disputes': 'P2P orders under appeal, with the chat as evidence.',
}

type Round = { id: string; publishedAt: string | null }
type Alert = { id: string; title: string; at: string }

function Tiles({ paths }: { paths: Array<{ path: string; nav: string }> }) {
  return (
    <ul className="cards">
      {paths.map((r) => (
        <li key={r.path}>
          <Link to={r.path}>{r.nav}</Link>
          {purpose[r.path] ? <p className="hint">{purpose[r.path]}</p> : null}
        </li>
      ))}
    </ul>
  )
}

function LatestRound() {
  const { data } = useLoaded<{ rounds: Round[] }>('/api/por/rounds')
  const latest = data?.rounds[0]
  return (
    <section className="card" aria-labelledby="home-por">
      <h2 id="home-por">Proof of reserves</h2>
      {!data ? (
        <p>Loading…</p>
      ) : latest ? (
        <>
          <p>
            Latest round <strong>{latest.id}</strong>
            {latest.publishedAt ? `, published ${formatTime(latest.publishedAt)}` : ''}.
          </p>
          <Link to="/proof-of-reserves#verify" className="button">
            Verify my assets
          </Link>
        </>
      ) : (
        <p className="empty">No round is published yet; the first appears here when it is.</p>
      )}
    </section>
  )
}

/** Balances per asset and the last five ledger movements, with a way to the wallet. */
function WalletSummary() {
  const balances = useLoaded<{ balances: Balance[] }>('/api/custody/balances').data
  const movements = useLoaded<{ movements: Movement[] }>('/api/custody/movements?limit=5').data
  return (
    <section className="card" aria-labelledby="home-wallet">
      <h2 id="home-wallet">Balances</h2>
      {balances ? <BalancesTable balances={balances.balances} /> : <p>Loading…</p>}
      <h3>Recent movements</h3>
      {movements ? <MovementsTable movements={movements.movements} /> : <p>Loading…</p>}
      <Link to="/wallet">Wallet</Link>
    </section>
  )
}

function CustomerDashboard() {
  const overview = useLoaded<Overview>('/api/accounts/security').data
  const orders = useLoaded<{ orders: Order[] }>('/api/p2p/orders').data
  const alerts = useLoaded<{ alerts: Alert[] }>('/api/accounts/alerts').data
  const next = overview?.checklist.find((c) => !c.done)
  const open = orders?.orders.filter((o) => o.status === 'pending_payment' || o.status === 'paid') ?? []
  return (
    <div className="dashboard">
      <WalletSummary />
      <section className="card" aria-labelledby="home-score">
        <h2 id="home-score">Protection</h2>
        {overview ? (
          <>
            <p>
              <span className="score" data-testid="home-score">
                {overview.score}
              </span>{' '}
              / 100
            </p>
            {next ? (
              <p>
                Next step: <Link to={next.fixPath}>{next.label}</Link>
              </p>
            ) : (
              <p className="ok">Every protection is on.</p>
            )}
          </>
        ) : (
          <p>Loading…</p>
        )}
      </section>
      <LatestRound />
      <section className="card" aria-labelledby="home-orders">
        <h2 id="home-orders">Open P2P orders</h2>
        {!orders ? (
          <p>Loading…</p>
        ) : open.length === 0 ? (
          <p className="empty">
            No open orders. <Link to="/p2p">Browse the market</Link> to buy or sell.
          </p>
        ) : (
          <ul>
            {open.slice(0, 5).map((o) => (
              <li key={o.id}>
                <Link to={`/p2p/orders/${o.id}`}>
                  {o.role === 'buyer' ? 'Buy' : 'Sell'} {o.amount} {o.asset} for {o.fiatAmount} {o.fiat}
                </Link>{' '}
                <small>{o.status === 'paid' ? 'paid, waiting for release' : 'waiting for payment'}</small>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="home-alerts">
        <h2 id="home-alerts">Recent security alerts</h2>
        {!alerts ? (
          <p>Loading…</p>
        ) : alerts.alerts.length === 0 ? (
          <p className="empty">
            No alerts. We write here when someone signs in, or your security settings change.
          </p>
        ) : (
          <ul>
            {alerts.alerts.slice(0, 3).map((a) => (
              <li key={a.id}>
                {a.title} <small>{formatTime(a.at)}</small>
              </li>
            ))}
          </ul>
        )}
        <Link to="/security">Security center</Link>
      </section>
    </div>
  )
}

export function HomePage() {
  const { me } = useSession()
  const tiles = routes
    .filter((r) => {
      if (!r.nav) return false
      if (r.audience === 'public') return true
      if (!me) return false
      if (r.audience === 'customer') return me.user.kind === 'customer'
      return me.user.kind === 'staff' && (!r.permission || can(me, r.permission))
    })
    .map((r) => ({ path: r.path, nav: r.nav! }))
  if (me?.user.kind === 'customer')
    return (
      <Page title={`Welcome, ${me.user.displayName}`}>
        <CustomerDashboard />
      </Page>
    )
  if (me)
    return (
      <Page title={`Welcome, ${me.user.displayName}`} intro="The pages your role opens:">
        <Tiles paths={tiles} />
      </Page>
    )
  return (
    <Page
      title="Bulwark"
      intro="Proof of reserves you can check yourself, account protection, wallet safety checks and a fair P2P market."
    >
      <p>
        <Link to="/signin">Sign in</Link> or <Link to="/signup">open an account</Link> to manage your account
        security, verify that your assets are counted, and trade P2P.
      </p>
      <LatestRound />
      <Tiles paths={tiles} />
    </Page>
  )
}
