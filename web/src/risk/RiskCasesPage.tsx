/**
 * @module Risk cases: the list of cases, and one case with its alerts and notes, where an analyst
 * assigns it, adds notes and resolves it as fraud or not fraud (the resolution becomes a label).
 * A case says who opened it: a staff member, or Bulwark itself (a held deposit, a duplicate
 * identity document) with its reasons and what it is linked to.
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { Account, shortIds, usePeople } from '../platform/format.tsx'
import { Link } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { Badge } from './RiskConsolePage.tsx'

type Case = {
  id: string
  account: string
  status: 'open' | 'resolved'
  assignee: string | null
  resolution: 'fraud' | 'not_fraud' | null
  createdAt: string
  updatedAt: string
  resolvedAt: string | null
  openedBy:
    | { kind: 'staff'; staffId: string }
    | { kind: 'system'; source: 'deposit_screening' | 'identity_duplicate'; label: string }
  reasons: { code: string; text: string }[]
  links: { kind: 'account' | 'deposit' | 'identity_verification'; ref: string }[]
}
type CaseDetail = Case & {
  alerts: {
    id: string
    eventType: string
    decision: string
    score: number
    reasons: { text: string }[]
    createdAt: string
  }[]
  notes: { id: string; author: string; body: string; createdAt: string }[]
}

export function RiskCasesPage() {
  const [cases, setCases] = useState<Case[]>([])
  const [error, setError] = useState<unknown>(null)
  const people = usePeople(
    cases.flatMap((c) => [c.account, c.openedBy.kind === 'staff' ? c.openedBy.staffId : null]),
  )
  useEffect(() => {
    get<{ cases: Case[] }>('/api/risk/cases')
      .then((r) => setCases(r.cases))
      .catch(setError)
  }, [])
  return (
    <Page
      title="Risk cases"
      intro="Investigations opened from alerts, and by Bulwark itself for held deposits and duplicate identity documents. Resolutions feed the next training run."
    >
      <ErrorNote error={error} />
      <table>
        <thead>
          <tr>
            <th>Opened</th>
            <th>Account</th>
            <th>Opened by</th>
            <th>Status</th>
            <th>Resolution</th>
          </tr>
        </thead>
        <tbody>
          {cases.length === 0 ? (
            <tr>
              <td colSpan={5} className="empty">
                No cases yet. Open one from an alert on the <Link to="/staff/risk">Risk alerts</Link> page.
              </td>
            </tr>
          ) : null}
          {cases.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/staff/risk/cases/${c.id}`}>{formatTime(c.createdAt)}</Link>
              </td>
              <td>
                <Account id={c.account} people={people} />
              </td>
              <td>
                <OpenedBy c={c} people={people} />
              </td>
              <td>{c.status}</td>
              <td>{c.resolution ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  )
}

function OpenedBy({ c, people }: { c: Case; people: ReturnType<typeof usePeople> }) {
  return c.openedBy.kind === 'system' ? (
    <>{c.openedBy.label}</>
  ) : (
    <Account id={c.openedBy.staffId} people={people} />
  )
}

const LINK_WORDS: Record<Case['links'][number]['kind'], string> = {
  account: 'Account',
  deposit: 'Deposit',
  identity_verification: 'Identity verification',
}

export function RiskCasePage({ id }: { id: string }) {
  const { me } = useSession()
  const [c, setCase] = useState<CaseDetail | null>(null)
  const [note, setNote] = useState('')
  const [error, setError] = useState<unknown>(null)
  const people = usePeople(
    c
      ? [
          c.account,
          c.assignee,
          c.openedBy.kind === 'staff' ? c.openedBy.staffId : null,
          ...c.links.filter((l) => l.kind === 'account').map((l) => l.ref),
          ...c.notes.map((n) => n.author),
        ]
      : [],
  )
  const load = useCallback(async () => {
    try {
      setCase(await get<CaseDetail>(`/api/risk/cases/${id}`))
    } catch (e) {
      setError(e)
    }
  }, [id])
  useEffect(() => {
    void load()
  }, [load])

  async function act(path: string, body: unknown) {
    setError(null)
    try {
      await post(`/api/risk/cases/${id}/${path}`, body)
      await load()
    } catch (e) {
      setError(e)
    }
  }

  if (!c) return <Page title="Case">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  const manage = can(me, 'risk.cases.manage') && c.status === 'open'
  return (
    <Page
      title={`Case on ${people[c.account]?.name ?? shortIds(c.account)}`}
      intro={`Opened ${formatTime(c.createdAt)}; ${c.status}${c.resolution ? `: ${c.resolution}` : ''}.`}
    >
      <ErrorNote error={error} />
      <p data-testid="case-opened-by">
        Opened by <OpenedBy c={c} people={people} />
      </p>
      <p data-testid="case-status">
        Status: <strong>{c.status}</strong>
        {c.resolution ? ` — ${c.resolution === 'fraud' ? 'fraud' : 'not fraud'}` : ''}; assignee:{' '}
        {c.assignee === me?.user.id ? (
          'you'
        ) : c.assignee ? (
          <Account id={c.assignee} people={people} />
        ) : (
          'nobody'
        )}
      </p>
      {manage ? (
        <div className="row">
          {c.assignee !== me?.user.id ? (
            <button onClick={() => void act('assign', {})}>Assign to me</button>
          ) : null}
          <button onClick={() => void act('resolve', { resolution: 'fraud' })}>Resolve: fraud</button>
          <button onClick={() => void act('resolve', { resolution: 'not_fraud' })}>Resolve: not fraud</button>
        </div>
      ) : null}
      {c.reasons.length > 0 ? (
        <>
          <h2>Why</h2>
          <ul data-testid="case-reasons">
            {c.reasons.map((r) => (
              <li key={`${r.code}:${r.text}`}>
                <code>{r.code}</code>: {r.text}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {c.links.some((l) => l.kind !== 'account' || l.ref !== c.account) ? (
        <>
          <h2>Linked</h2>
          <ul data-testid="case-links">
            {c.links.map((l) => (
              <li key={`${l.kind}:${l.ref}`}>
                {LINK_WORDS[l.kind]}:{' '}
                {l.kind === 'account' ? <Account id={l.ref} people={people} /> : <code>{l.ref}</code>}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Alerts</h2>
      <ul>
        {c.alerts.map((a) => (
          <li key={a.id}>
            {formatTime(a.createdAt)} {a.eventType}: <Badge decision={a.decision} /> {a.score.toFixed(2)} —{' '}
            {a.reasons.map((r) => r.text).join('; ')}
          </li>
        ))}
        {c.alerts.length === 0 ? <li>No alerts linked.</li> : null}
      </ul>
      <h2>Notes</h2>
      <ul data-testid="case-notes">
        {c.notes.map((n) => (
          <li key={n.id}>
            {formatTime(n.createdAt)}, <Account id={n.author} people={people} />: {n.body}
          </li>
        ))}
      </ul>
      {can(me, 'risk.cases.manage') ? (
        <form
          onSubmit={(e: FormEvent) => {
            e.preventDefault()
            if (note.trim()) void act('notes', { body: note.trim() }).then(() => setNote(''))
          }}
        >
          <label>
            Add a note
            <textarea value={note} maxLength={4000} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit">Add note</button>
        </form>
      ) : null}
    </Page>
  )
}
