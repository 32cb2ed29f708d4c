/**
 * @module Pieces shared by the account-protection pages: the second-factor and password fields, the
 * password meter (the server's policy verdict), the one-time token from a link's #fragment.
 */
import { useEffect, useState } from 'react'
import { post } from '../platform/api.ts'
import { Field, type FieldProps } from '../platform/ui.tsx'

/** The token after `#` in an emailed link (never sent to the server in the URL, so never logged). */
export function useHashToken(): string {
  const [token] = useState(() => window.location.hash.slice(1))
  return token
}

export function FactorField({
  value,
  onChange,
  label = 'Authenticator code',
}: {
  value: string
  onChange: (v: string) => void
  label?: string
}) {
  return (
    <Field
      label={label}
      name="totpCode"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]{6}"
      maxLength={6}
      placeholder="123456"
      value={value}
      onChange={(v) => onChange(v.replace(/\D/g, ''))}
    />
  )
}

type PasswordFieldProps = Omit<FieldProps, 'label'> & { label?: string }

/** The password the user has now, asked again before a sensitive change (or to sign in). */
export function CurrentPasswordField({ label = 'Current password', ...input }: PasswordFieldProps) {
  return <Field label={label} type="password" autoComplete="current-password" required {...input} />
}

/** A password being chosen, with the policy's verdict; `inputs` are the email and name being entered. */
export function NewPasswordField({
  label = 'New password',
  inputs = [],
  hasSecondFactor = false,
  ...input
}: PasswordFieldProps & { inputs?: string[]; hasSecondFactor?: boolean }) {
  return (
    <>
      <Field label={label} type="password" autoComplete="new-password" required {...input} />
      <PasswordMeter password={input.value} inputs={inputs} hasSecondFactor={hasSecondFactor} />
    </>
  )
}

type PasswordVerdict = {
  ok: boolean
  score: number
  problem?: string
  message?: string
  suggestion?: string | null
}

const labels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong']

/**
 * The server's password policy on a password being typed: the same verdict sign-up, reset, change
 * and staff invitations apply (breached lists, zxcvbn, email and name), asked after a pause in
 * typing. `inputs` are the email and name being entered, when not signed in yet.
 */
export function PasswordMeter({
  password,
  inputs = [],
  hasSecondFactor = false,
}: {
  password: string
  inputs?: string[]
  /** The account has TOTP or a passkey, so 12 characters are enough. */
  hasSecondFactor?: boolean
}) {
  const [verdict, setVerdict] = useState<PasswordVerdict | null>(null)
  const [email = '', displayName = ''] = inputs
  useEffect(() => {
    let live = true
    if (!password) {
      setVerdict(null)
      return
    }
    const timer = setTimeout(() => {
      post<PasswordVerdict>('/api/auth/password-check', {
        password,
        hasSecondFactor,
        ...(email ? { email } : {}),
        ...(displayName ? { displayName } : {}),
      })
        .then((v) => {
          if (live) setVerdict(v)
        })
        .catch(() => {
          // Rate limited or offline: the meter stays silent; the server still decides on submit.
          if (live) setVerdict(null)
        })
    }, 350)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [password, email, displayName, hasSecondFactor])
  if (!verdict) return null
  const hint = verdict.ok
    ? ''
    : ` — ${verdict.message ?? ''}${verdict.suggestion ? ` ${verdict.suggestion}` : ''}`
  return (
    <div className="accounts-meter" data-score={verdict.score} data-ok={verdict.ok} aria-live="polite">
      <meter min={0} max={4} value={verdict.score} low={2} high={3} optimum={4} style={{ flexShrink: 0 }} />
      <span>{verdict.ok ? `${labels[verdict.score]}: accepted` : `Refused${hint}`}</span>
    </div>
  )
}

export const passwordRules =
  'At least 15 characters (12 once two-factor authentication is on), up to 128. Any characters, spaces welcome; no breached, common or easily guessed passwords, and not your email or name. A phrase of four or more unrelated words works well.'
