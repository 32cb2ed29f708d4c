/**
 * @module From the server's validation errors to the form: which field each error belongs to, in
 * plain words. The server names fields two ways: a Zod failure lists `details.fields` as
 * "path.to.field: message", an AppError from a service sets `details.field` (its message is
 * already written for people). Codes stay in the response for programs and out of sight here.
 */
import { ApiError } from './api.ts'

/** Plain words for a field whose generic message would say too little; keyed by field name. */
export type FieldWords = Record<string, string>

/** Turns a validator's message ("Too small: expected array to have >=1 items") into words. */
export function plainMessage(message: string): string {
  const m = message.trim()
  let match = /expected (?:array|set) to have >=(\d+) items?/.exec(m)
  if (match) return match[1] === '1' ? 'Choose at least one.' : `Choose at least ${match[1]}.`
  match = /expected string to have >=(\d+) characters?/.exec(m)
  if (match) return match[1] === '1' ? 'Fill this in.' : `Use at least ${match[1]} characters.`
  match = /expected (?:string|array) to have <=(\d+) (characters?|items?)/.exec(m)
  if (match) return `Use at most ${match[1]} ${match[2]!.startsWith('char') ? 'characters' : 'items'}.`
  match = /expected number to be >=(-?[\d.]+)/.exec(m)
  if (match) return `Enter ${match[1]} or more.`
  match = /expected number to be <=(-?[\d.]+)/.exec(m)
  if (match) return `Enter ${match[1]} or less.`
  if (/expected a decimal number/.test(m)) return 'Enter a number like 12.50.'
  if (/Invalid email/i.test(m)) return 'Enter an email address like name@example.com.'
  if (/expected (string|number|boolean|array), received undefined/.test(m)) return 'Fill this in.'
  if (/Invalid option/.test(m)) return 'Choose one of the options.'
  if (/^Invalid input/.test(m)) return 'Check this value.'
  return m.endsWith('.')
    ? m.charAt(0).toUpperCase() + m.slice(1)
    : `${m.charAt(0).toUpperCase()}${m.slice(1)}.`
}

/**
 * The errors of `error` by form field: the first path segment of each reported field, with the
 * form's own words when `words` has that field, else the validator's message in plain words.
 *
 * @example fieldErrors(error, { paymentMethods: 'Choose at least one payment method.' })
 *   // { paymentMethods: 'Choose at least one payment method.' }
 */
export function fieldErrors(error: unknown, words: FieldWords = {}): Record<string, string> {
  if (!(error instanceof ApiError) || !error.details) return {}
  const out: Record<string, string> = {}
  const single = error.details.field
  if (typeof single === 'string') out[single] = error.message
  const list = error.details.fields
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (typeof entry !== 'string') continue
      const at = entry.indexOf(': ')
      const path = at > 0 ? entry.slice(0, at) : ''
      const field = path.split('.')[0] ?? ''
      if (!field || field === 'body' || field === 'request' || out[field]) continue
      out[field] = words[field] ?? plainMessage(entry.slice(at + 2))
    }
  }
  return out
}

/** The message to show above a form: a pointer to the fields when they carry the errors. */
export function formMessage(error: unknown, fieldsShown: string[]): string {
  const byField = fieldErrors(error)
  if (Object.keys(byField).some((f) => fieldsShown.includes(f))) return 'Check the highlighted fields.'
  if (error instanceof ApiError && error.code === 'INVALID_INPUT' && error.details?.fields)
    return 'Some of the values are not accepted. Check the form and try again.'
  return error instanceof Error ? error.message : String(error)
}
