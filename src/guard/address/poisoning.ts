/**
 * @module Classifies a transfer in a wallet's history as address poisoning. The three shapes seen in
 * the wild (Guan & Li, CCS'24; Tsuchiya et al., USENIX Security'25):
 * - `zero_value`: a zero-amount `transferFrom(victim, lookalike, 0)` any contract lets anyone emit,
 *   so the lookalike shows up in the victim's history as a recipient;
 * - `dust`: a tiny amount of a real token sent from the lookalike;
 * - `counterfeit_token`: a fake token (symbol "USDT" at a non-canonical contract) moved from or to
 *   the lookalike, often with an amount matching a real recent transfer.
 * A transfer whose counterparty imitates a known address but fits none of these is `lookalike`.
 */
import type { TokenGuard } from '../token/counterfeit.ts'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, short, verdictOf } from '../verdict.ts'
import { checkDestination } from './lookalike.ts'
import { normalizeAddress } from './normalize.ts'

export type Poisoning = 'zero_value' | 'dust' | 'counterfeit_token' | 'lookalike' | null

export type TransferInput = {
  chainId: number
  token: string
  symbol: string
  from: string
  to: string
  /** Amount in the token's smallest unit, as a decimal string. */
  value: string
  known: readonly string[]
  decimals?: number
}

export type TransferCheck = {
  poisoning: Poisoning
  verdict: Verdict
  lookalike?: string
  lookalikeOf?: string
  reasons: Reason[]
  summary: string
}

const KNOWN_DECIMALS: Record<string, number> = { USDT: 6, USDC: 6, EURC: 6, PYUSD: 6, WBTC: 8 }

/**
 * Dust: below 1/1000 of one whole token (0.001 USDT, 0.001 ETH). Real payments are rarely that small;
 * poisoners send the minimum that makes the transfer show up.
 */
export function isDust(value: bigint, decimals: number): boolean {
  return value > 0n && value * 1000n < 10n ** BigInt(decimals)
}

/** Classifies one transfer. `tokens` (optional) recognises counterfeit tokens. */
export function classifyTransfer(t: TransferInput, tokens?: TokenGuard): TransferCheck {
  const value = BigInt(t.value)
  const from = normalizeAddress(t.from)?.address
  const to = normalizeAddress(t.to)?.address
  const knownSet = new Set(t.known.map((k) => normalizeAddress(k)?.address).filter((x) => x !== undefined))
  // The counterparty is whichever side is not one of the user's known addresses; check both.
  let look: { side: string; of: string; verdict: Verdict } | undefined
  for (const side of [t.from, t.to]) {
    const n = normalizeAddress(side)?.address
    if (!n || knownSet.has(n)) continue
    const r = checkDestination({ to: side, known: t.known })
    if (r.lookalikeOf && r.verdict !== 'allow') {
      look = { side, of: r.lookalikeOf, verdict: r.verdict }
      break
    }
  }
  const reasons: Reason[] = []
  const token = tokens?.check({ chainId: t.chainId, address: t.token, symbol: t.symbol })
  const counterfeit = token !== undefined && token.impersonates !== undefined && token.verdict === 'block'
  if (counterfeit)
    reasons.push(
      reason(
        'COUNTERFEIT_TOKEN',
        'block',
        `The token "${t.symbol}" is not the real ${token?.impersonates?.symbol}.`,
      ),
    )
  let poisoning: Poisoning = null
  if (look) {
    const decimals = t.decimals ?? KNOWN_DECIMALS[t.symbol.toUpperCase()] ?? 18
    if (counterfeit) poisoning = 'counterfeit_token'
    else if (value === 0n) poisoning = 'zero_value'
    else if (isDust(value, decimals)) poisoning = 'dust'
    else poisoning = 'lookalike'
    reasons.push(
      reason(
        'POISONING_TRANSFER',
        'block',
        `${short(look.side)} imitates ${short(look.of)}, an address you know; this ${poisoning === 'lookalike' ? 'transfer' : poisoning.replace('_', '-') + ' transfer'} plants it in your history so you copy it by mistake.`,
      ),
    )
  } else if (
    value === 0n &&
    from !== undefined &&
    to !== undefined &&
    !knownSet.has(from) &&
    !knownSet.has(to)
  ) {
    reasons.push(
      reason(
        'ZERO_VALUE_TRANSFER',
        'warn',
        'A zero-value transfer between addresses you do not know; ignore it.',
      ),
    )
  }
  const out: TransferCheck = {
    poisoning,
    verdict: verdictOf(reasons),
    reasons,
    summary: poisoning
      ? `Address-poisoning attempt (${poisoning.replace('_', ' ')}): never copy ${short(look?.side ?? '')} from your history.`
      : counterfeit
        ? 'Counterfeit token transfer; ignore it.'
        : 'No sign of address poisoning.',
  }
  if (look) {
    out.lookalike = look.side
    out.lookalikeOf = look.of
  }
  return out
}
