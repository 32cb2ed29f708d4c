/**
 * @module My identity country for P2P: submit the country or region on my identity document; a
 * compliance officer verifies it. Ad restrictions use only the verified country, never my IP.
 */
import { type FormEvent, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { ErrorNote, Page } from '../platform/ui.tsx'
import { countryName, useReference } from './types.ts'

type Identity = {
  status: 'pending' | 'verified' | 'rejected'
  claimedCountry: string
  country: string | null
  note: string
}

export function IdentityPage() {
  const reference = useReference()
  const [identity, setIdentity] = useState<Identity | null>(null)
  const [country, setCountry] = useState('')
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    get<{ identity: Identity | null }>('/api/p2p/me')
      .then((me) => setIdentity(me.identity))
      .catch(setError)
  }, [])

  async function submit(event: FormEvent) {
    event.preventDefault()
    setError(null)
    try {
      setIdentity((await post<{ identity: Identity }>('/api/p2p/identity', { country })).identity)
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="Country or region for P2P"
      intro="Advertisers may limit their ads to users from certain countries or regions. We use the country or region verified from your identity document, never your IP address."
    >
      {identity ? (
        <p
          className={
            identity.status === 'verified' ? 'ok' : identity.status === 'rejected' ? 'error' : 'notice'
          }
          role="status"
        >
          {identity.status === 'verified'
            ? `Verified: ${countryName(reference, identity.country)}.`
            : identity.status === 'pending'
              ? `Waiting for review: ${countryName(reference, identity.claimedCountry)}.`
              : `Not verified${identity.note ? `: ${identity.note}` : ''}. Submit again with the country on your document.`}
        </p>
      ) : (
        <p>You have not submitted a country or region yet.</p>
      )}
      <form className="stack narrow" onSubmit={submit}>
        <label>
          Country or region on your identity document
          <select required value={country} onChange={(e) => setCountry(e.target.value)}>
            <option value="">Choose…</option>
            {(reference?.countries ?? []).map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
                {c.kind === 'region' ? ' (region)' : ''}
              </option>
            ))}
          </select>
        </label>
        {identity?.status === 'verified' ? (
          <p className="warn">
            Changing it sends your identity back to review: you cannot take restricted ads until then.
          </p>
        ) : null}
        <ErrorNote error={error} />
        <button type="submit">Submit for review</button>
      </form>
    </Page>
  )
}
