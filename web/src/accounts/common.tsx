/**
 * @module Pieces shared by the account-protection pages: the second-factor and password fields, the
 * password strength meter (zxcvbn-ts, loaded on demand), the one-time token from a link's #fragment.
 */
import { useEffect, useState } from 'react'
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

/** A password being chosen, with its strength meter; `inputs` are words it should not resemble. */
export function NewPasswordField({
  label = 'New password',
  inputs = [],
  ...input
}: PasswordFieldProps & { inputs?: string[] }) {
  return (
    <>
      <Field label={label} type="password" autoComplete="new-password" required {...input} />
      <PasswordMeter password={input.value} inputs={inputs} />
    </>
  )
}

type Zxcvbn = {
  check(
    password: string,
    inputs?: string[],
  ): { score: number; feedback: { warning: string | null; suggestions: string[] } }
}
let factory: Promise<Zxcvbn> | undefined
function loadZxcvbn(): Promise<Zxcvbn> {
  factory ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]).then(
    ([core, common, en]) =>
      new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...en.dictionary },
        graphs: common.adjacencyGraphs,
        translations: en.translations,
      }) as unknown as Zxcvbn,
  )
  return factory
}

const labels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong']

/** A strength meter for a password being typed; the server's policy is what decides. */
export function PasswordMeter({ password, inputs = [] }: { password: string; inputs?: string[] }) {
  const [result, setResult] = useState<{ score: number; hint: string } | null>(null)
  const joined = inputs.join('\n')
  useEffect(() => {
    let live = true
    if (!password) {
      setResult(null)
      return
    }
    void loadZxcvbn().then((z) => {
      if (!live) return
      const r = z.check(password.slice(0, 128), joined ? joined.split('\n') : [])
      setResult({ score: r.score, hint: r.feedback.warning ?? r.feedback.suggestions[0] ?? '' })
    })
    return () => {
      live = false
    }
  }, [password, joined])
  if (!result) return null
  return (
    <div className="accounts-meter" data-score={result.score} aria-live="polite">
      <meter min={0} max={4} value={result.score} low={2} high={3} optimum={4} />
      <span>
        {labels[result.score]}
        {result.hint ? ` — ${result.hint}` : ''}
      </span>
    </div>
  )
}

export const passwordRules =
  'At least 15 characters (12 once two-factor authentication is on), up to 128. Any characters, spaces welcome; no breached or common passwords, and not your email.'
