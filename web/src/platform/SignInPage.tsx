import { type FormEvent, useState } from 'react'
import { isPending, PasskeySignInButton, type PendingSignIn, SignInSteps } from '../accounts/SignInSteps.tsx'
import { post } from './api.ts'
import { navigate } from './router.tsx'
import { type Me, useSession } from './session.tsx'
import { ErrorNote, Page } from './ui.tsx'

export function SignInPage() {
  const { setMe } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [pending, setPending] = useState<PendingSignIn | null>(null)

  function signedIn(me: Me) {
    setMe(me)
    navigate(me.user.kind === 'staff' ? (me.permissions.includes('audit.read') ? '/staff/audit' : '/') : '/')
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const result = await post<Me | PendingSignIn>('/api/auth/signin', { email, password })
      // Account protection may ask for a second factor or a new-device approval first.
      if (isPending(result)) setPending(result)
      else signedIn(result)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  if (pending) {
    return (
      <Page title="Sign in">
        <SignInSteps pending={pending} onSignedIn={signedIn} />
      </Page>
    )
  }

  return (
    <Page title="Sign in">
      <form onSubmit={submit} className="stack narrow">
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <PasskeySignInButton onSignedIn={signedIn} onPending={setPending} />
        <p>
          <a href="/signup">Open an account</a> · <a href="/password-reset">Forgot your password?</a>
        </p>
      </form>
    </Page>
  )
}
