/**
 * @module The shell: header with navigation for the signed-in person, then the page for the path.
 */
import { post } from './platform/api.ts'
import { Link, matchPath, navigate, useLocation } from './platform/router.tsx'
import { can, SessionProvider, useSession } from './platform/session.tsx'
import { routes } from './routes.tsx'

function Shell() {
  const path = useLocation()
  const { me, loading, setMe } = useSession()
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
      <header className="top">
        <Link to="/" className="brand">
          Bulwark
        </Link>
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
