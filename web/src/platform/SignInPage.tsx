import { useState } from 'react'
import { CurrentPasswordField } from '../accounts/common.tsx'
import { isPending, PasskeySignInButton, type PendingSignIn, SignInSteps } from '../accounts/SignInSteps.tsx'
import { post } from './api.ts'
import { navigate } from './router.tsx'
import { type Me, useSession } from './session.tsx'
import { Field, Page, useAction } from './ui.tsx'

export function SignInPage() {
  const { setMe } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [pending, setPending] = useState<PendingSignIn | null>(null)
  const action = useAction()

  function signedIn(me: Me) {
    setMe(me)
    navigate(me.user.kind === 'staff' ? (me.permissions.includes('audit.read') ? '/staff/audit' : '/') : '/')
  }

  const submit = action.handleSubmit(async () => {
    const result = await post<Me | PendingSignIn>('/api/auth/signin', { email, password })
    // Account protection may ask for a second factor or a new-device approval first.
    if (isPending(result)) setPending(result)
    else signedIn(result)
  })

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
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={setEmail}
        />
        <CurrentPasswordField label="Password" value={password} onChange={setPassword} />
        {action.status}
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <PasskeySignInButton onSignedIn={signedIn} onPending={setPending} />
        <p>
          <a href="/signup">Open an account</a> · <a href="/password-reset">Forgot your password?</a>
        </p>
      </form>
    </Page>
  )
}
