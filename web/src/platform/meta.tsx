/**
 * @module What the server says about this install (`GET /api/meta`): whether it is a demo whose
 * mail anyone can read. The demo banner shows on every page while that is so.
 */
import { useEffect, useState } from 'react'
import { get } from './api.ts'
import { Link } from './router.tsx'

export type InstallMeta = { demo: boolean; mailOutbox: 'public' | 'staff' | 'none' }

let cached: Promise<InstallMeta> | null = null

/** The install's meta, fetched once per page load; null until it arrives (or if it fails). */
export function useInstallMeta(): InstallMeta | null {
  const [meta, setMeta] = useState<InstallMeta | null>(null)
  useEffect(() => {
    cached ??= get<InstallMeta>('/api/meta')
    cached.then(setMeta).catch((error: unknown) => {
      cached = null
      console.error(error)
    })
  }, [])
  return meta
}

/** "This is a demo and its mail is public", on every page of a demo install. */
export function DemoBanner() {
  const meta = useInstallMeta()
  if (!meta?.demo) return null
  return (
    <div className="demo-banner" role="note" data-testid="demo-banner">
      <strong>Demo install.</strong>{' '}
      {meta.mailOutbox === 'public' ? (
        <>
          Every email it sends is public in the <Link to="/outbox">outbox</Link>, so anyone can read sign-up,
          sign-in and password-reset links.{' '}
        </>
      ) : null}
      Do not use real names, addresses or passwords here.
    </div>
  )
}
