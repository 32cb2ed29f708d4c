/**
 * @module Account pages reached without signing in: sign-up, the emailed links (confirm email,
 * reset password, approve device, "This wasn't me") and the demo mail outbox.
 */
import { useEffect, useState } from 'react'
import { get, post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import {
  ActionButton,
  ActionForm,
  ErrorNote,
  Field,
  formatTime,
  OkNote,
  Page,
  useAction,
} from '../platform/ui.tsx'
import { FactorField, NewPasswordField, passwordRules, useHashToken } from './common.tsx'

export function SignUpPage() {
  const [email, setEmail] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [done, setDone] = useState<string | null>(null)
  const action = useAction()
  if (done) {
    return (
      <Page title="Check your email">
        <p className="notice" role="status">
          {done}
        </p>
        <p>
          On a demo install without a mail server, messages appear in the <Link to="/outbox">outbox</Link>.
        </p>
      </Page>
    )
  }
  return (
    <Page title="Open an account" intro={passwordRules}>
      <ActionForm
        action={action}
        submit={action.busy ? 'Creating…' : 'Create account'}
        onSubmit={async () =>
          setDone(
            (await post<{ message: string }>('/api/accounts/signup', { email, displayName, password }))
              .message,
          )
        }
      >
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={setEmail}
        />
        <Field
          label="Name"
          name="displayName"
          required
          maxLength={100}
          value={displayName}
          onChange={setDisplayName}
        />
        <NewPasswordField
          label="Password"
          name="password"
          minLength={15}
          maxLength={128}
          value={password}
          onChange={setPassword}
          inputs={[email, displayName]}
        />
      </ActionForm>
    </Page>
  )
}

/** A page that posts the #token of an emailed link once, on a button press (links are single use). */
function TokenAction({
  title,
  intro,
  url,
  button,
}: {
  title: string
  intro: string
  url: string
  button: string
}) {
  const token = useHashToken()
  const [result, setResult] = useState<string | null>(null)
  const action = useAction()
  return (
    <Page title={title} intro={intro}>
      {result ? (
        <OkNote message={result} />
      ) : (
        <div className="stack narrow">
          {action.status}
          <ActionButton
            action={action}
            disabled={!token}
            onClick={async () => {
              const r = await post<{ message?: string; device?: string; ip?: string }>(url, { token })
              setResult(
                r.message ?? `Approved: ${r.device} (IP ${r.ip}). Go back to that device: it signs in now.`,
              )
            }}
          >
            {button}
          </ActionButton>
        </div>
      )}
    </Page>
  )
}

export const ConfirmEmailPage = () => (
  <TokenAction
    title="Confirm your email"
    intro="One click and your account is open."
    url="/api/accounts/confirm-email"
    button="Confirm my email"
  />
)

export const EmailChangeConfirmPage = () => (
  <TokenAction
    title="Confirm your new email"
    intro="Confirm that this address should receive everything about your Bulwark account."
    url="/api/accounts/email/confirm"
    button="Confirm the new email"
  />
)

export const DeviceApprovePage = () => (
  <TokenAction
    title="Approve a new device"
    intro="Approve only if you are signing in on that device right now. If not, someone knows your password: do not approve, and change it."
    url="/api/accounts/devices/approve"
    button="Yes, it is me: approve this device"
  />
)

export const WasntMePage = () => (
  <TokenAction
    title="This wasn't me"
    intro="Freezing stops all changes, withdrawals and API keys until our support team reviews your account with you."
    url="/api/accounts/wasnt-me"
    button="Freeze my account"
  />
)

export function PasswordResetPage() {
  const token = useHashToken()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [totpCode, setTotpCode] = useState('')
  const [message, setMessage] = useState<string | null>(null)
  const action = useAction()
  const submit = action.handleSubmit(async () => {
    const r = token
      ? await post<{ message: string }>('/api/accounts/password-reset/complete', {
          token,
          password,
          ...(totpCode ? { totpCode } : {}),
        })
      : await post<{ message: string }>('/api/accounts/password-reset', { email })
    setMessage(r.message)
  })
  if (message) {
    return (
      <Page title="Reset your password">
        <OkNote message={message} />
      </Page>
    )
  }
  return (
    <Page title="Reset your password" intro={token ? passwordRules : 'We email a link valid for 30 minutes.'}>
      <form onSubmit={submit} className="stack narrow">
        {token ? (
          <>
            <NewPasswordField value={password} onChange={setPassword} />
            <FactorField
              value={totpCode}
              onChange={setTotpCode}
              label="Authenticator code (if two-factor is on)"
            />
          </>
        ) : (
          <Field label="Email" type="email" required value={email} onChange={setEmail} />
        )}
        <ErrorNote error={action.error} />
        <button type="submit">{token ? 'Set new password' : 'Email me a link'}</button>
      </form>
    </Page>
  )
}

type OutboxMessage = { id: string; to: string; subject: string; text: string; sentAt: string }

/** The mail outbox: for demo installs (no SMTP_URL) and staff. Links in messages are clickable. */
export function OutboxPage({ staff = false }: { staff?: boolean }) {
  const [messages, setMessages] = useState<OutboxMessage[]>([])
  const [to, setTo] = useState('')
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    const load = () =>
      get<{ messages: OutboxMessage[] }>(
        `${staff ? '/api/staff/mail/outbox' : '/api/mail/outbox'}${to ? `?to=${encodeURIComponent(to)}` : ''}`,
      )
        .then((r) => {
          setMessages(r.messages)
          setError(null)
        })
        .catch(setError)
    void load()
    const timer = setInterval(load, 3000)
    return () => clearInterval(timer)
  }, [to, staff])
  return (
    <Page
      title="Outbox"
      intro="Mail Bulwark sent while no SMTP server is configured (SMTP_URL). Newest first."
    >
      {staff ? null : (
        <p className="notice" role="note" data-testid="outbox-public-note">
          This is a demo install: this outbox is public, so anyone can read every message below, including
          sign-in and password-reset links. A real install sets SMTP_URL, and without it only staff can read
          the outbox.
        </p>
      )}
      <label className="narrow">
        Recipient
        <input type="email" value={to} onChange={(e) => setTo(e.target.value)} placeholder="all recipients" />
      </label>
      <ErrorNote error={error} />
      <ol className="accounts-outbox">
        {messages.map((m) => (
          <li key={m.id} className="card" data-testid="mail">
            <p>
              <strong data-testid="mail-subject">{m.subject}</strong> → {m.to}{' '}
              <small>{formatTime(m.sentAt)}</small>
            </p>
            <pre data-testid="mail-text">{linkify(m.text)}</pre>
          </li>
        ))}
      </ol>
    </Page>
  )
}

function linkify(text: string) {
  let offset = 0
  return text.split(/(https?:\/\/\S+)/g).map((part) => {
    const at = offset
    offset += part.length
    return /^https?:\/\//.test(part) ? (
      <a key={at} href={part}>
        {part}
      </a>
    ) : (
      part
    )
  })
}
