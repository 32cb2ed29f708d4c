/**
 * @module The shell: the demo banner, header with navigation for the signed-in person, then the
 * page for the path. A staff member without a second factor is led to enrol one instead of a
 * staff page (the server refuses staff routes with STAFF_SECOND_FACTOR_REQUIRED until then).
 */
import { useEffect, useState } from 'react'
import { get, post } from './platform/api.ts'
import { DemoBanner } from './platform/meta.tsx'
import { Link, matchPath, navigate, useLocation } from './platform/router.tsx'
import { can, type Me, SessionProvider, useSession } from './platform/session.tsx'
import { routes } from './routes.tsx'

type SecurityOverview = { twoFactor: { totp: boolean; passkeys: number } }

/** For staff: whether they have a second factor (null while unknown); rechecked as they move on. */
function useStaffSecondFactor(me: Me | null, path: string): boolean | null {
  const [has, setHas] = useState<boolean | null>(null)
  const staffId = me?.user.kind === 'staff' ? me.user.id : null
  // biome-ignore lint/correctness/useExhaustiveDependencies: path re-runs the check after each navigation until a factor is enrolled
  useEffect(() => {
    if (!staffId) return setHas(null)
    if (has === true) return
    get<SecurityOverview>('/api/accounts/security')
      .then((o) => setHas(o.twoFactor.totp || o.twoFactor.passkeys > 0))
      .catch(() => setHas(null))
  }, [staffId, path, has])
  return has
}

function EnrolSecondFactor() {
  return (
    <section className="page" data-testid="staff-second-factor">
      <h1>Turn on two-factor authentication</h1>
      <p>
        Staff pages open only for staff members with a second factor, so that a stolen password alone cannot
        reach customers' data or money. Set one up now:
      </p>
      <ul>
        <li>
          <Link to="/security/two-factor">Set up an authenticator app</Link> (TOTP)
        </li>
        <li>
          <Link to="/security/passkeys">Add a passkey</Link>
        </li>
      </ul>
    </section>
  )
}

function Shell() {
  const path = useLocation()
  const { me, loading, setMe } = useSession()
  const staffSecondFactor = useStaffSecondFactor(me, path)
  // On a phone the navigation folds behind a menu button; it closes again on every navigation.
  const [menuOpen, setMenuOpen] = useState(false)
  // biome-ignore lint/correctness/useExhaustiveDependencies: path is the trigger, not a value used
  useEffect(() => setMenuOpen(false), [path])
  const visible = routes.filter(
    (r) =>
      r.nav &&
      ((r.audience === 'customer' && me?.user.kind === 'customer') ||
        (r.audience === 'staff' && me?.user.kind === 'staff' && (!r.permission || can(me, r.permission))) ||
        r.audience === 'public'),
  )
  let page: React.ReactNode = (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page at this address. <Link to="/">Go home</Link>.
      </p>
    </section>
  )
  for (const route of routes) {
    const params = matchPath(route.path, path)
    if (!params) continue
    if (route.audience !== 'public' && !loading && !me) {
      page = (
        <section className="page">
          <h1>Sign in needed</h1>
          <p>
            <Link to="/signin">Sign in</Link> to see this page.
          </p>
        </section>
      )
    } else if (
      route.audience === 'staff' &&
      me &&
      (me.user.kind !== 'staff' || (route.permission && !can(me, route.permission)))
    ) {
      page = (
        <section className="page">
          <h1>Not available</h1>
          <p>Your role does not include this page.</p>
        </section>
      )
    } else if (route.audience === 'staff' && staffSecondFactor === false) {
      page = <EnrolSecondFactor />
    } else if (route.audience === 'customer' && me && me.user.kind !== 'customer') {
      page = (
        <section className="page">
          <h1>Customers only</h1>
          <p>This page is for customer accounts.</p>
        </section>
      )
    } else
      page = loading && route.audience !== 'public' ? <p className="page">Loading…</p> : route.render(params)
    break
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <DemoBanner />
      <header className="top">
        <Link to="/" className="brand">
          Bulwark
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="site-menu"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {menuOpen ? 'Close menu' : 'Menu'}
        </button>
        <div id="site-menu" className={menuOpen ? 'menu open' : 'menu'}>
          <nav aria-label="Main">
            {visible.map((r) => (
              <Link key={r.path} to={r.path} aria-current={path === r.path ? 'page' : undefined}>
                {r.nav}
              </Link>
            ))}
          </nav>
          <div className="who">
            {me ? (
              <>
                <span>
                  {me.user.displayName} <small>({me.user.role?.replace('_', ' ') ?? 'customer'})</small>
                </span>
                <button
                  className="link"
                  onClick={async () => {
                    await post('/api/auth/signout').catch(() => {})
                    setMe(null)
                    navigate('/signin')
                  }}
                >
                  Sign out
                </button>
              </>
            ) : loading ? null : (
              <Link to="/signin">Sign in</Link>
            )}
          </div>
        </div>
      </header>
      <main id="main">{page}</main>
    </>
  )
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  )
}
