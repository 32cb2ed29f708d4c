/**
 * @module Security center settings: password, authenticator app and recovery codes, passkeys,
 * anti-phishing code, devices, withdrawal whitelist and API keys.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react'
import { del, get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, formatTime, Page } from '../platform/ui.tsx'
import { FactorField, PasswordMeter, passwordRules } from './common.tsx'
import { type Overview, WithdrawalLockNote } from './SecurityCenterPage.tsx'

/** Runs an action, keeping its error and a success message. */
function useAction() {
  const [error, setError] = useState<unknown>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    setMessage(null)
    try {
      const m = await fn()
      if (typeof m === 'string') setMessage(m)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }, [])
  const status: ReactNode = (
    <>
      <ErrorNote error={error} />
      {message ? (
        <p className="ok" role="status">
          {message}
        </p>
      ) : null}
    </>
  )
  return { run, busy, status }
}

/** Loads `url` when the page opens; `reload()` fetches it again after a change. */
function useLoaded<T>(url: string): { data: T | null; reload: () => Promise<void> } {
  const [data, setData] = useState<T | null>(null)
  const reload = useCallback(() => get<T>(url).then(setData), [url])
  useEffect(() => {
    void reload()
  }, [reload])
  return { data, reload }
}

function useOverview() {
  const { data: overview, reload } = useLoaded<Overview>('/api/accounts/security')
  return { overview, reload }
}

const back = (
  <p>
    <Link to="/security">← Security center</Link>
  </p>
)

export function PasswordPage() {
  const { overview } = useOverview()
  const [currentPassword, setCurrent] = useState('')
  const [newPassword, setNew] = useState('')
  const [totpCode, setCode] = useState('')
  const { run, busy, status } = useAction()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    void run(
      async () =>
        (
          await post<{ message: string }>('/api/accounts/password', {
            currentPassword,
            newPassword,
            ...(totpCode ? { totpCode } : {}),
          })
        ).message,
    )
  }
  return (
    <Page title="Password" intro={passwordRules}>
      {back}
      <form onSubmit={submit} className="stack narrow">
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(e) => setNew(e.target.value)}
          />
        </label>
        <PasswordMeter password={newPassword} />
        {overview?.twoFactor.totp ? <FactorField value={totpCode} onChange={setCode} /> : null}
        <p>Changing your password signs you out everywhere else and locks withdrawals for 24 hours.</p>
        {status}
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
    </Page>
  )
}

export function TwoFactorPage() {
  const { overview, reload } = useOverview()
  const [setup, setSetup] = useState<{ secret: string; qrDataUrl: string } | null>(null)
  const [code, setCode] = useState('')
  const [codes, setCodes] = useState<string[] | null>(null)
  const { run, busy, status } = useAction()
  if (!overview) return <Page title="Two-factor authentication">Loading…</Page>
  return (
    <Page
      title="Two-factor authentication"
      intro="An authenticator app (Google Authenticator, Aegis, 1Password…) shows a new 6-digit code every 30 seconds."
    >
      {back}
      {codes ? (
        <div className="card" data-testid="recovery-codes">
          <h2>Your recovery codes</h2>
          <p>Each works once if you lose your phone. Store them offline; they are not shown again.</p>
          <ol className="accounts-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      {overview.twoFactor.totp ? (
        <div className="stack narrow">
          <p className="ok" data-testid="totp-on">
            Two-factor authentication is on.
          </p>
          <FactorField value={code} onChange={setCode} />
          {status}
          <div className="row">
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () =>
                  setCodes(
                    (
                      await post<{ recoveryCodes: string[] }>('/api/accounts/recovery-codes', {
                        totpCode: code,
                      })
                    ).recoveryCodes,
                  ),
                )
              }
            >
              New recovery codes
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  const m = (
                    await post<{ message: string }>('/api/accounts/totp/disable', { totpCode: code })
                  ).message
                  await reload()
                  return m
                })
              }
            >
              Turn off
            </button>
          </div>
        </div>
      ) : setup ? (
        <form
          className="stack narrow"
          onSubmit={(e) => {
            e.preventDefault()
            void run(async () => {
              setCodes(
                (await post<{ recoveryCodes: string[] }>('/api/accounts/totp/confirm', { code }))
                  .recoveryCodes,
              )
              setSetup(null)
              setCode('')
              await reload()
              return 'Two-factor authentication is on. Withdrawals are locked for 24 hours.'
            })
          }}
        >
          <img src={setup.qrDataUrl} alt="QR code for your authenticator app" width={220} height={220} />
          <p>
            Can't scan? Enter this key: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <FactorField value={code} onChange={setCode} label="Code shown by the app" />
          {status}
          <button type="submit" disabled={busy}>
            Turn on
          </button>
        </form>
      ) : (
        <div className="stack narrow">
          {status}
          <button
            type="button"
            disabled={busy}
            onClick={() => run(async () => setSetup(await post('/api/accounts/totp/setup')))}
          >
            Set up an authenticator app
          </button>
        </div>
      )}
    </Page>
  )
}

type Passkey = { id: string; name: string; createdAt: string; lastUsedAt: string | null }

export function PasskeysPage() {
  const { data, reload: load } = useLoaded<{ passkeys: Passkey[] }>('/api/accounts/passkeys')
  const keys = data?.passkeys ?? []
  const [name, setName] = useState('My passkey')
  const { run, busy, status } = useAction()
  return (
    <Page
      title="Passkeys"
      intro="A passkey lives on your phone, computer or security key and only answers to the real Bulwark site, so a fake page cannot phish it."
    >
      {back}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Added</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>{formatTime(k.createdAt)}</td>
              <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    run(async () => {
                      await del(`/api/accounts/passkeys/${encodeURIComponent(k.id)}`)
                      await load()
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault()
          void run(async () => {
            const options = await post<Parameters<typeof startRegistration>[0]['optionsJSON']>(
              '/api/accounts/passkeys/registration-options',
            )
            const response = await startRegistration({ optionsJSON: options })
            await post('/api/accounts/passkeys', { name, response })
            await load()
            return 'Passkey added. Withdrawals are locked for 24 hours.'
          })
        }}
      >
        <label>
          Name
          <input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </label>
        {status}
        <button type="submit" disabled={busy}>
          Add a passkey
        </button>
      </form>
    </Page>
  )
}

/** Second factor for a sensitive action: the TOTP code field, or a passkey. */
function useFactor() {
  const [totpCode, setCode] = useState('')
  const field = <FactorField value={totpCode} onChange={setCode} />
  async function factor(withPasskey: boolean): Promise<Record<string, unknown>> {
    if (!withPasskey) return totpCode ? { totpCode } : {}
    const options = await post<Parameters<typeof startAuthentication>[0]['optionsJSON']>(
      '/api/accounts/passkeys/authentication-options',
    )
    return { passkeyResponse: await startAuthentication({ optionsJSON: options }) }
  }
  return { field, factor, reset: () => setCode('') }
}

export function AntiPhishingPage() {
  const { overview, reload } = useOverview()
  const [code, setCode] = useState('')
  const f = useFactor()
  const { run, busy, status } = useAction()
  return (
    <Page
      title="Anti-phishing code"
      intro="Choose 4 to 20 letters or digits. Every email and security notice from Bulwark shows this code. If a message that looks like ours does not show it, it is fake: do not click anything in it."
    >
      {back}
      <p>
        Current code:{' '}
        {overview?.antiPhishingCode ? (
          <strong className="accounts-code">{overview.antiPhishingCode}</strong>
        ) : (
          'not set'
        )}
      </p>
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault()
          void run(async () => {
            const m = (
              await post<{ message: string }>('/api/accounts/anti-phishing', {
                code,
                ...(await f.factor(false)),
              })
            ).message
            await reload()
            f.reset()
            return m
          })
        }}
      >
        <label>
          New code
          <input
            name="antiPhishingCode"
            required
            pattern="[A-Za-z0-9]{4,20}"
            maxLength={20}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        {overview?.twoFactor.totp ? f.field : null}
        {status}
        <button type="submit" disabled={busy}>
          Save code
        </button>
      </form>
    </Page>
  )
}

type Device = {
  id: string
  description: string
  userAgent: string
  ip: string
  place: string | null
  status: string
  createdAt: string
  lastSeenAt: string
  current: boolean
}

export function DevicesPage() {
  const { data, reload: load } = useLoaded<{ devices: Device[] }>('/api/accounts/devices')
  const devices = data?.devices ?? []
  const { run, busy, status } = useAction()
  return (
    <Page
      title="Devices"
      intro="Every browser that signed in to your account. Removing a device signs it out at once; it will need a new email approval to come back."
    >
      {back}
      <table>
        <thead>
          <tr>
            <th>Device</th>
            <th>IP / place</th>
            <th>Last seen</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.id} title={d.userAgent}>
              <td>
                {d.description} {d.current ? <small>(this device)</small> : null}
              </td>
              <td>
                {d.ip} {d.place ? `· ${d.place}` : '· place unknown'}
              </td>
              <td>{formatTime(d.lastSeenAt)}</td>
              <td>{d.status === 'trusted' ? 'approved' : 'waiting for approval'}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  disabled={busy}
                  onClick={() =>
                    run(async () => {
                      const r = await del<{ sessionsEnded: number }>(`/api/accounts/devices/${d.id}`)
                      await load()
                      return `Removed; ${r.sessionsEnded} session(s) ended.`
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {status}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          run(async () => (await post<{ message: string }>('/api/accounts/devices/reviewed')).message)
        }
      >
        I have reviewed my devices
      </button>
    </Page>
  )
}

type Whitelist = {
  enabled: boolean
  requested: boolean
  turnsOffAt: string | null
  entries: Array<{
    id: string
    network: string
    address: string
    label: string
    createdAt: string
    usableAt: string
    usable: boolean
  }>
}
const networks = ['ethereum', 'polygon', 'bsc', 'arbitrum', 'optimism', 'base', 'bitcoin', 'bitcoin-testnet']

export function WhitelistPage() {
  const { overview, reload } = useOverview()
  const { data: list, reload: reloadList } = useLoaded<Whitelist>('/api/accounts/whitelist')
  const [network, setNetwork] = useState('ethereum')
  const [address, setAddress] = useState('')
  const [label, setLabel] = useState('')
  const f = useFactor()
  const { run, busy, status } = useAction()
  const load = useCallback(async () => {
    await Promise.all([reloadList(), reload()])
  }, [reloadList, reload])
  const passkeys = (overview?.twoFactor.passkeys ?? 0) > 0
  return (
    <Page
      title="Withdrawal whitelist"
      intro="With whitelist mode on, withdrawals only go to these addresses. A new address can be used 24 hours after you add it; turning the whitelist off also takes 24 hours."
    >
      {back}
      {overview ? <WithdrawalLockNote lock={overview.withdrawalLock} /> : null}
      {list ? (
        <>
          <p data-testid="whitelist-mode">
            Whitelist mode: <strong>{list.enabled ? 'on' : 'off'}</strong>
            {list.turnsOffAt ? ` — turns off at ${formatTime(list.turnsOffAt)}` : ''}
          </p>
          <table>
            <thead>
              <tr>
                <th>Label</th>
                <th>Network</th>
                <th>Address</th>
                <th>Usable from</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.entries.map((e) => (
                <tr key={e.id} data-testid="whitelist-entry">
                  <td>{e.label}</td>
                  <td>{e.network}</td>
                  <td>
                    <code>{e.address}</code>
                  </td>
                  <td>{e.usable ? 'usable now' : `${formatTime(e.usableAt)} (24 h delay)`}</td>
                  <td>
                    <button
                      type="button"
                      className="link"
                      disabled={busy}
                      onClick={() =>
                        run(async () => {
                          await post(`/api/accounts/whitelist/${e.id}/remove`, await f.factor(false))
                          await load()
                          return 'Address removed.'
                        })
                      }
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault()
          void run(async () => {
            const r = await post<{ usableAt: string }>('/api/accounts/whitelist', {
              network,
              address,
              label,
              ...(await f.factor(false)),
            })
            setAddress('')
            setLabel('')
            f.reset()
            await load()
            return `Added. Usable from ${formatTime(r.usableAt)}.`
          })
        }}
      >
        <h2>Add an address</h2>
        <label>
          Network
          <select value={network} onChange={(e) => setNetwork(e.target.value)}>
            {networks.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Address
          <input name="address" required value={address} onChange={(e) => setAddress(e.target.value)} />
        </label>
        <label>
          Label
          <input
            name="label"
            required
            maxLength={60}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        </label>
        {f.field}
        {status}
        <div className="row">
          <button type="submit" disabled={busy}>
            Add with code
          </button>
          {passkeys ? (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  await post('/api/accounts/whitelist', {
                    network,
                    address,
                    label,
                    ...(await f.factor(true)),
                  })
                  await load()
                  return 'Added.'
                })
              }
            >
              Add with passkey
            </button>
          ) : null}
        </div>
      </form>
      {list ? (
        <div className="stack narrow">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              run(async () => {
                await post('/api/accounts/whitelist/mode', {
                  enabled: !list.requested || list.turnsOffAt !== null,
                  ...(await f.factor(false)),
                })
                await load()
                return undefined
              })
            }
          >
            {list.requested && list.turnsOffAt === null
              ? 'Turn whitelist mode off (after 24 h)'
              : 'Turn whitelist mode on'}
          </button>
        </div>
      ) : null}
    </Page>
  )
}

type ApiKey = {
  id: string
  accessKey: string
  label: string
  permissions: string[]
  allowedIps: string[]
  createdAt: string
  lastUsedAt: string | null
  expiresAt: string | null
  expired: boolean
}

export function ApiKeysPage() {
  const { overview } = useOverview()
  const { data, reload: load } = useLoaded<{ keys: ApiKey[] }>('/api/accounts/api-keys')
  const keys = data?.keys ?? []
  const [label, setLabel] = useState('')
  const [permissions, setPermissions] = useState<string[]>(['read'])
  const [ips, setIps] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [created, setCreated] = useState<{ accessKey: string; secret: string } | null>(null)
  const f = useFactor()
  const { run, busy, status } = useAction()
  return (
    <Page
      title="API keys"
      intro="For trading bots and tools. Requests are signed with the secret (HMAC-SHA256) and must be fresh; withdraw keys must be limited to IP addresses, and keys without IP addresses expire after 14 days unused. See docs/accounts.md for a client example."
    >
      {back}
      {created ? (
        <div className="card warn">
          <p>Copy the secret now: it is not shown again.</p>
          <p>
            Key: <code>{created.accessKey}</code>
            <br />
            Secret: <code>{created.secret}</code>
          </p>
        </div>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Label</th>
            <th>Key</th>
            <th>Permissions</th>
            <th>IPs</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.label}</td>
              <td>
                <code>{k.accessKey}</code>
              </td>
              <td>{k.permissions.join(', ')}</td>
              <td>{k.allowedIps.join(', ') || 'any'}</td>
              <td>{k.expired ? 'expired' : k.expiresAt ? formatTime(k.expiresAt) : 'never (IP-limited)'}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    run(async () => {
                      await del(`/api/accounts/api-keys/${k.id}`)
                      await load()
                    })
                  }
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault()
          void run(async () => {
            const allowedIps = ips.split(/[\s,]+/).filter(Boolean)
            setCreated(
              await post('/api/accounts/api-keys', {
                label,
                permissions,
                allowedIps,
                passphrase,
                ...(await f.factor(false)),
              }),
            )
            f.reset()
            await load()
          })
        }}
      >
        <h2>Create a key</h2>
        <label>
          Label
          <input required maxLength={60} value={label} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <fieldset>
          <legend>Permissions</legend>
          {['read', 'trade', 'withdraw'].map((p) => (
            <label key={p} className="row">
              <input
                type="checkbox"
                checked={permissions.includes(p)}
                onChange={(e) =>
                  setPermissions(e.target.checked ? [...permissions, p] : permissions.filter((x) => x !== p))
                }
              />{' '}
              {p}
            </label>
          ))}
        </fieldset>
        <label>
          Allowed IP addresses (up to 20, required for withdraw)
          <input
            value={ips}
            onChange={(e) => setIps(e.target.value)}
            placeholder="203.0.113.7, 2001:db8::1"
          />
        </label>
        <label>
          Passphrase (you choose; sent with each request)
          <input
            type="password"
            required
            minLength={8}
            maxLength={64}
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
          />
        </label>
        {overview?.twoFactor.totp ? f.field : null}
        {status}
        <button type="submit" disabled={busy}>
          Create key
        </button>
      </form>
    </Page>
  )
}

export function EmailPage() {
  const { overview } = useOverview()
  const [newEmail, setNewEmail] = useState('')
  const [currentPassword, setCurrent] = useState('')
  const f = useFactor()
  const { run, busy, status } = useAction()
  return (
    <Page
      title="Email address"
      intro="We send a link to the new address; the change happens when you open it. Your old address is told, and withdrawals are locked for 72 hours."
    >
      {back}
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault()
          void run(
            async () =>
              (
                await post<{ message: string }>('/api/accounts/email', {
                  newEmail,
                  currentPassword,
                  ...(await f.factor(false)),
                })
              ).message,
          )
        }}
      >
        <label>
          New email
          <input type="email" required value={newEmail} onChange={(e) => setNewEmail(e.target.value)} />
        </label>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        {overview?.twoFactor.totp ? f.field : null}
        {status}
        <button type="submit" disabled={busy}>
          Send confirmation link
        </button>
      </form>
    </Page>
  )
}
