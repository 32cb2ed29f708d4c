/**
 * @module Lookalike ("address poisoning") detection. Poisoners generate vanity addresses whose first
 * and last characters match an address the victim already uses, then seed the victim's history so the
 * fake is copied next time. MetaMask's first-4/last-4 rule misses most real attacks (attackers often
 * match 2–3 leading and 4–7 trailing characters); we score the characters matched at both ends
 * instead and compare against every known address.
 *
 * Score: characters matched at the start plus at the end, where a run of three or more identical
 * characters counts once (legitimate vanity families such as `0x1111111254…` or `0x000000000…`
 * share long runs without imitating each other). Two random addresses reach a score of 5 with
 * probability of about 4·10⁻⁶, so:
 * - matched at both ends and score ≥ 5 → warn, score ≥ 6 → block;
 * - matched at the end only: score ≥ 6 → block (wallets show the tail; legitimate families rarely
 *   share one);
 * - matched at the start only: score ≥ 7 → block (vanity families share prefixes by design).
 */
import type { Reason, Verdict } from '../verdict.ts'
import { reason, short, verdictOf } from '../verdict.ts'
import { normalizeAddress, visiblePart } from './normalize.ts'

export type Similarity = { prefix: number; suffix: number; score: number }

/** Characters matched at start and end, and the run-compressed score. */
export function similarity(a: string, b: string): Similarity {
  const n = Math.min(a.length, b.length)
  let p = 0
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++
  if (p === n) return { prefix: p, suffix: 0, score: runs(a, 0, p) }
  let s = 0
  while (s < n - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++
  return { prefix: p, suffix: s, score: runs(a, 0, p) + runs(a, a.length - s, a.length) }
}

function runs(x: string, from: number, to: number): number {
  let count = 0
  let i = from
  while (i < to) {
    let j = i + 1
    while (j < to && x.charCodeAt(j) === x.charCodeAt(i)) j++
    count += j - i >= 3 ? 1 : j - i
    i = j
  }
  return count
}

/** Our verdict for one pair's similarity (see module comment). */
export function pairVerdict(sim: Similarity): Verdict {
  const twoSided = sim.prefix > 0 && sim.suffix > 0
  if (sim.score >= 7 || ((twoSided || sim.suffix > 0) && sim.score >= 6)) return 'block'
  if (twoSided && sim.score >= 5) return 'warn'
  return 'allow'
}

/** MetaMask's rule, kept as a baseline for evaluations: same first 4 and last 4 characters. */
export function metamaskRule(sim: Similarity): boolean {
  return sim.prefix >= 4 && sim.suffix >= 4
}

export type AddressCheckInput = { to: string; known: readonly string[]; chain?: string }

export type AddressCheck = {
  to: string
  verdict: Verdict
  lookalikeOf?: string
  reasons: Reason[]
  summary: string
}

/**
 * Checks a destination against the user's known addresses (past counterparties, address book).
 * @example checkDestination({ to: '0x40e9…fc3f', known: ['0x4008…0c3f'] })
 */
export function checkDestination(input: AddressCheckInput): AddressCheck {
  const to = normalizeAddress(input.to)
  if (!to) {
    const reasons = [reason('NOT_AN_ADDRESS', 'block', `"${input.to}" is not a valid address.`)]
    return { to: input.to, verdict: 'block', reasons, summary: 'This is not a valid address; do not send.' }
  }
  const reasons: Reason[] = []
  const toVis = visiblePart(to)
  let best: { known: string; sim: Similarity; verdict: Verdict } | undefined
  for (const k of input.known) {
    const kn = normalizeAddress(k)
    if (!kn || kn.kind !== to.kind) continue
    if (kn.address === to.address) {
      return {
        to: input.to,
        verdict: 'allow',
        reasons: [reason('KNOWN_ADDRESS', 'allow', 'You have used this exact address before.')],
        summary: 'This is an address you already know.',
      }
    }
    const sim = similarity(toVis, visiblePart(kn))
    const v = pairVerdict(sim)
    if (v !== 'allow' && (!best || sim.score > best.sim.score)) best = { known: k, sim, verdict: v }
  }
  if (!best)
    return { to: input.to, verdict: 'allow', reasons, summary: 'No lookalike of your known addresses.' }
  reasons.push(
    reason(
      'LOOKALIKE_ADDRESS',
      best.verdict,
      `${short(input.to)} matches the first ${best.sim.prefix} and last ${best.sim.suffix} characters of ${short(best.known)}, which you used before, but it is a different address — a typical address-poisoning fake.`,
    ),
  )
  return {
    to: input.to,
    verdict: verdictOf(reasons),
    lookalikeOf: best.known,
    reasons,
    summary: `Stop: this is not ${short(best.known)}. Compare every character before sending.`,
  }
}
