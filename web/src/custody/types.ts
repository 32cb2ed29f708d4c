/**
 * @module What the custody API answers (src/custody/routes.ts and withdrawal-routes.ts), as the
 * pages read it, and the words the pages use for ledger kinds and step verdicts.
 */

export const ASSETS = ['ETH', 'USDT', 'USDC', 'BTC'] as const
/**
 * Assets that can be withdrawn, and the network each leaves on. BTC is signed offline (a PSBT, by
 * the cold wallet); a server without a Bitcoin cold wallet answers WITHDRAWAL_ASSET_UNAVAILABLE.
 */
export const WITHDRAWAL_NETWORKS: Record<string, { value: string; label: string }> = {
  ETH: { value: 'ethereum', label: 'Ethereum' },
  USDT: { value: 'ethereum', label: 'Ethereum (ERC-20)' },
  USDC: { value: 'ethereum', label: 'Ethereum (ERC-20)' },
  BTC: { value: 'bitcoin', label: 'Bitcoin' },
}

export type Balance = {
  asset: string
  available: string
  locked: string
  pendingWithdrawal: string
  underReview: string
}

export type Movement = {
  id: string
  at: string
  kind: string
  asset: string
  account: string
  amount: string
}

export type DepositAddress = { asset: string; chain: 'evm' | 'btc'; address: string; createdAt: string }

export type Deposit = {
  id: string
  asset: string
  amount: string
  txid: string
  status: 'pending' | 'credited' | 'under_review' | 'removed'
  confirmations: number
  requiredConfirmations: number
  seenAt: string
}

export type Step = { step: string; label?: string; verdict: string; detail?: string; at: string }

export type Withdrawal = {
  id: string
  asset: string
  amount: string
  fee: string
  network: string
  address: string
  status: string
  statusText: string
  txHash: string | null
  confirmations: number
  createdAt: string
  steps: Step[]
}

export type StaffWithdrawal = Withdrawal & {
  via: 'session' | 'api_key'
  payload: { asset: string; amount: string; network: string; address: string }
  payloadHash: string
  riskReasons: { code: string; text: string }[]
  policyVersion: number | null
  policyDecision: {
    action?: string
    count?: number
    roles?: string[]
    matched?: string[]
    facts?: { riskScore?: number; accountAgeDays?: number; destinationAgeDays?: number }
  } | null
  requiredApprovals: number
  approvals: { staffId: string; role: string; valid: boolean }[]
}

export type PolicyRule = {
  id: string
  description?: string
  when: Record<string, unknown>
  outcome: { action: string; count?: number; roles?: string[] }
}
export type Policy = {
  version: number
  status: 'proposed' | 'active' | 'superseded' | 'rejected'
  document: {
    fees: Record<string, string>
    insuranceShareBps: number
    hotWalletMax: Record<string, string>
    rules: PolicyRule[]
  }
  proposedAt: string
  approvedAt: string | null
  note: string
}

/** Ledger transaction kinds in words; others are shown with their underscores as spaces. */
const MOVEMENT_WORDS: Record<string, string> = {
  deposit: 'Deposit',
  deposit_held: 'Deposit held for review',
  hold: 'Reserved for an order',
  release: 'Released from an order',
  withdrawal_hold: 'Reserved for a withdrawal',
  withdrawal_refund: 'Withdrawal returned',
  withdrawal: 'Withdrawal sent',
}
export const movementWords = (kind: string) => MOVEMENT_WORDS[kind] ?? humanize(kind)

/** The customer's accounts per asset, in words. */
const ACCOUNT_WORDS: Record<string, string> = {
  available: 'available',
  locked: 'in an order',
  pending_withdrawal: 'reserved for a withdrawal',
  held_deposit: 'under review',
  fees: 'Fees earned',
  insurance_fund: 'Insurance fund',
  hot_wallet: 'Hot wallet',
  warm_wallet: 'Warm wallet',
  cold_wallet: 'Cold wallet',
  external_clearing: 'External clearing',
}
export const accountWords = (kind: string) => ACCOUNT_WORDS[kind] ?? humanize(kind)

const VERDICT_WORDS: Record<string, string> = {
  pass: 'passed',
  review: 'held for review',
  block: 'stopped',
  not_applicable: 'not needed',
  pending: 'waiting',
}
export const verdictWords = (verdict: string) => VERDICT_WORDS[verdict] ?? humanize(verdict)

export function humanize(word: string): string {
  const w = word.replaceAll('_', ' ')
  return w.charAt(0).toUpperCase() + w.slice(1)
}

/** A policy rule's condition in words ("ETH, 1 or more, risk score 0.5 or more"). */
export function conditionWords(when: Record<string, unknown>): string {
  const parts: string[] = []
  if (when.asset) parts.push(String(when.asset))
  if (when.amountAtLeast) parts.push(`amount ${when.amountAtLeast} or more`)
  if (when.dailyVolumeAtLeast) parts.push(`${when.dailyVolumeAtLeast} or more in 24 h`)
  if (when.destinationNewerThanDays !== undefined)
    parts.push(`address first used less than ${when.destinationNewerThanDays} day(s) ago`)
  if (when.riskScoreAtLeast !== undefined) parts.push(`risk score ${when.riskScoreAtLeast} or more`)
  if (when.accountYoungerThanDays !== undefined)
    parts.push(`account younger than ${when.accountYoungerThanDays} day(s)`)
  return parts.length ? parts.join(', ') : 'every withdrawal'
}

export function outcomeWords(o: { action?: string; count?: number; roles?: string[] }): string {
  if (o.action === 'auto_approve') return 'approve automatically'
  if (o.action === 'reject') return 'reject'
  if (o.action === 'require_approvals')
    return `needs ${o.count} approval(s) from ${(o.roles ?? []).map(humanize).join(' or ')}`
  return humanize(o.action ?? 'unknown')
}
