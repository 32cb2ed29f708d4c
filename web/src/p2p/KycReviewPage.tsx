/**
 * @module Compliance: review customers' identity country for P2P. Verify with the country or
 * region on the document (which may differ from the claim) or reject with a note.
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { countryName, useReference } from './types.ts'

type Submission = {
  userId: string
  email: string
  displayName: string
  status: 'pending' | 'verified' | 'rejected'
  claimedCountry: string
  country: string | null
  note: string
  submittedAt: string
}

export function KycReviewPage() {
  const reference = useReference()
  const [status, setStatus] = useState<'pending' | 'verified' | 'rejected'>('pending')
  const [items, setItems] = useState<Submission[]>([])
  const [chosen, setChosen] = useState<Record<string, string>>({})
  const [notes, setNotes] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')

  const load = useCallback(async () => {
    try {
      setItems(
        (await get<{ identities: Submission[] }>(`/api/p2p/staff/identities?status=${status}`)).identities,
      )
    } catch (e) {
      setError(e)
    }
  }, [status])
  useEffect(() => {
    void load()
  }, [load])

  async function review(s: Submission, decision: 'verify' | 'reject') {
    setError(null)
    try {
      const country = chosen[s.userId] ?? s.claimedCountry
      await post(`/api/p2p/staff/identities/${s.userId}`, {
        decision,
        ...(decision === 'verify' ? { country } : {}),
        ...(notes[s.userId] ? { note: notes[s.userId] } : {}),
      })
      setNotice(
        `${s.email}: ${decision === 'verify' ? `verified in ${countryName(reference, country)}` : 'rejected'}.`,
      )
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="P2P identity countries"
      intro="Verify each customer's country or region from their identity document. Every decision is audit-logged."
    >
      <label>
        Show{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="pending">Waiting for review</option>
          <option value="verified">Verified</option>
          <option value="rejected">Rejected</option>
        </select>
      </label>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNote error={error} />
      <table>
        <thead>
          <tr>
            <th>Customer</th>
            <th>Claimed</th>
            <th>Submitted</th>
            <th>{status === 'pending' ? 'Verify as' : 'Verified'}</th>
            {status === 'pending' ? <th>Decision</th> : <th>Note</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.userId} data-email={s.email}>
              <td>
                {s.displayName}
                <br />
                <small>{s.email}</small>
              </td>
              <td>{countryName(reference, s.claimedCountry)}</td>
              <td>{formatTime(s.submittedAt)}</td>
              {status === 'pending' ? (
                <>
                  <td>
                    <select
                      aria-label={`Verified country of ${s.email}`}
                      value={chosen[s.userId] ?? s.claimedCountry}
                      onChange={(e) => setChosen({ ...chosen, [s.userId]: e.target.value })}
                    >
                      {(reference?.countries ?? []).map((c) => (
                        <option key={c.code} value={c.code}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      aria-label={`Note for ${s.email}`}
                      placeholder="Note (optional)"
                      value={notes[s.userId] ?? ''}
                      onChange={(e) => setNotes({ ...notes, [s.userId]: e.target.value })}
                    />{' '}
                    <button type="button" onClick={() => void review(s, 'verify')}>
                      Verify
                    </button>{' '}
                    <button type="button" className="danger" onClick={() => void review(s, 'reject')}>
                      Reject
                    </button>
                  </td>
                </>
              ) : (
                <>
                  <td>{countryName(reference, s.country)}</td>
                  <td>{s.note}</td>
                </>
              )}
            </tr>
          ))}
          {items.length === 0 ? (
            <tr>
              <td colSpan={5}>Nothing here.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </Page>
  )
}
