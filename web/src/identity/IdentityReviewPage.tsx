/**
 * @module Compliance: the identity review queue. Each verification shows the document photo and
 * the selfie (every view is audit-logged by the server), the fields read from the MRZ, the scores
 * and the reasons it is here, any other account with the same document; the officer approves or
 * rejects with a note. Approval sets the customer's P2P country from the document.
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'

type Item = {
  id: string
  userId: string
  email: string
  displayName: string
  status: 'approved' | 'rejected' | 'review'
  documentFormat: string | null
  documentType: string | null
  country: string | null
  fields: Record<string, string | null> | null
  reasons: Array<{ code: string; detail: string }>
  scores: {
    mrzChecks: { valid: number; total: number } | null
    ocrConfidence: number | null
    faceSimilarity: number | null
    /** Similarity of the selfie to the face of the head-turn check, when one was used. */
    livenessSimilarity?: number | null
  }
  duplicates: Array<{ kind: string; userId: string; email: string }>
  reviewNote: string | null
  createdAt: string
  decidedAt: string | null
  imagesDeletedAt: string | null
}

const imageStyle = { maxWidth: '100%', maxHeight: 320 }

const FIELD_LABELS: Record<string, string> = {
  surname: 'Surname',
  givenNames: 'Given names',
  documentNumber: 'Document number',
  nationality: 'Nationality',
  issuingState: 'Issuing state',
  birthDate: 'Date of birth',
  expiryDate: 'Expiry date',
  sex: 'Sex',
}

export function IdentityReviewPage() {
  const [status, setStatus] = useState<Item['status']>('review')
  const [items, setItems] = useState<Item[]>([])
  const [notes, setNotes] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')

  const load = useCallback(async () => {
    try {
      setItems(
        (await get<{ verifications: Item[] }>(`/api/identity/staff/verifications?status=${status}`))
          .verifications,
      )
    } catch (e) {
      setError(e)
    }
  }, [status])
  useEffect(() => {
    void load()
  }, [load])

  async function decide(item: Item, decision: 'approved' | 'rejected') {
    setError(null)
    try {
      await post(`/api/identity/staff/verifications/${item.id}/decision`, {
        decision,
        note: notes[item.id] ?? '',
      })
      setNotice(`${item.email}: ${decision}.`)
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="Identity verifications"
      intro="Compare the selfie with the document photo, check the fields and the reasons, then decide with a note. Every image view and decision is audit-logged."
    >
      <label>
        Show{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value as Item['status'])}>
          <option value="review">Waiting for review</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
        </select>
      </label>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorNote error={error} fields={['note']} />
      {items.length === 0 ? <p>Nothing here.</p> : null}
      {items.map((item) => (
        <article key={item.id} className="identity-item" data-email={item.email}>
          <h2>
            {item.displayName} <small>{item.email}</small>
          </h2>
          <p>
            Submitted {formatTime(item.createdAt)} · {item.documentType ?? 'unreadable document'}
            {item.documentFormat ? ` (${item.documentFormat})` : ''} · country {item.country ?? 'none'}
          </p>
          {item.imagesDeletedAt ? (
            <p>Images deleted at the end of the retention period ({formatTime(item.imagesDeletedAt)}).</p>
          ) : (
            <div className="identity-images" style={{ display: 'flex', flexWrap: 'wrap', gap: 12 }}>
              <figure>
                <img
                  style={imageStyle}
                  src={`/api/identity/staff/verifications/${item.id}/images/document`}
                  alt={`Document of ${item.email}`}
                />
                <figcaption>Document</figcaption>
              </figure>
              <figure>
                <img
                  style={imageStyle}
                  src={`/api/identity/staff/verifications/${item.id}/images/selfie`}
                  alt={`Selfie of ${item.email}`}
                />
                <figcaption>Selfie</figcaption>
              </figure>
            </div>
          )}
          {item.fields ? (
            <dl className="identity-fields">
              {Object.entries(FIELD_LABELS).map(([key, label]) => (
                <div key={key}>
                  <dt>{label}</dt>
                  <dd>{item.fields?.[key] ?? '—'}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          <p>
            MRZ check digits:{' '}
            {item.scores.mrzChecks
              ? `${item.scores.mrzChecks.valid}/${item.scores.mrzChecks.total} valid`
              : 'not read'}{' '}
            · OCR confidence:{' '}
            {item.scores.ocrConfidence === null
              ? 'typed by the customer'
              : item.scores.ocrConfidence.toFixed(2)}{' '}
            · Face similarity:{' '}
            {item.scores.faceSimilarity === null ? 'not measured' : item.scores.faceSimilarity.toFixed(2)}
            {typeof item.scores.livenessSimilarity === 'number'
              ? ` · Selfie vs head-turn check: ${item.scores.livenessSimilarity.toFixed(2)}`
              : null}
          </p>
          <ul className="identity-reasons">
            {item.reasons.map((r) => (
              <li key={`${r.code}:${r.detail}`} data-code={r.code}>
                <strong>{r.code}</strong>: {r.detail}
              </li>
            ))}
          </ul>
          {item.duplicates.length > 0 ? (
            <p className="error">
              Same {item.duplicates[0]!.kind} on: {item.duplicates.map((d) => d.email).join(', ')}
            </p>
          ) : null}
          {item.status === 'review' ? (
            <div>
              <textarea
                aria-label={`Note for ${item.email}`}
                placeholder="Why (required, audit-logged)"
                value={notes[item.id] ?? ''}
                onChange={(e) => setNotes({ ...notes, [item.id]: e.target.value })}
              />{' '}
              <button type="button" onClick={() => void decide(item, 'approved')}>
                Approve
              </button>{' '}
              <button type="button" className="danger" onClick={() => void decide(item, 'rejected')}>
                Reject
              </button>
            </div>
          ) : (
            <p>
              {item.status} {item.decidedAt ? formatTime(item.decidedAt) : ''}
              {item.reviewNote ? `: ${item.reviewNote}` : ''}
            </p>
          )}
        </article>
      ))}
    </Page>
  )
}
