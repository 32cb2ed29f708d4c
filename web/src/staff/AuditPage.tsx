/**
 * @module The audit log for staff: filter, page, export, and verify the hash chain.
 */
import { useCallback, useEffect, useState } from 'react'
import { filterParams, get, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, Field, FilterBar, formatTime, Page, Table } from '../platform/ui.tsx'

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

export function AuditPage() {
  const { me } = useSession()
  const [filter, setFilter] = useState({ action: '', actor: '', target: '' })
  const [entries, setEntries] = useState<Entry[]>([])
  const [nextBefore, setNextBefore] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [verify, setVerify] = useState<Verify | null>(null)
  const [verifying, setVerifying] = useState(false)

  const query = useCallback(
    (before?: string) => {
      const params = filterParams(filter)
      if (before) params.set('before', before)
      return params.toString()
    },
    [filter],
  )

  const load = useCallback(
    async (before?: string) => {
      setError(null)
      try {
        const page = await get<{ entries: Entry[]; nextBefore: string | null }>(`/api/audit?${query(before)}`)
        setEntries((old) => (before ? [...old, ...page.entries] : page.entries))
        setNextBefore(page.nextBefore)
      } catch (e) {
        setError(e)
      }
    },
    [query],
  )
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on open; filters apply on submit
  useEffect(() => {
    void load()
  }, [])

  async function runVerify() {
    setVerifying(true)
    setError(null)
    try {
      setVerify(await post<Verify>('/api/audit/verify'))
      await load()
    } catch (e) {
      setError(e)
    } finally {
      setVerifying(false)
    }
  }

  return (
    <Page
      title="Audit log"
      intro="Every security-relevant action, chained by SHA-256 so that any change, removal or reordering is detectable."
    >
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
      <FilterBar onFilter={() => void load()}>
        <Field
          label="Action"
          placeholder="e.g. staff. or auth.signin"
          value={filter.action}
          onChange={(action) => setFilter({ ...filter, action })}
        />
        <Field
          label="Actor"
          placeholder="staff:<id>"
          value={filter.actor}
          onChange={(actor) => setFilter({ ...filter, actor })}
        />
        <Field
          label="Target"
          placeholder="user:<id>"
          value={filter.target}
          onChange={(target) => setFilter({ ...filter, target })}
        />
      </FilterBar>
      <ErrorNote error={error} />
      <Table className="audit" columns={['#', 'Time', 'Action', 'Actor', 'Target', 'Details']}>
        {entries.map((e) => (
          <tr key={e.seq}>
            <td>{e.seq}</td>
            <td>{formatTime(e.at)}</td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>{e.actor}</td>
            <td>{e.target}</td>
            <td>
              <code className="details">{JSON.stringify(e.details)}</code>
            </td>
          </tr>
        ))}
      </Table>
      {nextBefore ? <button onClick={() => void load(nextBefore)}>Older entries</button> : null}
    </Page>
  )
}
