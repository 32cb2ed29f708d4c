import { type FormEvent, useState } from 'react'
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

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const me = await post<Me>('/api/auth/signin', { email, password })
      setMe(me)
      navigate(
        me.user.kind === 'staff' ? (me.permissions.includes('audit.read') ? '/staff/audit' : '/') : '/',
      )
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
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
      </form>
    </Page>
  )
}
