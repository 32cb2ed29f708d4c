/**
 * @module Display names: the one piece of free text about a person that reaches other people's
 * screens and our emails. A name is printable text on one line, up to 100 characters, with no
 * URLs or domain-like tokens (a name is not a place to advertise a phishing site in a welcome
 * email) and no invisible or direction-changing characters (Unicode Cf such as U+202E, zero-width
 * characters, unusual spaces), which could make a name read differently from what it is.
 */
import { parse } from 'tldts'
import { z } from 'zod'
import { AppError } from '../errors.ts'

export const DISPLAY_NAME_MAX = 100

export type DisplayNameProblem = 'empty' | 'too_long' | 'line_break' | 'invisible' | 'url'

/** Controls, line/paragraph separators, format characters (bidi, zero-width), surrogates, private use, unassigned. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u
const LINE_BREAK = /[\r\n\u0085\u2028\u2029\v\f]/u
/** Spaces other than U+0020, and letters that render as blanks (Hangul fillers, braille blank). */
const ODD_SPACE = /[\p{Zs}\u115F\u1160\u3164\uFFA0\u2800]/u
/** Dots that mail clients and readers take for a full stop in a host name. */
const DOT_LOOKALIKES = /[\u3002\uFF0E\uFF61\u2024]/gu
const URL_MARKERS = /https?|:\/\/|www\.|xn--/iu
/** Something.something: a candidate host name, checked against the public suffix list. */
const HOST_LIKE = /[\p{L}\p{N}](?:[\p{L}\p{N}-]*)(?:\.[\p{L}\p{N}-]+)*\.[\p{L}\p{N}-]{2,63}/gu

/**
 * The problem with a display name (already trimmed), or null when it is fine.
 * @example displayNameProblem('Ana López') // null
 *          displayNameProblem('Win at evil.com') // 'url'
 */
export function displayNameProblem(name: string): DisplayNameProblem | null {
  if (name.length === 0) return 'empty'
  if ([...name].length > DISPLAY_NAME_MAX) return 'too_long'
  if (LINE_BREAK.test(name)) return 'line_break'
  if (INVISIBLE.test(name)) return 'invisible'
  if (ODD_SPACE.test(name.replaceAll(' ', ''))) return 'invisible'
  const folded = name.normalize('NFKC').replace(DOT_LOOKALIKES, '.')
  if (URL_MARKERS.test(folded)) return 'url'
  for (const match of folded.matchAll(HOST_LIKE)) {
    const parsed = parse(match[0].toLowerCase())
    if (parsed.isIcann === true || parsed.isPrivate === true) return 'url'
  }
  return null
}

const messages: Record<DisplayNameProblem, string> = {
  empty: 'Enter a name.',
  too_long: `Use at most ${DISPLAY_NAME_MAX} characters for the name.`,
  line_break: 'A name must be on one line.',
  invisible: 'The name contains invisible or direction-changing characters. Type it again without them.',
  url: 'A name cannot contain a web address or a domain name.',
}

/**
 * The trimmed name, or throws INVALID_DISPLAY_NAME (400) saying what to change.
 * @example const name = assertDisplayName(body.displayName)
 */
export function assertDisplayName(name: string): string {
  const trimmed = name.trim()
  const problem = displayNameProblem(trimmed)
  if (problem) {
    throw new AppError('INVALID_DISPLAY_NAME', 400, messages[problem], {
      details: { field: 'displayName', problem },
    })
  }
  return trimmed
}

/**
 * The request schema for a display name: a bounded string; the rules above run in the service so
 * a refusal carries the stable code INVALID_DISPLAY_NAME wherever the name comes from (HTTP, CLI).
 */
export const displayNameSchema = z.string().max(DISPLAY_NAME_MAX * 4)

/**
 * A display name for someone known only by an email (`bulwark staff create` without `--name`):
 * the mailbox name with dots, underscores and plus-tags turned into spaces, since the email itself
 * is domain-like and never a valid name.
 * @example displayNameFromEmail('first.admin+ops@example.org') // 'first admin'
 */
export function displayNameFromEmail(email: string): string {
  const local = (email.split('@')[0] ?? '').replace(/\+.*$/u, '')
  const name = local
    .replace(/[._-]+/gu, ' ')
    .trim()
    .slice(0, DISPLAY_NAME_MAX)
  return name.length > 0 && displayNameProblem(name) === null ? name : 'Staff member'
}
