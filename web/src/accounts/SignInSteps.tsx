/**
 * @module The sign-in steps after the password: the second factor (authenticator code, recovery
 * code or passkey), then, on a new device, waiting for the emailed approval link.
 */
import { startAuthentication } from '@simplewebauthn/browser'
import { type FormEvent, useEffect, useState } from 'react'
import { ApiError, post } from '../platform/api.ts'
import type { Me } from '../platform/session.tsx'
import { ErrorNote } from '../platform/ui.tsx'
import { FactorField } from './common.tsx'

export type PendingSignIn = {
  status: 'second_factor_required' | 'device_approval_required'
  ticket: string
  methods: string[]
  message: string
}

export function isPending(value: unknown): value is PendingSignIn {
  return typeof value === 'object' && value !== null && 'ticket' in value && 'status' in value
}

export function SignInSteps({
  pending,
  onSignedIn,
}: {
  pending: PendingSignIn
  onSignedIn: (me: Me) => void
}) {
  const [step, setStep] = useState(pending)
  const [code, setCode] = useState('')
  const [recovery, setRecovery] = useState('')
  const [useRecovery, setUseRecovery] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function answer(body: Record<string, unknown>) {
    setBusy(true)
    setError(null)
    try {
      const result = await post<Me | PendingSignIn>('/api/auth/signin/second-factor', {
        ticket: step.ticket,
        ...body,
      })
      if (isPending(result)) setStep(result)
      else onSignedIn(result)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  // Waiting for the emailed approval: poll until this device is approved.
  useEffect(() => {
    if (step.status !== 'device_approval_required') return
    let stopped = false
    const tick = async () => {
      if (stopped) return
      try {
        const result = await post<Me | PendingSignIn>('/api/auth/signin/continue', { ticket: step.ticket })
        if (!isPending(result)) {
          stopped = true
          onSignedIn(result)
          return
        }
      } catch (e) {
        if (e instanceof ApiError) {
          setError(e)
          stopped = true
          return
        }
      }
      setTimeout(tick, 2000)
    }
    const first = setTimeout(tick, 1500)
    return () => {
      stopped = true
      clearTimeout(first)
    }
  }, [step, onSignedIn])

  if (step.status === 'device_approval_required') {
    return (
      <div className="stack narrow" data-testid="device-approval">
        <p className="notice">
          <strong>New device.</strong> {step.message} Open the link in the email on any device; this page
          signs you in as soon as it is approved.
        </p>
        <p>Did not try to sign in? Someone knows your password: change it after signing in, or reset it.</p>
        <ErrorNote error={error} />
      </div>
    )
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    await answer(useRecovery ? { recoveryCode: recovery } : { totpCode: code })
  }

  async function passkey() {
    setError(null)
    try {
      const options = await post<Parameters<typeof startAuthentication>[0]['optionsJSON']>(
        '/api/auth/signin/passkey-options',
        { ticket: step.ticket },
      )
      const response = await startAuthentication({ optionsJSON: options })
      await answer({ passkeyResponse: response })
    } catch (e) {
      setError(e)
    }
  }

  return (
    <form onSubmit={submit} className="stack narrow" data-testid="second-factor">
      <p>{step.message}</p>
      {useRecovery ? (
        <label>
          Recovery code
          <input
            name="recoveryCode"
            value={recovery}
            onChange={(e) => setRecovery(e.target.value)}
            placeholder="XXXXX-XXXXX"
          />
        </label>
      ) : (
        <FactorField value={code} onChange={setCode} />
      )}
      <ErrorNote error={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Checking…' : 'Continue'}
      </button>
      <div className="row">
        {step.methods.includes('recovery_code') ? (
          <button type="button" className="link" onClick={() => setUseRecovery(!useRecovery)}>
            {useRecovery ? 'Use the authenticator app' : 'Use a recovery code'}
          </button>
        ) : null}
        {step.methods.includes('passkey') ? (
          <button type="button" className="link" onClick={passkey}>
            Use a passkey
          </button>
        ) : null}
      </div>
    </form>
  )
}

/** "Passkey sign-in": no password; a new device still waits for the emailed approval. */
export function PasskeySignInButton({
  onSignedIn,
  onPending,
}: {
  onSignedIn: (me: Me) => void
  onPending: (pending: PendingSignIn) => void
}) {
  const [error, setError] = useState<unknown>(null)
  async function signIn() {
    setError(null)
    try {
      const options =
        await post<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/api/auth/passkey/options')
      const response = await startAuthentication({ optionsJSON: options })
      const result = await post<Me | PendingSignIn>('/api/auth/passkey', { response })
      if (isPending(result)) onPending(result)
      else onSignedIn(result)
    } catch (e) {
      setError(e)
    }
  }
  return (
    <div className="stack">
      <button type="button" className="link" onClick={signIn}>
        Passkey sign-in (no password)
      </button>
      <ErrorNote error={error} />
    </div>
  )
}
