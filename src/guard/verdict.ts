/**
 * @module The shape every guard check returns: a verdict (`allow | warn | block`), machine-readable
 * reasons and one sentence a user understands. Detectors add reasons; the verdict is the worst
 * severity among them, so a single blocking reason can never be hidden by an allowing one.
 */

export type Verdict = 'allow' | 'warn' | 'block'

/** One finding. `code` is stable UPPER_SNAKE; `detail` is a short English explanation. */
export type Reason = {
  code: string
  detail: string
  severity: Verdict
}

const rank: Record<Verdict, number> = { allow: 0, warn: 1, block: 2 }

/** The most severe verdict among the reasons (`allow` when there are none). */
export function verdictOf(reasons: readonly Reason[]): Verdict {
  let worst: Verdict = 'allow'
  for (const r of reasons) if (rank[r.severity] > rank[worst]) worst = r.severity
  return worst
}

/** Builds a reason; a helper so detectors read as a list of findings. */
export function reason(code: string, severity: Verdict, detail: string): Reason {
  return { code, severity, detail }
}

/** Strips severity for public output (`{code, detail}` as the CLI contract states). */
export function publicReasons(reasons: readonly Reason[]): { code: string; detail: string }[] {
  return reasons.map((r) => ({ code: r.code, detail: r.detail }))
}

/** Shortens an address or hash for sentences: `0xab12…cd34`. */
export function short(value: string): string {
  return value.length > 12 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value
}
