/**
 * @module The prompt shown when an ad's country/region restriction excludes the user: why, and
 * what to do instead (choose another ad, or show local ads only).
 */
import { Link, navigate } from '../platform/router.tsx'

export function BlockedPrompt({ message, unverified }: { message: string; unverified?: boolean }) {
  return (
    <div className="p2p-blocked" role="alert" data-code="P2P_REGION_NOT_ALLOWED">
      <h2>You can’t trade on this ad</h2>
      <p>{message}</p>
      <div className="row">
        <button type="button" onClick={() => navigate('/p2p')}>
          Choose another ad
        </button>
        <button type="button" className="secondary" onClick={() => navigate('/p2p?local=1')}>
          Show local ads only
        </button>
        {unverified ? <Link to="/p2p/identity">Verify your country or region</Link> : null}
      </div>
    </div>
  )
}
