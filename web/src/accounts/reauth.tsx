/**
 * @module The re-authentication prompt. Enrolling or removing a factor or key, and changing the
 * email or password, need a proof of the password (or an authenticator code) from the last 5
 * minutes; the server answers REAUTH_REQUIRED otherwise. `post` and `del` here behave like the
 * platform's, except that on REAUTH_REQUIRED they open a small dialog, send the proof to
 * POST /api/auth/reauth, and retry the request once.
 */
import { type FormEvent, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { ApiError, api } from '../platform/api.ts'
import { ErrorNote, Field } from '../platform/ui.tsx'

/** The one dialog open at a time (two buttons pressed together share it). */
let open: Promise<void> | null = null

/** Opens the dialog; resolves once the server accepted a proof, rejects when the user cancels. */
export function askForProof(): Promise<void> {
  open ??= new Promise<void>((resolve, reject) => {
    const host = document.createElement('div')
    document.body.append(host)
    const root = createRoot(host)
    const close = (outcome: () => void) => {
      root.unmount()
      host.remove()
      open = null
      outcome()
    }
    root.render(
      <ReauthDialog
        onDone={() => close(resolve)}
        onCancel={() =>
          close(() =>
            reject(
              new ApiError(401, 'REAUTH_CANCELLED', 'Not changed: confirming it was you was cancelled.'),
            ),
          )
        }
      />,
    )
  })
  return open
}

/** Runs `request`; on REAUTH_REQUIRED asks for a proof and runs it once more. */
export async function withReauth<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'REAUTH_REQUIRED') throw error
    await askForProof()
    return request()
  }
}

export const post = <T,>(url: string, body: unknown = {}) => withReauth(() => api<T>('POST', url, body))
export const del = <T,>(url: string) => withReauth(() => api<T>('DELETE', url))

const backdrop = {
  position: 'fixed',
  inset: 0,
  zIndex: 1000,
  display: 'grid',
  placeItems: 'center',
  background: 'rgb(15 27 45 / 45%)',
} as const

function ReauthDialog({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [mode, setMode] = useState<'password' | 'code'>('password')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await api('POST', '/api/auth/reauth', mode === 'password' ? { password } : { totpCode: code })
      onDone()
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  return (
    <div style={backdrop}>
      <form
        className="card stack narrow"
        style={{ background: '#fff', maxWidth: '26rem', width: '100%' }}
        role="dialog"
        aria-modal="true"
        aria-labelledby="reauth-title"
        data-testid="reauth-dialog"
        onSubmit={(e) => void submit(e)}
      >
        <h2 id="reauth-title">Confirm it is you</h2>
        <p>This change protects your account, so we check it is really you at the keyboard.</p>
        {mode === 'password' ? (
          <Field
            label="Your password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            maxLength={128}
            value={password}
            onChange={setPassword}
          />
        ) : (
          <Field
            label="Code from your authenticator app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoFocus
            value={code}
            onChange={(v) => setCode(v.replace(/\D/g, ''))}
          />
        )}
        <ErrorNote error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            Confirm
          </button>
          <button type="button" className="link" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="link"
            onClick={() => setMode(mode === 'password' ? 'code' : 'password')}
          >
            {mode === 'password' ? 'Use an authenticator code instead' : 'Use my password instead'}
          </button>
        </div>
      </form>
    </div>
  )
}
