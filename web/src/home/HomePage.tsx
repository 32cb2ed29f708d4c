/**
 * @module The landing page: what a customer or staff member can do here, as links.
 */
import { Link } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import { Page } from '../platform/ui.tsx'
import { routes } from '../routes.tsx'

export function HomePage() {
  const { me } = useSession()
  const cards = routes.filter((r) => {
    if (!r.nav) return false
    if (r.audience === 'public') return true
    if (!me) return false
    if (r.audience === 'customer') return me.user.kind === 'customer'
    return me.user.kind === 'staff' && (!r.permission || can(me, r.permission))
  })
  return (
    <Page
      title={me ? `Welcome, ${me.user.displayName}` : 'Bulwark'}
      intro="Proof of reserves you can check yourself, account protection, wallet safety checks and a fair P2P market."
    >
      {!me ? (
        <p>
          <Link to="/signin">Sign in</Link> to manage your account security, verify that your assets are
          counted, and trade P2P.
        </p>
      ) : null}
      <ul className="cards">
        {cards.map((r) => (
          <li key={r.path}>
            <Link to={r.path}>{r.nav}</Link>
          </li>
        ))}
      </ul>
    </Page>
  )
}
