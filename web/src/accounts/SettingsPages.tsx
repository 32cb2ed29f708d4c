/**
 * @module Security center settings: password, authenticator app and recovery codes, passkeys,
 * anti-phishing code, devices, withdrawal whitelist and API keys.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import { useCallback, useState } from 'react'
import { Link } from '../platform/router.tsx'
import {
  ActionButton,
  ActionForm,
  ConfirmButton,
  Field,
  formatTime,
  Page,
  Table,
  useAction,
  useLoaded,
} from '../platform/ui.tsx'
import { CurrentPasswordField, FactorField, NewPasswordField, passwordRules } from './common.tsx'
// post and del ask for the password again when the server wants a fresh proof (REAUTH_REQUIRED).
import { del, post } from './reauth.tsx'
import { type Overview, WithdrawalLockNote } from './SecurityCenterPage.tsx'

function useOverview() {
  const { data: overview, reload } = useLoaded<Overview>('/api/accounts/security')
  return { overview, reload }
}

const back = (
  <p>
    <Link to="/security">← Security center</Link>
  </p>
)

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
  /** Posts `body` with the typed code (if any) added. */
  async function postWithCode<T>(url: string, body: Record<string, unknown> = {}): Promise<T> {
    return post<T>(url, { ...body, ...(await factor(false)) })
  }
  return { field, factor, postWithCode, reset: () => setCode('') }
}

export function PasswordPage() {
  const { overview } = useOverview()
  const [currentPassword, setCurrent] = useState('')
  const [newPassword, setNew] = useState('')
  const f = useFactor()
  const action = useAction()
  return (
    <Page title="Password" intro={passwordRules}>
      {back}
      <ActionForm
        action={action}
        submit="Change password"
        onSubmit={async () =>
          (
            await f.postWithCode<{ message: string }>('/api/accounts/password', {
              currentPassword,
              newPassword,
            })
          ).message
        }
      >
        <CurrentPasswordField value={currentPassword} onChange={setCurrent} />
        <NewPasswordField
          value={newPassword}
          onChange={setNew}
          hasSecondFactor={Boolean(overview?.twoFactor.totp || (overview?.twoFactor.passkeys ?? 0) > 0)}
        />
        {overview?.twoFactor.totp ? f.field : null}
        <p>Changing your password signs you out everywhere else and locks withdrawals for 24 hours.</p>
      </ActionForm>
    </Page>
  )
}

export function TwoFactorPage() {
  const { overview, reload } = useOverview()
  const [setup, setSetup] = useState<{ secret: string; qrDataUrl: string } | null>(null)
  const [code, setCode] = useState('')
  const [codes, setCodes] = useState<string[] | null>(null)
  const action = useAction()
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
          {action.status}
          <div className="row">
            <ActionButton
              action={action}
              onClick={async () =>
                setCodes(
                  (
                    await post<{ recoveryCodes: string[] }>('/api/accounts/recovery-codes', {
                      totpCode: code,
                    })
                  ).recoveryCodes,
                )
              }
            >
              New recovery codes
            </ActionButton>
            <ConfirmButton
              label="Turn off"
              title="Turn off the authenticator app?"
              consequence="Signing in, withdrawals and P2P releases will no longer ask for its codes, so a stolen password alone can reach your account. Your recovery codes stop working too."
              confirmLabel="Turn off"
              className="danger"
              disabled={action.busy}
              onConfirm={() =>
                action.run(async () => {
                  const m = (
                    await post<{ message: string }>('/api/accounts/totp/disable', { totpCode: code })
                  ).message
                  await reload()
                  return m
                })
              }
            />
          </div>
        </div>
      ) : setup ? (
        <ActionForm
          action={action}
          submit="Turn on"
          onSubmit={async () => {
            setCodes(
              (await post<{ recoveryCodes: string[] }>('/api/accounts/totp/confirm', { code })).recoveryCodes,
            )
            setSetup(null)
            setCode('')
            await reload()
            return 'Two-factor authentication is on. Withdrawals are locked for 24 hours.'
          }}
        >
          <img src={setup.qrDataUrl} alt="QR code for your authenticator app" width={220} height={220} />
          <p>
            Can't scan? Enter this key: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <FactorField value={code} onChange={setCode} label="Code shown by the app" />
        </ActionForm>
      ) : (
        <div className="stack narrow">
          {action.status}
          <ActionButton
            action={action}
            onClick={async () => setSetup(await post('/api/accounts/totp/setup'))}
          >
            Set up an authenticator app
          </ActionButton>
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
  const action = useAction()
  return (
    <Page
      title="Passkeys"
      intro="A passkey lives on your phone, computer or security key and only answers to the real Bulwark site, so a fake page cannot phish it."
    >
      {back}
      <Table columns={['Name', 'Added', 'Last used', '']} empty="No passkeys yet.">
        {keys.map((k) => (
          <tr key={k.id}>
            <td>{k.name}</td>
            <td>{formatTime(k.createdAt)}</td>
            <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'}</td>
            <td>
              <ConfirmButton
                label="Remove"
                title={`Remove the passkey “${k.name}”?`}
                consequence="You will no longer be able to sign in or confirm actions with it. To use it again you would add it anew."
                confirmLabel="Remove passkey"
                className="danger"
                disabled={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    await del(`/api/accounts/passkeys/${encodeURIComponent(k.id)}`)
                    await load()
                  })
                }
              />
            </td>
          </tr>
        ))}
      </Table>
      <ActionForm
        action={action}
        submit="Add a passkey"
        onSubmit={async () => {
          const options = await post<Parameters<typeof startRegistration>[0]['optionsJSON']>(
            '/api/accounts/passkeys/registration-options',
          )
          const response = await startRegistration({ optionsJSON: options })
          await post('/api/accounts/passkeys', { name, response })
          await load()
          return 'Passkey added. Withdrawals are locked for 24 hours.'
        }}
      >
        <Field label="Name" value={name} maxLength={60} onChange={setName} />
      </ActionForm>
    </Page>
  )
}

export function AntiPhishingPage() {
  const { overview, reload } = useOverview()
  const [code, setCode] = useState('')
  const f = useFactor()
  const action = useAction()
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
      <ActionForm
        action={action}
        submit="Save code"
        onSubmit={async () => {
          const m = (await f.postWithCode<{ message: string }>('/api/accounts/anti-phishing', { code }))
            .message
          await reload()
          f.reset()
          return m
        }}
      >
        <Field
          label="New code"
          name="antiPhishingCode"
          required
          pattern="[A-Za-z0-9]{4,20}"
          maxLength={20}
          value={code}
          onChange={setCode}
        />
        {overview?.twoFactor.totp ? f.field : null}
      </ActionForm>
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
  const action = useAction()
  return (
    <Page
      title="Devices"
      intro="Every browser that signed in to your account. Removing a device signs it out at once; it will need a new email approval to come back."
    >
      {back}
      <Table
        columns={['Device', 'IP / place', 'Last seen', 'Status', '']}
        empty="No devices yet: each browser you sign in with appears here."
      >
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
              <ConfirmButton
                label="Remove"
                title={`Remove “${d.description}”?`}
                consequence="Every session on that device ends at once; signing in there again needs approval by email."
                confirmLabel="Remove device"
                className="danger"
                disabled={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    const r = await del<{ sessionsEnded: number }>(`/api/accounts/devices/${d.id}`)
                    await load()
                    return `Removed; ${r.sessionsEnded} session(s) ended.`
                  })
                }
              />
            </td>
          </tr>
        ))}
      </Table>
      {action.status}
      <ActionButton
        action={action}
        onClick={async () => (await post<{ message: string }>('/api/accounts/devices/reviewed')).message}
      >
        I have reviewed my devices
      </ActionButton>
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
  const action = useAction()
  const load = useCallback(async () => {
    await Promise.all([reloadList(), reload()])
  }, [reloadList, reload])
  const add = async (withPasskey: boolean) =>
    post<{ usableAt: string }>('/api/accounts/whitelist', {
      network,
      address,
      label,
      ...(await f.factor(withPasskey)),
    })
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
          <Table columns={['Label', 'Network', 'Address', 'Usable from', '']} empty="No addresses yet.">
            {list.entries.map((e) => (
              <tr key={e.id} data-testid="whitelist-entry">
                <td>{e.label}</td>
                <td>{e.network}</td>
                <td>
                  <code>{e.address}</code>
                </td>
                <td>{e.usable ? 'usable now' : `${formatTime(e.usableAt)} (24 h delay)`}</td>
                <td>
                  <ConfirmButton
                    label="Remove"
                    title="Remove this withdrawal address?"
                    consequence="Withdrawals to it stop at once. Adding it back later starts a new 24-hour wait."
                    confirmLabel="Remove address"
                    className="danger"
                    disabled={action.busy}
                    onConfirm={() =>
                      action.run(async () => {
                        await f.postWithCode(`/api/accounts/whitelist/${e.id}/remove`)
                        await load()
                        return 'Address removed.'
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
      <form
        className="stack narrow"
        onSubmit={action.handleSubmit(async () => {
          const r = await add(false)
          setAddress('')
          setLabel('')
          f.reset()
          await load()
          return `Added. Usable from ${formatTime(r.usableAt)}.`
        })}
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
        <Field label="Address" name="address" required value={address} onChange={setAddress} />
        <Field label="Label" name="label" required maxLength={60} value={label} onChange={setLabel} />
        {f.field}
        {action.status}
        <div className="row">
          <button type="submit" disabled={action.busy}>
            Add with code
          </button>
          {passkeys ? (
            <ActionButton
              action={action}
              onClick={async () => {
                await add(true)
                await load()
                return 'Added.'
              }}
            >
              Add with passkey
            </ActionButton>
          ) : null}
        </div>
      </form>
      {list ? (
        <div className="stack narrow">
          <ActionButton
            action={action}
            onClick={async () => {
              await f.postWithCode('/api/accounts/whitelist/mode', {
                enabled: !list.requested || list.turnsOffAt !== null,
              })
              await load()
            }}
          >
            {list.requested && list.turnsOffAt === null
              ? 'Turn whitelist mode off (after 24 h)'
              : 'Turn whitelist mode on'}
          </ActionButton>
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
  const action = useAction()
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
      <Table columns={['Label', 'Key', 'Permissions', 'IPs', 'Expires', '']} empty="No API keys yet.">
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
              <ConfirmButton
                label="Revoke"
                title={`Revoke the API key “${k.label}”?`}
                consequence="Programs using it are refused at once. A revoked key cannot be restored; you would create a new one."
                confirmLabel="Revoke key"
                className="danger"
                disabled={action.busy}
                onConfirm={() =>
                  action.run(async () => {
                    await del(`/api/accounts/api-keys/${k.id}`)
                    await load()
                  })
                }
              />
            </td>
          </tr>
        ))}
      </Table>
      <ActionForm
        action={action}
        submit="Create key"
        onSubmit={async () => {
          const allowedIps = ips.split(/[\s,]+/).filter(Boolean)
          setCreated(
            await f.postWithCode('/api/accounts/api-keys', { label, permissions, allowedIps, passphrase }),
          )
          f.reset()
          await load()
        }}
      >
        <h2>Create a key</h2>
        <Field label="Label" required maxLength={60} value={label} onChange={setLabel} />
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
        <Field
          label="Allowed IP addresses (up to 20, required for withdraw)"
          value={ips}
          onChange={setIps}
          placeholder="203.0.113.7, 2001:db8::1"
        />
        <Field
          label="Passphrase (you choose; sent with each request)"
          type="password"
          required
          minLength={8}
          maxLength={64}
          value={passphrase}
          onChange={setPassphrase}
        />
        {overview?.twoFactor.totp ? f.field : null}
      </ActionForm>
    </Page>
  )
}

export function EmailPage() {
  const { overview } = useOverview()
  const [newEmail, setNewEmail] = useState('')
  const [currentPassword, setCurrent] = useState('')
  const f = useFactor()
  const action = useAction()
  return (
    <Page
      title="Email address"
      intro="We send a link to the new address; the change happens when you open it. Your old address is told, and withdrawals are locked for 72 hours."
    >
      {back}
      <ActionForm
        action={action}
        submit="Send confirmation link"
        onSubmit={async () =>
          (await f.postWithCode<{ message: string }>('/api/accounts/email', { newEmail, currentPassword }))
            .message
        }
      >
        <Field label="New email" type="email" required value={newEmail} onChange={setNewEmail} />
        <CurrentPasswordField value={currentPassword} onChange={setCurrent} />
        {overview?.twoFactor.totp ? f.field : null}
      </ActionForm>
    </Page>
  )
}
