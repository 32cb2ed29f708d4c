/**
 * @module The Security center: checklist score with a path to fix each item, withdrawal lock,
 * anti-phishing code, and security alerts pushed live (Server-Sent Events) with "This wasn't me".
 */
import { useCallback, useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Page, Table } from '../platform/ui.tsx'

export type Overview = {
  score: number
  checklist: Array<{ id: string; label: string; done: boolean; fixPath: string }>
  antiPhishingCode: string | null
  twoFactor: { totp: boolean; passkeys: number; lockedUntil: string | null }
  emailConfirmed: boolean
  frozen: boolean
  withdrawalLock: { locked: boolean; until: string | null; reason: string | null }
}

type Alert = {
  id: string
  kind: string
  title: string
  at: string
  details: Record<string, unknown>
  wasntMeAt: string | null
  antiPhishingCode: string | null
}

const lockReasons: Record<string, string> = {
  password_changed: 'password change',
  two_factor_changed: 'two-factor change',
  passkeys_changed: 'passkey change',
  anti_phishing_changed: 'anti-phishing code change',
  whitelist_changed: 'whitelist change',
  new_device_after_password_change: 'new device after a password change',
  email_changed: 'email change',
  account_recovered: 'account recovery',
}

export function WithdrawalLockNote({ lock }: { lock: Overview['withdrawalLock'] }) {
  if (!lock.locked || !lock.until) return <p className="ok">Withdrawals are not locked.</p>
  return (
    <p className="warn" data-testid="withdrawal-lock">
      Withdrawals are locked until <strong>{formatTime(lock.until)}</strong> after a{' '}
      {lockReasons[lock.reason ?? ''] ?? 'security change'}. Nobody, support included, can shorten this.
    </p>
  )
}

export function SecurityCenterPage() {
  const [overview, setOverview] = useState<Overview | null>(null)
  const [alerts, setAlerts] = useState<Alert[]>([])
  const [live, setLive] = useState<Alert | null>(null)
  const [error, setError] = useState<unknown>(null)
  const load = useCallback(async () => {
    try {
      setOverview(await get<Overview>('/api/accounts/security'))
      setAlerts((await get<{ alerts: Alert[] }>('/api/accounts/alerts')).alerts)
    } catch (e) {
      setError(e)
    }
  }, [])
  useEffect(() => {
    void load()
    const source = new EventSource('/api/accounts/alerts/stream')
    source.addEventListener('alert', (event) => {
      const alert = JSON.parse((event as MessageEvent<string>).data) as Alert
      setLive(alert)
      setAlerts((list) => [alert, ...list.filter((a) => a.id !== alert.id)])
      void load()
    })
    return () => source.close()
  }, [load])

  async function wasntMe(id: string) {
    if (
      !window.confirm('Freeze your account? Withdrawals, changes and API keys stop until support reviews it.')
    )
      return
    try {
      await post(`/api/accounts/alerts/${id}/wasnt-me`)
      setLive(null)
      await load()
    } catch (e) {
      setError(e)
    }
  }

  if (!overview)
    return <Page title="Security center">{error ? <ErrorNote error={error} /> : <p>Loading…</p>}</Page>
  return (
    <Page title="Security center">
      {overview.frozen ? (
        <p className="error" role="alert" data-testid="frozen">
          Your account is frozen after a "This wasn't me" report. You can look around; changes, withdrawals
          and API keys are stopped until our support team reviews it with you.
        </p>
      ) : null}
      {live ? (
        <div className="notice accounts-live" role="alert" data-testid="live-alert">
          <p>
            <strong>{live.title}</strong> — {formatTime(live.at)}
            {live.antiPhishingCode ? (
              <span className="accounts-code"> Your code: {live.antiPhishingCode}</span>
            ) : null}
          </p>
          <button type="button" onClick={() => wasntMe(live.id)}>
            This wasn't me
          </button>{' '}
          <button type="button" className="link" onClick={() => setLive(null)}>
            It was me
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
      <div className="cards">
        <div className="card">
          <h2>
            Protection score: <span data-testid="score">{overview.score}%</span>
          </h2>
          <ul className="accounts-checklist">
            {overview.checklist.map((item) => (
              <li key={item.id} data-done={item.done}>
                {item.done ? '✔' : '✘'} {item.label}{' '}
                {item.done ? null : (
                  <Link to={item.fixPath} className="button">
                    Fix
                  </Link>
                )}
              </li>
            ))}
          </ul>
        </div>
        <div className="card">
          <h2>Withdrawals</h2>
          <WithdrawalLockNote lock={overview.withdrawalLock} />
          <p>
            <Link to="/security/whitelist">Whitelist</Link> · <Link to="/security/api-keys">API keys</Link>
          </p>
          <h2>Anti-phishing code</h2>
          <p data-testid="anti-phishing-code">
            {overview.antiPhishingCode ? (
              <strong className="accounts-code">{overview.antiPhishingCode}</strong>
            ) : (
              'Not set.'
            )}{' '}
            <Link to="/security/anti-phishing">Change</Link>
          </p>
        </div>
        <div className="card">
          <h2>Settings</h2>
          <ul>
            <li>
              <Link to="/security/password">Password</Link>
            </li>
            <li>
              <Link to="/security/email">Email address</Link>
            </li>
            <li>
              <Link to="/security/two-factor">Authenticator app and recovery codes</Link>
            </li>
            <li>
              <Link to="/security/passkeys">Passkeys</Link>
            </li>
            <li>
              <Link to="/security/devices">Devices</Link>
            </li>
            <li>
              <Link to="/security/learn">Security tips and common scams</Link>
            </li>
          </ul>
        </div>
      </div>
      <h2>Recent security alerts</h2>
      <Table
        columns={['When', 'What', 'Details', '']}
        empty="No alerts yet. We add one here, and email you, whenever someone signs in or your security settings change."
      >
        {alerts.map((a) => (
          <tr key={a.id}>
            <td>{formatTime(a.at)}</td>
            <td>{a.title}</td>
            <td>
              {Object.entries(a.details)
                .map(([k, v]) => `${k}: ${String(v)}`)
                .join(', ')}
            </td>
            <td>
              {a.wasntMeAt ? (
                'Reported'
              ) : overview.frozen ? null : (
                <button type="button" className="link" onClick={() => wasntMe(a.id)}>
                  This wasn't me
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
    </Page>
  )
}
