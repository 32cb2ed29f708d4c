/**
 * @module Result shape shared by every external-format verifier: the list of checks run (each with
 * what it compared), the first failing one as a specific reason, and what the format can and
 * cannot guarantee even when every check passes.
 */

export type ExternalFormat = 'okx-v1' | 'okx-v2' | 'bybit' | 'bitget' | 'binance' | 'okx-reserves'

export type ExternalCheck = { name: string; ok: boolean; detail: string }

export type ExternalResult = {
  format: ExternalFormat
  /** Files the result covers (two for OKX v2: user info + full tree). */
  files: string[]
  ok: boolean
  /** The first failing check, e.g. "height 3: parent hash mismatch (expected …, file has …)". */
  reason: string | undefined
  checks: ExternalCheck[]
  /** Suspicious but not disqualifying facts (negative sibling sums, unverifiable rows…). */
  warnings: string[]
  /** The user's balances as the file states them, when the format has them. */
  balances: Record<string, string> | undefined
  /** Root hash (and total balances where the format publishes them). */
  root: { hash: string; balances?: Record<string, string> } | undefined
  guarantees: { can: string[]; cannot: string[] }
}

/** Collects checks and stops at the first failure, keeping its detail as the reason. */
export class CheckList {
  readonly checks: ExternalCheck[] = []
  readonly warnings: string[] = []

  /** Records a check; returns whether it passed so callers can stop early. */
  check(name: string, ok: boolean, detail: string): boolean {
    this.checks.push({ name, ok, detail })
    return ok
  }

  warn(message: string): void {
    this.warnings.push(message)
  }

  get reason(): string | undefined {
    const failed = this.checks.find((c) => !c.ok)
    return failed ? `${failed.name}: ${failed.detail}` : undefined
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok)
  }
}
