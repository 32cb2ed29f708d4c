/**
 * @module The risk analyst console: the alert queue with filters, and for the selected account its
 * timeline (events with the decisions they got), its counterparty graph (exposure to listed
 * addresses in red) and a button to open a case from the selected alerts.
 */
import { useCallback, useEffect, useState } from 'react'
import { filterParams, get, post } from '../platform/api.ts'
import { Account, Ids, shortIds, usePeople } from '../platform/format.tsx'
import { navigate } from '../platform/router.tsx'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, Field, FilterBar, formatTime, Page, Table } from '../platform/ui.tsx'

type Reason = { code: string; text: string; score: number }
type Alert = {
  id: string
  createdAt: string
  eventId: string
  account: string | null
  eventType: string
  decision: 'allow' | 'review' | 'block'
  score: number
  reasons: Reason[]
  status: 'open' | 'in_case' | 'closed'
  caseId: string | null
}
type TimelineEvent = {
  id: string
  at: string
  type: string
  event: Record<string, unknown>
  alert: { id: string; decision: string; score: number; reasons: Reason[] } | null
}
type Counterparty = {
  id: string
  kind: string
  in: number
  out: number
  count: number
  lastAt: string
  exposure: number
  label?: string
}
type Engine = { rulesVersion: string; models: Record<string, string>; stats: Record<string, number> }

export function RiskConsolePage() {
  const { me } = useSession()
  const [filter, setFilter] = useState({ status: 'open', decision: '', account: '', minScore: '' })
  const [alerts, setAlerts] = useState<Alert[]>([])
  const [engine, setEngine] = useState<Engine | null>(null)
  const [account, setAccount] = useState<string | null>(null)
  const [timeline, setTimeline] = useState<TimelineEvent[]>([])
  const [graph, setGraph] = useState<Counterparty[]>([])
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [error, setError] = useState<unknown>(null)
  const people = usePeople([...alerts.map((a) => a.account), account])

  const load = useCallback(async () => {
    setError(null)
    try {
      setAlerts((await get<{ alerts: Alert[] }>(`/api/risk/alerts?${filterParams(filter)}`)).alerts)
      setEngine(await get<Engine>('/api/risk/engine'))
    } catch (e) {
      setError(e)
    }
  }, [filter])
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on open; filters apply on submit
  useEffect(() => {
    void load()
  }, [])

  async function openAccount(a: string) {
    setAccount(a)
    setSelected(new Set())
    try {
      const enc = encodeURIComponent(a)
      setTimeline((await get<{ events: TimelineEvent[] }>(`/api/risk/accounts/${enc}/timeline`)).events)
      setGraph(
        (await get<{ counterparties: Counterparty[] }>(`/api/risk/accounts/${enc}/graph`)).counterparties,
      )
    } catch (e) {
      setError(e)
    }
  }

  async function openCase() {
    if (!account) return
    try {
      const c = await post<{ id: string }>('/api/risk/cases', { account, alertIds: [...selected] })
      navigate(`/staff/risk/cases/${c.id}`)
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="Risk alerts"
      intro={
        engine
          ? `Engine: rules ${engine.rulesVersion}; models ${
              Object.entries(engine.models)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || 'none'
            }; ${engine.stats.events ?? 0} events since start.`
          : 'Alerts raised by the risk engine, highest score first.'
      }
    >
      <FilterBar
        onFilter={() => void load()}
        after={
          <>
            <a className="button" href="/staff/risk/cases">
              Cases
            </a>
            <a className="button" href="/staff/risk/rules">
              Rules
            </a>
          </>
        }
      >
        <label>
          Status
          <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value })}>
            <option value="">any</option>
            <option value="open">open</option>
            <option value="in_case">in a case</option>
            <option value="closed">closed</option>
          </select>
        </label>
        <label>
          Decision
          <select
            value={filter.decision}
            onChange={(e) => setFilter({ ...filter, decision: e.target.value })}
          >
            <option value="">any</option>
            <option value="block">block</option>
            <option value="review">review</option>
            <option value="allow">alert only</option>
          </select>
        </label>
        <Field
          label="Account"
          value={filter.account}
          onChange={(account) => setFilter({ ...filter, account })}
        />
        <Field
          label="Min score"
          inputMode="decimal"
          placeholder="0.5"
          value={filter.minScore}
          onChange={(minScore) => setFilter({ ...filter, minScore })}
        />
      </FilterBar>
      <ErrorNote error={error} />
      <Table
        className="risk-alerts"
        data-testid="risk-alerts"
        columns={['Time', 'Account', 'Event', 'Decision', 'Score', 'Why']}
      >
        {alerts.map((a) => (
          <tr key={a.id} className={a.account === account ? 'selected' : undefined}>
            <td>{formatTime(a.createdAt)}</td>
            <td>
              {a.account ? (
                <button
                  type="button"
                  className="link"
                  style={{ color: '#1a56db' }}
                  onClick={() => void openAccount(a.account!)}
                >
                  <Account id={a.account} people={people} />
                </button>
              ) : (
                '—'
              )}
            </td>
            <td>{a.eventType}</td>
            <td>
              <Badge decision={a.decision} />
            </td>
            <td>{a.score.toFixed(2)}</td>
            <td>{a.reasons.map((r) => r.text).join('; ')}</td>
          </tr>
        ))}
        {alerts.length === 0 ? (
          <tr>
            <td colSpan={6}>No alerts match.</td>
          </tr>
        ) : null}
      </Table>

      {account ? (
        <section className="risk-account" data-testid="risk-account">
          <h2>
            Account <Account id={account} people={people} />
          </h2>
          <div className="row">
            {can(me, 'risk.cases.manage') ? (
              <button onClick={() => void openCase()}>
                Open a case
                {selected.size ? ` with ${selected.size} alert${selected.size > 1 ? 's' : ''}` : ''}
              </button>
            ) : null}
          </div>
          <h3>Counterparties</h3>
          <CounterpartyGraph account={people[account]?.name ?? shortIds(account)} nodes={graph} />
          <h3>Timeline</h3>
          <Table className="risk-timeline" columns={['', 'Time', 'Event', 'Details', 'Decision']}>
            {timeline.map((e) => (
              <tr key={e.id}>
                <td>
                  {e.alert ? (
                    <input
                      type="checkbox"
                      aria-label={`select alert ${e.id}`}
                      checked={selected.has(e.alert.id)}
                      onChange={(ev) => {
                        const next = new Set(selected)
                        if (ev.target.checked) next.add(e.alert!.id)
                        else next.delete(e.alert!.id)
                        setSelected(next)
                      }}
                    />
                  ) : null}
                </td>
                <td>{formatTime(e.at)}</td>
                <td>{e.type}</td>
                <td>
                  <code className="details">
                    <Ids text={summarise(e.event)} />
                  </code>
                </td>
                <td>
                  {e.alert ? (
                    <>
                      <Badge decision={e.alert.decision} /> {e.alert.reasons.map((r) => r.text).join('; ')}
                    </>
                  ) : (
                    'allow'
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </section>
      ) : null}
    </Page>
  )
}

const BADGE: Record<string, string> = { block: '#c62828', review: '#ef6c00', allow: '#546e7a' }

export function Badge({ decision }: { decision: string }) {
  return (
    <strong
      style={{ color: '#fff', background: BADGE[decision] ?? '#546e7a', borderRadius: 4, padding: '1px 6px' }}
    >
      {decision}
    </strong>
  )
}

function summarise(e: Record<string, unknown>): string {
  const keys = [
    'amount',
    'valueUsd',
    'asset',
    'to',
    'from',
    'counterparty',
    'address',
    'device',
    'ip',
    'country',
  ]
  return keys
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}=${String(e[k])}`)
    .join(' ')
}

/** A radial view: the account in the middle, counterparties around it, red where exposed to a listed address. */
export function CounterpartyGraph({ account, nodes }: { account: string; nodes: Counterparty[] }) {
  const shown = nodes.slice(0, 24)
  const size = 420
  const c = size / 2
  const r = size / 2 - 60
  const maxCount = Math.max(1, ...shown.map((n) => n.count))
  return (
    <svg
      viewBox={`0 0 ${size} ${size}`}
      width={size}
      height={size}
      role="img"
      aria-label={`Counterparty graph of ${account}`}
      data-testid="risk-graph"
    >
      {shown.map((n, i) => {
        const a = (2 * Math.PI * i) / Math.max(shown.length, 1)
        const x = c + r * Math.cos(a)
        const y = c + r * Math.sin(a)
        const risky = n.exposure >= 0.3
        return (
          <g key={n.id}>
            <line
              x1={c}
              y1={c}
              x2={x}
              y2={y}
              stroke={risky ? '#c62828' : '#90a4ae'}
              strokeWidth={1 + (3 * n.count) / maxCount}
            />
            <circle
              cx={x}
              cy={y}
              r={8}
              fill={risky ? '#c62828' : n.kind === 'account' ? '#5c6bc0' : '#26a69a'}
            >
              <title>
                {`${n.id}\nin ${n.in.toFixed(2)} / out ${n.out.toFixed(2)} over ${n.count} transfer(s)${n.label ? `\nexposure ${n.exposure.toFixed(2)}: ${n.label}` : ''}`}
              </title>
            </circle>
            <text x={x} y={y + 20} fontSize="9" textAnchor="middle">
              {n.id.length > 14 ? `${n.id.slice(0, 8)}…${n.id.slice(-4)}` : n.id}
            </text>
          </g>
        )
      })}
      <circle cx={c} cy={c} r={14} fill="#37474f" />
      <text x={c} y={c + 30} fontSize="11" textAnchor="middle" fontWeight="bold">
        {account}
      </text>
    </svg>
  )
}
