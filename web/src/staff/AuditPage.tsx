/**
 * @module The audit log for staff: filter, page, export, verify the hash chain, see the current
 * signed tree head and check that the log only grew since an older head pasted in.
 */
import { useCallback, useEffect, useState } from 'react'
import { filterParams, get, post } from '../platform/api.ts'
import { Details, type People, PersonRef, useDecimals } from '../platform/format.tsx'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, Field, FilterBar, formatTime, Page, Table } from '../platform/ui.tsx'

const PAGE_SIZE = 25

type Entry = {
  seq: string
  at: string
  actor: string
  action: string
  target: string
  details: Record<string, unknown>
  hash: string
}
type Verify = {
  intact: boolean
  entries: number
  seq?: string
  problem?: string
  message?: string
  head?: { seq: string; hash: string } | null
}
type TreeHead = { size: number; root: string; timestamp: string; publicKey: string }
type Since = { consistent: boolean; seq?: string | null; problem?: string; message: string }

export function AuditPage() {
  const { me } = useSession()
  const [filter, setFilter] = useState({ action: '', actor: '', target: '' })
  const [entries, setEntries] = useState<Entry[]>([])
  const [people, setPeople] = useState<People>({})
  const [nextBefore, setNextBefore] = useState<string | null>(null)
  /** The `before` cursor of each page shown so far; the last one is the current page's. */
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined])
  const decimals = useDecimals()
  const [error, setError] = useState<unknown>(null)
  const [verify, setVerify] = useState<Verify | null>(null)
  const [verifying, setVerifying] = useState(false)
  const [head, setHead] = useState<TreeHead | null>(null)
  const [olderHead, setOlderHead] = useState('')
  const [since, setSince] = useState<Since | null>(null)

  const query = useCallback(
    (before?: string) => {
      const params = filterParams(filter)
      if (before) params.set('before', before)
      params.set('limit', String(PAGE_SIZE))
      return params.toString()
    },
    [filter],
  )

  /** Shows the page that starts before `before` (the newest page without it). */
  const load = useCallback(
    async (before?: string) => {
      setError(null)
      try {
        const page = await get<{ entries: Entry[]; nextBefore: string | null; people: People }>(
          `/api/audit?${query(before)}`,
        )
        setEntries(page.entries)
        setPeople(page.people)
        setNextBefore(page.nextBefore)
      } catch (e) {
        setError(e)
      }
    },
    [query],
  )
  const first = () => {
    setCursors([undefined])
    void load()
  }
  const older = () => {
    if (!nextBefore) return
    setCursors([...cursors, nextBefore])
    void load(nextBefore)
  }
  const newer = () => {
    const back = cursors.slice(0, -1)
    setCursors(back.length ? back : [undefined])
    void load(back[back.length - 1])
  }
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on open; filters apply on submit
  useEffect(() => {
    void load()
    get<TreeHead>('/api/audit/head').then(setHead, setError)
  }, [])

  async function checkSince() {
    setError(null)
    setSince(null)
    let parsed: unknown
    try {
      parsed = JSON.parse(olderHead)
    } catch {
      setSince({
        consistent: false,
        message: 'That is not JSON: paste a head as the page or `bulwark audit checkpoint` gave it.',
      })
      return
    }
    try {
      setSince(await post<Since>('/api/audit/verify-since', { head: parsed }))
      first()
    } catch (e) {
      setError(e)
    }
  }

  async function runVerify() {
    setVerifying(true)
    setError(null)
    try {
      setVerify(await post<Verify>('/api/audit/verify'))
      first()
    } catch (e) {
      setError(e)
    } finally {
      setVerifying(false)
    }
  }

  return (
    <Page
      title="Audit log"
      intro="Every security-relevant action, as leaves of a Merkle tree whose heads are signed with a key kept outside the database: keep a head, and later check that nothing before it was rewritten."
    >
      {head ? (
        <details data-testid="tree-head">
          <summary>
            Signed head: {head.size} entries, root <code>{head.root.slice(0, 16)}…</code>, signed{' '}
            {formatTime(head.timestamp)}
          </summary>
          <pre>{JSON.stringify(head, null, 2)}</pre>
        </details>
      ) : null}
      {can(me, 'audit.verify') ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault()
            void checkSince()
          }}
        >
          <label>
            An older signed head (JSON)
            <textarea
              rows={3}
              maxLength={2000}
              value={olderHead}
              onChange={(e) => setOlderHead(e.target.value)}
            />
          </label>
          <button type="submit" disabled={!olderHead.trim()}>
            Check the log only grew since
          </button>
        </form>
      ) : null}
      {since ? (
        <p className={since.consistent ? 'notice ok' : 'error'} role="status" data-testid="since-result">
          {since.consistent
            ? `Consistent: ${since.message.replace(/^consistent: /, '')}`
            : `Inconsistent${since.seq ? ` at entry #${since.seq}` : ''}: ${since.message}`}
        </p>
      ) : null}
      <div className="row">
        {can(me, 'audit.verify') ? (
          <button onClick={runVerify} disabled={verifying}>
            {verifying ? 'Verifying…' : 'Verify the chain'}
          </button>
        ) : null}
        <a className="button" href={`/api/audit/export?${query()}&format=jsonl`}>
          Export JSON Lines
        </a>
        <a className="button" href={`/api/audit/export?${query()}&format=csv`}>
          Export CSV
        </a>
      </div>
      {verify ? (
        <p className={verify.intact ? 'notice ok' : 'error'} role="status" data-testid="verify-result">
          {verify.intact
            ? `Intact: all ${verify.entries} entries check out${verify.head ? ` (head #${verify.head.seq} ${verify.head.hash.slice(0, 16)}…)` : ''}.`
            : `Broken at entry #${verify.seq} (${verify.problem}): ${verify.message}`}
        </p>
      ) : null}
      <FilterBar onFilter={first}>
        <Field
          label="Action"
          placeholder="e.g. p2p or auth.signin"
          value={filter.action}
          onChange={(action) => setFilter({ ...filter, action })}
        />
        <Field
          label="Actor"
          placeholder="email or name"
          value={filter.actor}
          onChange={(actor) => setFilter({ ...filter, actor })}
        />
        <Field
          label="Target"
          placeholder="email, name or ad:…"
          value={filter.target}
          onChange={(target) => setFilter({ ...filter, target })}
        />
      </FilterBar>
      <p className="hint">
        Each filter matches the start of the value, in any case: "p2p" finds every P2P action. Where people's
        personal data is encrypted (a DATA_KEK is set), a person is found by their whole email only.
      </p>
      <ErrorNote error={error} />
      <Table
        className="audit"
        columns={['#', 'Time', 'Action', 'Actor', 'Target', 'Details']}
        empty="No entries match these filters. Clear a filter, or shorten it: each one matches the start of the value."
      >
        {entries.map((e) => (
          <tr key={e.seq}>
            <td>{e.seq}</td>
            <td>{formatTime(e.at)}</td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>
              <PersonRef value={e.actor} people={people} />
            </td>
            <td>
              <PersonRef value={e.target} people={people} />
            </td>
            <td>
              <Details details={e.details} decimals={decimals} />
            </td>
          </tr>
        ))}
      </Table>
      <nav className="row pager" aria-label="Audit pages">
        <button type="button" className="secondary" disabled={cursors.length <= 1} onClick={newer}>
          Newer entries
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" className="secondary" disabled={!nextBefore} onClick={older}>
          Older entries
        </button>
      </nav>
    </Page>
  )
}
