/**
 * @module Accepting a staff invitation: the token travels in the URL fragment (never sent to the
 * server in logs or Referer), the new member sets a password.
 */
import { type FormEvent, useState } from 'react'
import { PasswordMeter, passwordRules } from '../accounts/common.tsx'
import { post } from '../platform/api.ts'
import { Link } from '../platform/router.tsx'
import { ErrorNote, Page } from '../platform/ui.tsx'

export function InviteAcceptPage() {
  const token = window.location.hash.slice(1)
  const [password, setPassword] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    try {
      await post('/api/staff/invites/accept', { token, password })
      setDone(true)
    } catch (e) {
      setError(e)
    }
  }
  if (done) {
    return (
      <Page title="Welcome aboard">
        <p>
          Your password is set. <Link to="/signin">Sign in</Link>.
        </p>
      </Page>
    )
  }
  return (
    <Page title="Accept your invitation" intro={passwordRules}>
      <form onSubmit={submit} className="stack narrow">
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            minLength={15}
            maxLength={128}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <PasswordMeter password={password} />
        <ErrorNote error={error} />
        <button type="submit" disabled={!token}>
          Set password
        </button>
      </form>
    </Page>
  )
}
