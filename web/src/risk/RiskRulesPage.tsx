/**
 * @module Risk rules: the rule document in force, an editor for the next version, a backtest of the
 * draft on stored history (alerts per rule, on which accounts), and enabling it without a restart.
 */
import { useCallback, useEffect, useState } from 'react'
import { api, get, post } from '../platform/api.ts'
import { can, useSession } from '../platform/session.tsx'
import { ErrorNote, Page } from '../platform/ui.tsx'

type Backtest = {
  rulesVersion: string
  events: number
  rules: {
    rule: string
    hits: number
    accounts: number
    topAccounts: { account: string; hits: number }[]
    decisions: { block: number; review: number; alert: number }
  }[]
}

export function RiskRulesPage() {
  const { me } = useSession()
  const [current, setCurrent] = useState<{ version: string; enabledAt: string | null } | null>(null)
  const [draft, setDraft] = useState('')
  const [days, setDays] = useState('30')
  const [report, setReport] = useState<Backtest | null>(null)
  const [status, setStatus] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  const load = useCallback(async () => {
    const r = await get<{ version: string; document: unknown; enabledAt: string | null }>('/api/risk/rules')
    setCurrent(r)
    setDraft(JSON.stringify(r.document, null, 2))
  }, [])
  useEffect(() => {
    load().catch(setError)
  }, [load])

  function parsed(): Record<string, unknown> | undefined {
    try {
      return JSON.parse(draft) as Record<string, unknown>
    } catch (e) {
      setError(new Error(`The draft is not valid JSON: ${(e as Error).message}`))
      return undefined
    }
  }

  async function backtest() {
    setError(null)
    setStatus(null)
    const doc = parsed()
    if (!doc) return
    try {
      setReport(await post<Backtest>('/api/risk/backtest', { rules: doc, days: Number(days) || 30 }))
    } catch (e) {
      setError(e)
    }
  }

  async function enable() {
    setError(null)
    const doc = parsed()
    if (!doc) return
    try {
      const r = await api<{ version: string }>('PUT', '/api/risk/rules', { document: doc })
      setStatus(`Rules ${r.version} are now in force.`)
      await load()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Page
      title="Risk rules"
      intro={
        current
          ? `In force: ${current.version}${current.enabledAt ? ` (enabled ${current.enabledAt})` : ' (bundled default)'}.`
          : ''
      }
    >
      <ErrorNote error={error} />
      {status ? (
        <p className="notice ok" role="status">
          {status}
        </p>
      ) : null}
      <label>
        Rule document (JSON; give a new version)
        <textarea
          rows={20}
          spellCheck={false}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          style={{ width: '100%', fontFamily: 'monospace' }}
        />
      </label>
      <div className="row">
        <label>
          Backtest over the last days
          <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <button onClick={() => void backtest()}>Backtest</button>
        {can(me, 'risk.rules.manage') ? (
          <button onClick={() => void enable()}>Enable this version</button>
        ) : null}
      </div>
      {report ? (
        <table data-testid="backtest">
          <caption>
            Backtest of {report.rulesVersion} over {report.events} stored events
          </caption>
          <thead>
            <tr>
              <th>Rule</th>
              <th>Alerts</th>
              <th>Accounts</th>
              <th>Most hits</th>
            </tr>
          </thead>
          <tbody>
            {report.rules.map((r) => (
              <tr key={r.rule}>
                <td>{r.rule}</td>
                <td>{r.hits}</td>
                <td>{r.accounts}</td>
                <td>{r.topAccounts.map((a) => `${a.account} (${a.hits})`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  )
}
