/**
 * @module Withdrawals: the request pipeline and the state machine. A request passes, in order,
 * (1) the 2FA step-up (session path), (2) the outflow gate — frozen, withdrawal lock, whitelist with
 * its 24 h delay — and (2b) account holds from risk cases, (3) the address-poisoning check against
 * the customer's address book and past destinations, (4) sanctions and scam address lists, (5) the
 * risk engine's decision (asked once, by the gate), (6) the withdrawal policy; then (7) staff
 * approvals bound to the payload hash, (8) signing and (9) broadcast (broadcast.ts). Each step's
 * verdict is recorded on the withdrawal. Amount + fee move from `available` to
 * `pending_withdrawal` in the transaction that creates the withdrawal, so an overdraft is
 * impossible (the ledger's CHECK); every way out (reject, cancel, failure) refunds once, under the
 * ledger key `withdrawal:<id>:refund`. Every transition locks the withdrawal row and is
 * audit-logged.
 */
import { randomUUID } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import canonicalize from 'canonicalize'
import { sql } from 'kysely'
import type { BaseDeps } from '../accounts/deps.ts'
import {
  confirmSensitiveAction,
  createOutflowGate,
  requireCanonicalAddress,
  withdrawalLock,
} from '../accounts/index.ts'
import { type AddressScreener, checkDestination } from '../guard/index.ts'
import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError, errors, isAppError } from '../platform/errors.ts'
import { recordAssessedEvent } from '../risk/index.ts'
import { type CustodyAsset, formatAmount, isCustodyAsset, parseAmount } from './assets.ts'
import { activeHolds } from './holds.ts'
import { createLedger, type Entry, type Tx } from './ledger.ts'
import {
  createPolicyStore,
  evaluatePolicy,
  feeOf,
  hotWalletMay,
  type PolicyDocument,
  type PolicyOutcome,
} from './policy.ts'
import type { CustodyWithdrawalsTable, StepRecord, WithdrawalStatus } from './withdrawals-tables.ts'

const DAY_MS = 86_400_000
/** How long a staff approval counts. */
export const APPROVAL_TTL_MS = DAY_MS
/**
 * Networks a withdrawal may go to: the EVM chain the custody node serves, and Bitcoin (cold wallet
 * of CUSTODY_BTC_XPUB, always signed offline as a PSBT: btc-psbt.ts).
 */
export const withdrawalNetworkOf: Record<CustodyAsset, string | null> = {
  ETH: 'ethereum',
  USDT: 'ethereum',
  USDC: 'ethereum',
  BTC: 'bitcoin',
}

type GateRisk = NonNullable<Parameters<typeof createOutflowGate>[0]['risk']>
type GateEvent = Parameters<GateRisk['assess']>[0]
/** The risk engine as withdrawals use it: the gate's decision plus the score the policy reads. */
export type WithdrawalRisk = {
  assess(event: GateEvent): ReturnType<GateRisk['assess']> & { score?: number }
}

export type WithdrawalDeps = {
  db: Db
  clock: Clock
  config: Config
  /** For the 2FA step-up (the app's accounts dependencies). */
  accounts: BaseDeps
  risk?: WithdrawalRisk
  /** Sanctions / drainer / phishing lists as the guard loaded them; null until loaded or when none. */
  screener?: () => Promise<AddressScreener | null>
  /** Whether an in-process hot-wallet signer is configured. */
  hotSigner?: boolean
  /** The Travel Rule step (src/compliance); absent = no Travel Rule checks. */
  travelRule?: TravelRuleStep
}

/**
 * The Travel Rule hook (implemented in src/compliance). `assess` is asked once per request, after
 * the sanctions lists: it refuses (throws) an undeclared destination above the threshold, passes a
 * proven self-hosted wallet, and answers `review` for a VASP's customer, which holds the withdrawal
 * in its `travel_rule` step (reason `TRAVEL_RULE_PENDING`); `started` then sends the data to the
 * beneficiary VASP and returns the withdrawal as its answer left it.
 */
export type TravelRuleStep = {
  assess(input: {
    userId: string
    asset: CustodyAsset
    amount: bigint
    network: string
    address: string
  }): Promise<{ verdict: 'pass' | 'review' | 'not_applicable'; detail: string }>
  started(row: WithdrawalRow): Promise<WithdrawalRow>
}

export type WithdrawalRequest = {
  userId: string
  via: 'session' | 'api_key'
  asset: string
  /** Decimal string, e.g. "0.25". */
  amount: string
  network: string
  address: string
  idempotencyKey: string
  totpCode?: string | undefined
  passkeyResponse?: Parameters<typeof confirmSensitiveAction>[1]['passkeyResponse']
  ip?: string
  device?: string
}

export type WithdrawalRow = {
  [K in keyof CustodyWithdrawalsTable]: CustodyWithdrawalsTable[K] extends import('kysely').ColumnType<
    infer S,
    unknown,
    unknown
  >
    ? S
    : CustodyWithdrawalsTable[K]
}

/** SHA-256 (hex) of the canonical JSON of the payload an approval is bound to. */
export function payloadHash(p: {
  id: string
  user: string
  asset: string
  amount: bigint | string
  network: string
  address: string
}): string {
  const json = canonicalize({
    id: p.id,
    user: p.user,
    asset: p.asset,
    amount: p.amount.toString(),
    network: p.network,
    address: p.address,
  })
  if (json === undefined) throw new Error('payload cannot be canonicalised')
  return bytesToHex(sha256(utf8ToBytes(json)))
}

const refusals: Record<string, { status: number; message: string }> = {
  ADDRESS_POISONING_SUSPECTED: {
    status: 403,
    message:
      'This address imitates an address you have used before but is a different one — a typical address-poisoning fake. Copy the address from the recipient again, not from your history.',
  },
  ADDRESS_SANCTIONED: {
    status: 403,
    message: 'This address is on a sanctions or scam list; we cannot send to it.',
  },
  OUTFLOW_RISK_BLOCKED: {
    status: 403,
    message: 'This was stopped by our risk checks. Contact support if you think this is a mistake.',
  },
  TRAVEL_RULE_REJECTED: {
    status: 403,
    message:
      'The receiving exchange declined the sender and recipient details (Travel Rule); the amount and fee were returned to your balance. Check the recipient with them.',
  },
  WITHDRAWAL_POLICY_REJECTED: {
    status: 403,
    message: 'Our withdrawal policy does not allow this withdrawal. Contact support if you need it.',
  },
}

/** Why a withdrawal lock is in force, as the customer reads it after "because". */
const LOCK_WORDS: Record<string, string> = {
  password_changed: 'you changed your password',
  two_factor_changed: 'you changed your two-factor settings',
  passkeys_changed: 'you changed your passkeys',
  anti_phishing_changed: 'you changed your anti-phishing code',
  whitelist_changed: 'you changed your withdrawal whitelist',
  new_device_after_password_change: 'a new device signed in soon after a password change',
  email_changed: 'you changed your email address',
  account_recovered: 'your account was recovered',
  reported_intrusion: 'you reported that someone else was in your account',
}

const STEP_WORDS: Record<string, string> = {
  second_factor: 'Two-factor confirmation',
  account: 'Account is active',
  lock: 'No withdrawal lock after a security change',
  whitelist: 'Destination allowed by your whitelist',
  account_hold: 'No hold on your account',
  address_poisoning: 'Not a lookalike of an address you use',
  sanctions: 'Not on a sanctions or scam list',
  risk: 'Risk checks',
  travel_rule: 'Travel Rule (sender and recipient data)',
  policy: 'Withdrawal policy',
  approvals: 'Staff approvals',
  signing: 'Signing',
  broadcast: 'Sent to the network',
  confirmations: 'Confirmations',
}

/** The customer's view of a withdrawal's status, in plain words. */
export function describeStatus(row: WithdrawalRow, approvals = 0, needed = 0): string {
  switch (row.status) {
    case 'requested':
      return 'Received; running the checks.'
    case 'held_for_review':
      if (row.reason_code === 'TRAVEL_RULE_PENDING')
        return 'Waiting for the receiving exchange to accept the sender and recipient details (Travel Rule).'
      return row.reason_code === 'ACCOUNT_HOLD'
        ? 'Held: withdrawals from your account are on hold while our risk team reviews it.'
        : 'Held for review by our risk team. We will let you know when it moves on.'
    case 'awaiting_approval':
      return `Waiting for approval by our custody team (${approvals} of ${needed}).`
    case 'rejected':
      return refusals[row.reason_code ?? '']?.message ?? 'Rejected by our team; nothing left your balance.'
    case 'approved':
      return 'Approved; being signed.'
    case 'signing':
      return row.signing_mode === 'offline'
        ? 'Approved; waiting for a signature from our offline (cold) wallet.'
        : 'Being signed.'
    case 'broadcast_pending_external':
      return 'Signed by our offline (cold) wallet; our operators are sending it to the Bitcoin network.'
    case 'broadcast':
      return `Sent to the network; ${row.confirmations} confirmation(s) so far.`
    case 'confirmed':
      return 'Completed.'
    case 'failed':
      return 'Failed on the network; the amount and fee were returned to your balance.'
    case 'cancelled':
      return 'Cancelled; the amount and fee were returned to your balance.'
  }
}

const CUSTOMER_STEP_DETAIL = new Set([
  'second_factor',
  'whitelist',
  'lock',
  'account',
  'policy',
  'travel_rule',
])

/** The customer's view: status in plain words and every step with its verdict. */
export function presentForCustomer(row: WithdrawalRow, approvals = 0) {
  return {
    id: row.id,
    asset: row.asset,
    amount: formatAmount(row.asset, BigInt(row.amount)),
    fee: formatAmount(row.asset, BigInt(row.fee)),
    network: row.network,
    address: row.address,
    status: row.status,
    statusText: describeStatus(row, approvals, row.required_approvals),
    reasonCode: row.reason_code,
    txHash: row.tx_hash,
    confirmations: row.confirmations,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    steps: row.steps.map((s) => ({
      step: s.step,
      label: STEP_WORDS[s.step] ?? s.step,
      verdict: s.verdict,
      // Risk and screening internals stay with staff; the customer sees the verdict.
      ...(s.detail && CUSTOMER_STEP_DETAIL.has(s.step) ? { detail: s.detail } : {}),
      at: s.at,
    })),
  }
}

/** Staff's view: the payload and its hash, the risk reasons and the policy that applied. */
export function presentForStaff(
  row: WithdrawalRow,
  approvals: { staffId: string; role: string; valid: boolean }[],
) {
  return {
    ...presentForCustomer(row, approvals.filter((a) => a.valid).length),
    userId: row.user_id,
    via: row.via,
    payload: {
      id: row.id,
      user: row.user_id,
      asset: row.asset,
      amount: BigInt(row.amount).toString(),
      network: row.network,
      address: row.address,
    },
    payloadHash: row.payload_hash,
    riskReasons: row.risk_reasons,
    policyVersion: row.policy_version,
    policyDecision: row.policy_decision,
    requiredApprovals: row.required_approvals,
    approvals,
    signingMode: row.signing_mode,
    nonce: row.nonce,
    failure: row.failure,
    steps: row.steps,
  }
}

type Evaluation = {
  steps: StepRecord[]
  review: string[]
  block: string | null
  riskReasons: { code: string; text: string }[]
  riskScore: number
  /** The event the risk engine decided on: stored with the withdrawal so a restart's warm-up replays it. */
  riskEvent: GateEvent | null
}

/**
 * The withdrawal service.
 * @example
 * const w = createWithdrawals({ db, clock, config, accounts: domain, risk: riskService.engine })
 * await w.request({ userId, via: 'session', asset: 'ETH', amount: '0.1', network: 'ethereum', address, idempotencyKey: 'k1', totpCode })
 */
export function createWithdrawals(deps: WithdrawalDeps) {
  const ledger = createLedger({ db: deps.db, clock: deps.clock })
  const policies = createPolicyStore(deps)
  const now = () => deps.clock.now()

  async function find(executor: Db | Tx, userId: string, key: string) {
    return (await executor
      .selectFrom('custody_withdrawals')
      .selectAll()
      .where('user_id', '=', userId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst()) as WithdrawalRow | undefined
  }

  function sameRequest(row: WithdrawalRow, asset: string, amount: bigint, network: string, address: string) {
    return (
      row.asset === asset &&
      BigInt(row.amount) === amount &&
      row.network === network &&
      row.address === address
    )
  }

  function repeated(row: WithdrawalRow, asset: string, amount: bigint, network: string, address: string) {
    if (!sameRequest(row, asset, amount, network, address)) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        409,
        'This idempotency key was already used for a different withdrawal. Use a new key for a new withdrawal.',
      )
    }
    if (row.status === 'rejected' && row.reason_code && refusals[row.reason_code]) throw refusal(row)
    return row
  }

  function refusal(row: WithdrawalRow): AppError {
    const r = refusals[row.reason_code!]!
    return new AppError(row.reason_code!, r.status, r.message, { details: { withdrawalId: row.id } })
  }

  const timed = async <T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> => {
    const start = performance.now()
    const value = await fn()
    return { value, ms: Math.round((performance.now() - start) * 1000) / 1000 }
  }

  /** Steps 1–5: refusals throw (nothing recorded, nothing moved); holds and blocks are returned. */
  async function evaluate(
    input: WithdrawalRequest,
    asset: CustodyAsset,
    amount: bigint,
    address: string,
  ): Promise<Evaluation> {
    const steps: StepRecord[] = []
    const at = () => now().toISOString()
    const ev: Evaluation = { steps, review: [], block: null, riskReasons: [], riskScore: 0, riskEvent: null }

    // 1. Second factor: sessions only; API keys are IP-bound and hold the withdraw permission.
    if (input.via === 'session') {
      const { value, ms } = await timed(() =>
        confirmSensitiveAction(deps.accounts, {
          userId: input.userId,
          totpCode: input.totpCode,
          passkeyResponse: input.passkeyResponse,
        }),
      )
      steps.push({ step: 'second_factor', verdict: 'pass', detail: value.method, ms, at: at() })
    } else {
      steps.push({ step: 'second_factor', verdict: 'not_applicable', detail: 'signed API key', at: at() })
    }

    // 2 + 5. The outflow gate (frozen, lock, whitelist, then the risk engine, asked once).
    let captured: { score?: number } | null = null
    let riskMs = 0
    const risk: GateRisk | undefined = deps.risk
      ? {
          assess: (event) => {
            const t0 = performance.now()
            const d = deps.risk!.assess(event)
            ev.riskEvent = event
            riskMs = Math.round((performance.now() - t0) * 1000) / 1000
            captured = d
            return d
          },
        }
      : undefined
    const gate = createOutflowGate({ db: deps.db, clock: deps.clock, ...(risk ? { risk } : {}) })
    const start = performance.now()
    let gateMs = 0
    try {
      const verdict = await gate({
        userId: input.userId,
        kind: 'withdrawal',
        asset,
        amount,
        ref: `${input.userId}:${input.idempotencyKey}`,
        destination: { network: input.network, address },
        ...(input.ip ? { ip: input.ip } : {}),
        ...(input.device ? { device: input.device } : {}),
      })
      gateMs = Math.round((performance.now() - start) * 1000) / 1000
      steps.push(
        { step: 'account', verdict: 'pass', at: at() },
        { step: 'lock', verdict: 'pass', at: at() },
        { step: 'whitelist', verdict: 'pass', ms: Math.max(0, gateMs - riskMs), at: at() },
      )
      ev.riskReasons = verdict.reasons
      const r = verdict.steps.find((s) => s.step === 'risk')
      ev.riskScore = (captured as { score?: number } | null)?.score ?? 0
      // Recorded after the address checks, in the pipeline's order (step 5).
      ev.steps.push({
        step: 'risk_pending',
        verdict:
          r?.verdict === 'review' ? 'review' : r?.verdict === 'not_applicable' ? 'not_applicable' : 'pass',
        ...(r?.detail ? { detail: r.detail } : {}),
        at: at(),
      })
      if (verdict.decision === 'review') ev.review.push('RISK_REVIEW')
    } catch (error) {
      if (!(isAppError(error) && error.code === 'OUTFLOW_RISK_BLOCKED')) throw error
      steps.push(
        { step: 'account', verdict: 'pass', at: at() },
        { step: 'lock', verdict: 'pass', at: at() },
        { step: 'whitelist', verdict: 'pass', at: at() },
        { step: 'risk_pending', verdict: 'block', detail: String(error.details?.reasons ?? ''), at: at() },
      )
      ev.riskScore = (captured as { score?: number } | null)?.score ?? 1
      ev.block = 'OUTFLOW_RISK_BLOCKED'
    }

    // 2b. Holds placed by an analyst from a risk case.
    {
      const { value: holds, ms } = await timed(() => activeHolds(deps.db, input.userId))
      if (holds.length > 0) {
        steps.push({
          step: 'account_hold',
          verdict: 'review',
          detail: `${holds.length} active hold(s)`,
          ms,
          at: at(),
        })
        ev.review.push('ACCOUNT_HOLD')
      } else steps.push({ step: 'account_hold', verdict: 'pass', ms, at: at() })
    }

    // 3. Address poisoning: a lookalike of the address book or of a past destination.
    {
      const { value: check, ms } = await timed(async () => {
        const book = await deps.db
          .selectFrom('whitelist_entries')
          .select('address')
          .where('user_id', '=', input.userId)
          .where('removed_at', 'is', null)
          .limit(500)
          .execute()
        const past = await deps.db
          .selectFrom('custody_withdrawals')
          .select('address')
          .distinct()
          .where('user_id', '=', input.userId)
          .where('status', 'in', ['approved', 'signing', 'broadcast', 'confirmed'])
          .limit(500)
          .execute()
        return checkDestination({ to: address, known: [...book, ...past].map((r) => r.address) })
      })
      if (check.verdict === 'allow') steps.push({ step: 'address_poisoning', verdict: 'pass', ms, at: at() })
      else {
        const detail = `ADDRESS_POISONING_SUSPECTED: lookalike of ${check.lookalikeOf ?? 'a known address'}`
        steps.push({
          step: 'address_poisoning',
          verdict: check.verdict === 'block' ? 'block' : 'review',
          detail,
          ms,
          at: at(),
        })
        if (check.verdict === 'block') ev.block ??= 'ADDRESS_POISONING_SUSPECTED'
        else ev.review.push('ADDRESS_POISONING_SUSPECTED')
      }
    }

    // 4. Sanctions, drainer and phishing lists (guard).
    {
      const { value: screen, ms } = await timed(
        async () => (await deps.screener?.())?.screen(address) ?? null,
      )
      if (!screen)
        steps.push({
          step: 'sanctions',
          verdict: 'not_applicable',
          detail: 'no address lists loaded',
          ms,
          at: at(),
        })
      else if (screen.verdict === 'allow') steps.push({ step: 'sanctions', verdict: 'pass', ms, at: at() })
      else {
        const detail = screen.reasons.map((r) => r.code).join(', ')
        steps.push({
          step: 'sanctions',
          verdict: screen.verdict === 'block' ? 'block' : 'review',
          detail,
          ms,
          at: at(),
        })
        if (screen.verdict === 'block') ev.block ??= 'ADDRESS_SANCTIONED'
        else ev.review.push('WATCHLISTED_ADDRESS')
      }
    }

    // 4b. Travel Rule (src/compliance): originator and beneficiary data for a VASP, or a proven self-hosted wallet.
    if (deps.travelRule) {
      const travelRule = deps.travelRule
      const { value: tr, ms } = await timed(() =>
        travelRule.assess({ userId: input.userId, asset, amount, network: input.network, address }),
      )
      steps.push({ step: 'travel_rule', verdict: tr.verdict, detail: tr.detail, ms, at: at() })
      // First, so that no other reviewer's release can send it before the beneficiary VASP accepts.
      if (tr.verdict === 'review') ev.review.unshift('TRAVEL_RULE_PENDING')
    }

    // 5. The risk engine's decision, as the gate asked it.
    const pending = steps.findIndex((s) => s.step === 'risk_pending')
    const [riskStep] = steps.splice(pending, 1)
    steps.push({ ...riskStep!, step: 'risk', ms: riskMs })
    return ev
  }

  /** "Delayed until …, because you changed your password." (the gate's code and details kept). */
  async function lockedInPlainWords(userId: string, error: AppError): Promise<AppError> {
    const lock = await withdrawalLock({ db: deps.db }, userId, now())
    if (!lock.locked || !lock.until) return error
    const because = LOCK_WORDS[lock.reason ?? ''] ?? 'of a recent security change'
    return new AppError(
      'WITHDRAWAL_LOCKED',
      error.status,
      `Withdrawals are delayed until ${lock.until.toISOString()}, because ${because}. This protects you if someone else made that change.`,
      { details: { ...(error.details ?? {}), reason: lock.reason }, cause: error },
    )
  }

  /** Step 6 inputs that need the customer's row lock (velocity) and history. */
  async function policyFacts(
    tx: Tx,
    userId: string,
    asset: CustodyAsset,
    amount: bigint,
    address: string,
    riskScore: number,
  ) {
    const at = now()
    const user = await tx
      .selectFrom('users')
      .select(['created_at'])
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirstOrThrow()
    const volume = await tx
      .selectFrom('custody_withdrawals')
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as('total'))
      .where('user_id', '=', userId)
      .where('asset', '=', asset)
      .where('created_at', '>', new Date(at.getTime() - DAY_MS))
      .where('status', 'not in', ['rejected', 'cancelled', 'failed'])
      .executeTakeFirstOrThrow()
    const firstSeen = await tx
      .selectFrom('whitelist_entries')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .where('user_id', '=', userId)
      .where('address', '=', address)
      .executeTakeFirst()
    const firstPaid = await tx
      .selectFrom('custody_withdrawals')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .where('user_id', '=', userId)
      .where('address', '=', address)
      .where('status', 'in', ['approved', 'signing', 'broadcast', 'confirmed'])
      .executeTakeFirst()
    const firsts = [firstSeen?.first, firstPaid?.first]
      .filter((d): d is Date => d instanceof Date || typeof d === 'string')
      .map((d) => new Date(d).getTime())
    const first = firsts.length ? Math.min(...firsts) : at.getTime()
    return {
      asset,
      amount,
      dailyVolume: BigInt(volume.total) + amount,
      destinationAgeDays: (at.getTime() - first) / DAY_MS,
      riskScore,
      accountAgeDays: (at.getTime() - new Date(user.created_at).getTime()) / DAY_MS,
    }
  }

  /** The status a withdrawal takes after the checks, given the policy's outcome. */
  function nextStatus(
    ev: Evaluation,
    outcome: PolicyOutcome,
  ): { status: WithdrawalStatus; code: string | null } {
    if (ev.block) return { status: 'rejected', code: ev.block }
    if (outcome.action === 'reject') return { status: 'rejected', code: 'WITHDRAWAL_POLICY_REJECTED' }
    if (ev.review.length > 0) return { status: 'held_for_review', code: ev.review[0]! }
    if (outcome.action === 'require_approvals') return { status: 'awaiting_approval', code: null }
    return { status: 'approved', code: null }
  }

  function signingMode(decision: Record<string, unknown> | null): 'hot' | 'offline' {
    return decision?.hotEligible === true && deps.hotSigner ? 'hot' : 'offline'
  }

  async function refund(tx: Tx, row: WithdrawalRow) {
    if (!row.funds_held) return
    const total = BigInt(row.amount) + BigInt(row.fee)
    await ledger.post(tx, {
      key: `withdrawal:${row.id}:refund`,
      kind: 'withdrawal_refund',
      ref: `withdrawal:${row.id}`,
      entries: [
        { account: { owner: row.user_id, asset: row.asset, kind: 'pending_withdrawal' }, amount: -total },
        { account: { owner: row.user_id, asset: row.asset, kind: 'available' }, amount: total },
      ],
    })
  }

  /**
   * Locks the withdrawal, checks it is in one of `from`, applies `change`, appends the step and
   * the audit entry, all in one transaction.
   */
  async function transition(
    id: string,
    from: readonly WithdrawalStatus[],
    actor: string,
    change: (
      tx: Tx,
      row: WithdrawalRow,
    ) => Promise<{
      status: WithdrawalStatus
      set?: Record<string, unknown>
      step?: Omit<StepRecord, 'at'>
      refund?: boolean
      audit?: Record<string, unknown>
    }>,
    visibleTo?: string,
  ): Promise<WithdrawalRow> {
    return deps.db.transaction().execute(async (tx) => {
      const row = (await tx
        .selectFrom('custody_withdrawals')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst()) as WithdrawalRow | undefined
      if (!row || (visibleTo !== undefined && row.user_id !== visibleTo))
        throw errors.notFound('That withdrawal')
      if (!from.includes(row.status)) {
        throw new AppError(
          'WITHDRAWAL_STATE',
          409,
          `This withdrawal is ${row.status.replaceAll('_', ' ')}; that cannot be done now.`,
          { details: { status: row.status } },
        )
      }
      const at = now()
      const out = await change(tx, row)
      if (out.refund) await refund(tx, row)
      const steps = out.step ? [...row.steps, { ...out.step, at: at.toISOString() }] : row.steps
      const updated = (await tx
        .updateTable('custody_withdrawals')
        .set({
          ...(out.set ?? {}),
          status: out.status,
          steps: JSON.stringify(steps),
          updated_at: at,
          ...(out.refund ? { funds_held: false } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()) as WithdrawalRow
      await appendAudit(tx, {
        actor,
        action: `custody.withdrawal_${out.status}`,
        target: `withdrawal:${id}`,
        details: { from: row.status, to: out.status, user: row.user_id, ...(out.audit ?? {}) },
        at,
      })
      return updated
    })
  }

  async function approvalsOf(executor: Db | Tx, row: WithdrawalRow) {
    const rows = await executor
      .selectFrom('custody_withdrawal_approvals')
      .select(['staff_id', 'role', 'payload_hash', 'expires_at'])
      .where('withdrawal_id', '=', row.id)
      .execute()
    const roles = ((row.policy_decision?.roles as string[] | undefined) ?? []) as string[]
    const at = now().getTime()
    return rows.map((a) => ({
      staffId: a.staff_id,
      role: a.role,
      valid: a.payload_hash === row.payload_hash && a.expires_at.getTime() > at && roles.includes(a.role),
    }))
  }

  return {
    policies,

    /** Runs the pipeline and records the withdrawal; a refusal at steps 1–2 throws and records nothing. */
    async request(input: WithdrawalRequest): Promise<WithdrawalRow> {
      if (!isCustodyAsset(input.asset))
        throw errors.invalidInput(`Unknown asset ${JSON.stringify(input.asset)}.`, { field: 'asset' })
      const asset = input.asset
      const network = withdrawalNetworkOf[asset]
      if (network === null) {
        throw new AppError(
          'WITHDRAWAL_NETWORK_UNSUPPORTED',
          400,
          `${asset} withdrawals are not available yet.`,
          { details: { field: 'asset' } },
        )
      }
      if (input.network !== network) {
        throw new AppError('WITHDRAWAL_NETWORK_UNSUPPORTED', 400, `${asset} is withdrawn on ${network}.`, {
          details: { field: 'network' },
        })
      }
      if (asset === 'BTC' && !deps.config.CUSTODY_BTC_XPUB)
        throw new AppError(
          'WITHDRAWAL_ASSET_UNAVAILABLE',
          503,
          'Bitcoin withdrawals are not set up on this exchange yet (no cold wallet configured).',
          { details: { field: 'asset' } },
        )
      let amount: bigint
      try {
        amount = parseAmount(asset, input.amount)
      } catch {
        throw errors.invalidInput(`Not a valid ${asset} amount.`, { field: 'amount' })
      }
      if (amount <= 0n)
        throw new AppError('INVALID_AMOUNT', 400, 'The amount must be more than zero.', {
          details: { field: 'amount' },
        })
      const address = requireCanonicalAddress(input.network, input.address)

      const existing = await find(deps.db, input.userId, input.idempotencyKey)
      if (existing) return repeated(existing, asset, amount, input.network, address)

      let ev: Evaluation
      try {
        ev = await evaluate(input, asset, amount, address)
      } catch (caught) {
        const error =
          isAppError(caught) && caught.code === 'WITHDRAWAL_LOCKED'
            ? await lockedInPlainWords(input.userId, caught)
            : caught
        if (isAppError(error)) {
          await appendAudit(deps.db, {
            actor: `user:${input.userId}`,
            action: 'custody.withdrawal_refused',
            target: `user:${input.userId}`,
            details: { code: error.code, asset, amount: amount.toString(), network: input.network, address },
            at: now(),
          })
        }
        throw error
      }

      const id = randomUUID()
      const hash = payloadHash({ id, user: input.userId, asset, amount, network: input.network, address })
      const row = await deps.db.transaction().execute(async (tx) => {
        const policy = await policies.active(tx)
        const start = performance.now()
        const facts = await policyFacts(tx, input.userId, asset, amount, address, ev.riskScore)
        const outcome = evaluatePolicy(policy.document, facts)
        const { fee, insurance } = feeOf(policy.document, asset)
        // Bitcoin has no hot wallet: every BTC withdrawal is signed offline (btc-psbt.ts).
        const hotEligible = asset !== 'BTC' && hotWalletMay(policy.document, asset, amount)
        const policyMs = Math.round((performance.now() - start) * 1000) / 1000
        const steps = [
          ...ev.steps,
          {
            step: 'policy',
            verdict:
              outcome.action === 'reject'
                ? 'block'
                : outcome.action === 'require_approvals'
                  ? 'review'
                  : 'pass',
            detail:
              outcome.action === 'require_approvals'
                ? `version ${policy.version}: ${outcome.count} approval(s) needed`
                : `version ${policy.version}: ${outcome.action.replace('_', ' ')}`,
            ms: policyMs,
            at: now().toISOString(),
          } satisfies StepRecord,
        ]
        const { status, code } = nextStatus(ev, outcome)
        const holdFunds = status !== 'rejected'
        const at = now()
        const decision = {
          ...outcome,
          facts: {
            dailyVolume: facts.dailyVolume.toString(),
            destinationAgeDays: Math.round(facts.destinationAgeDays * 100) / 100,
            riskScore: facts.riskScore,
            accountAgeDays: Math.round(facts.accountAgeDays * 100) / 100,
          },
          hotEligible,
          insurance: insurance.toString(),
        }
        const inserted = (await tx
          .insertInto('custody_withdrawals')
          .values({
            id,
            user_id: input.userId,
            idempotency_key: input.idempotencyKey,
            asset,
            network: input.network,
            address,
            amount: amount.toString(),
            fee: fee.toString(),
            status,
            payload_hash: hash,
            via: input.via,
            steps: JSON.stringify(steps),
            reason_code: code,
            risk_reasons: JSON.stringify(ev.riskReasons),
            policy_version: policy.version,
            policy_decision: JSON.stringify(decision),
            required_approvals: outcome.action === 'require_approvals' ? outcome.count : 0,
            signing_mode: status === 'approved' ? signingMode(decision) : null,
            funds_held: holdFunds,
            confirmations: 0,
            created_at: at,
            updated_at: at,
            approved_at: status === 'approved' ? at : null,
          })
          .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
          .returningAll()
          .executeTakeFirst()) as WithdrawalRow | undefined
        if (!inserted) return null
        if (ev.riskEvent) await recordAssessedEvent(tx, ev.riskEvent)
        if (holdFunds) {
          await ledger.post(tx, {
            key: `withdrawal:${id}:hold`,
            kind: 'withdrawal_hold',
            ref: `withdrawal:${id}`,
            entries: [
              { account: { owner: input.userId, asset, kind: 'available' }, amount: -(amount + fee) },
              { account: { owner: input.userId, asset, kind: 'pending_withdrawal' }, amount: amount + fee },
            ],
          })
        }
        await appendAudit(tx, {
          actor: `user:${input.userId}`,
          action: 'custody.withdrawal_requested',
          target: `withdrawal:${id}`,
          details: {
            status,
            code,
            asset,
            amount: amount.toString(),
            fee: fee.toString(),
            network: input.network,
            address,
            via: input.via,
            payloadHash: hash,
            policyVersion: policy.version,
            steps: steps.map((s) => `${s.step}:${s.verdict}`),
          },
          at,
        })
        return inserted
      })
      if (!row) {
        // Another request with the same key won the race: answer with its withdrawal.
        const winner = await find(deps.db, input.userId, input.idempotencyKey)
        if (!winner) throw new Error('withdrawal vanished after an idempotency conflict')
        return repeated(winner, asset, amount, input.network, address)
      }
      if (row.status === 'rejected') throw refusal(row)
      if (deps.travelRule && row.reason_code === 'TRAVEL_RULE_PENDING') return deps.travelRule.started(row)
      return row
    },

    async get(id: string, userId?: string) {
      const row = (await deps.db
        .selectFrom('custody_withdrawals')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) as WithdrawalRow | undefined
      if (!row || (userId !== undefined && row.user_id !== userId)) throw errors.notFound('That withdrawal')
      return { row, approvals: await approvalsOf(deps.db, row) }
    },

    async listForUser(userId: string, limit = 50) {
      return (await deps.db
        .selectFrom('custody_withdrawals')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute()) as WithdrawalRow[]
    },

    async queue(status: WithdrawalStatus | undefined, limit = 100) {
      let q = deps.db.selectFrom('custody_withdrawals').selectAll()
      q = status
        ? q.where('status', '=', status)
        : q.where('status', 'in', ['held_for_review', 'awaiting_approval'])
      const rows = (await q.orderBy('created_at').limit(limit).execute()) as WithdrawalRow[]
      return Promise.all(rows.map(async (row) => ({ row, approvals: await approvalsOf(deps.db, row) })))
    },

    approvalsOf: (row: WithdrawalRow) => approvalsOf(deps.db, row),

    /** The customer cancels before signing starts; funds return once. */
    cancel(id: string, userId: string) {
      return transition(
        id,
        ['requested', 'held_for_review', 'awaiting_approval', 'approved'],
        `user:${userId}`,
        async () => ({
          status: 'cancelled',
          refund: true,
          step: { step: 'cancelled', verdict: 'block', detail: 'by the customer' },
        }),
        userId,
      )
    },

    /**
     * A staff approval bound to the payload hash the approver saw. It counts while that hash is the
     * withdrawal's, within APPROVAL_TTL_MS, from a role the policy named, and from someone other
     * than the requester; enough of them approve the withdrawal.
     */
    approve(id: string, staff: { id: string; role: string }, seenHash: string) {
      return transition(id, ['awaiting_approval'], `staff:${staff.id}`, async (tx, row) => {
        if (row.user_id === staff.id)
          throw new AppError('APPROVER_IS_REQUESTER', 403, 'You cannot approve your own withdrawal.')
        const roles = (row.policy_decision?.roles as string[] | undefined) ?? []
        if (!roles.includes(staff.role)) {
          throw new AppError(
            'APPROVER_ROLE_NOT_NAMED',
            403,
            `The policy asks approvals from ${roles.join(', ')}; your role is ${staff.role}.`,
          )
        }
        if (seenHash !== row.payload_hash) {
          throw new AppError(
            'PAYLOAD_MISMATCH',
            409,
            'What you approved is not this withdrawal’s payload (amount, address or network differ). Reload it and check again.',
          )
        }
        if ((await activeHolds(tx, row.user_id)).length > 0)
          throw new AppError(
            'ACCOUNT_HOLD_ACTIVE',
            409,
            'This account’s withdrawals are on hold; lift the hold first.',
          )
        const at = now()
        await tx
          .insertInto('custody_withdrawal_approvals')
          .values({
            withdrawal_id: id,
            staff_id: staff.id,
            role: staff.role,
            payload_hash: seenHash,
            created_at: at,
            expires_at: new Date(at.getTime() + APPROVAL_TTL_MS),
          })
          .onConflict((oc) =>
            oc.columns(['withdrawal_id', 'staff_id']).doUpdateSet({
              payload_hash: seenHash,
              role: staff.role,
              created_at: at,
              expires_at: new Date(at.getTime() + APPROVAL_TTL_MS),
            }),
          )
          .execute()
        const valid = (await approvalsOf(tx, row)).filter((a) => a.valid).length
        const done = valid >= row.required_approvals
        return {
          status: done ? 'approved' : 'awaiting_approval',
          set: done ? { approved_at: at, signing_mode: signingMode(row.policy_decision) } : {},
          step: {
            step: 'approvals',
            verdict: done ? 'pass' : 'review',
            detail: `${valid} of ${row.required_approvals}`,
          },
          audit: { approvals: valid, required: row.required_approvals, payloadHash: seenHash },
        }
      })
    },

    /** Staff reject a withdrawal waiting for approval or held for review; funds return once. */
    reject(id: string, staffId: string, note: string) {
      return transition(
        id,
        ['held_for_review', 'awaiting_approval', 'approved'],
        `staff:${staffId}`,
        async () => ({
          status: 'rejected',
          refund: true,
          set: { reason_code: 'REJECTED_BY_STAFF' },
          step: { step: 'review', verdict: 'block', detail: 'rejected by staff' },
          audit: { note },
        }),
      )
    },

    /** An analyst releases a held withdrawal: it continues with the policy's outcome. */
    release(id: string, staffId: string, note: string) {
      return transition(id, ['held_for_review'], `staff:${staffId}`, async (tx, row) => {
        if (row.reason_code === 'TRAVEL_RULE_PENDING')
          throw new AppError(
            'TRAVEL_RULE_PENDING',
            409,
            'This withdrawal waits for the beneficiary VASP to accept the Travel Rule data; compliance decides it on the Travel Rule page.',
          )
        if ((await activeHolds(tx, row.user_id)).length > 0)
          throw new AppError(
            'ACCOUNT_HOLD_ACTIVE',
            409,
            'This account’s withdrawals are on hold; lift the hold first.',
          )
        const decision = row.policy_decision ?? {}
        const at = now()
        if (decision.action === 'reject')
          return {
            status: 'rejected',
            refund: true,
            set: { reason_code: 'WITHDRAWAL_POLICY_REJECTED' },
            audit: { note },
          }
        const step = { step: 'review', verdict: 'pass' as const, detail: 'released by the risk team' }
        if (
          row.required_approvals > 0 &&
          (await approvalsOf(tx, row)).filter((a) => a.valid).length < row.required_approvals
        )
          return { status: 'awaiting_approval', set: { reason_code: null }, step, audit: { note } }
        return {
          status: 'approved',
          set: { reason_code: null, approved_at: at, signing_mode: signingMode(decision) },
          step,
          audit: { note },
        }
      })
    },

    /** Used by holds.ts: a new hold stops withdrawals that have not started signing. */
    async holdPending(tx: Tx, userId: string, holdId: string) {
      const rows = await tx
        .selectFrom('custody_withdrawals')
        .select(['id', 'status', 'steps'])
        .where('user_id', '=', userId)
        .where('status', 'in', ['awaiting_approval', 'approved', 'requested'])
        .forUpdate()
        .execute()
      const at = now()
      for (const r of rows) {
        const steps = [
          ...r.steps,
          { step: 'account_hold', verdict: 'review', detail: `hold ${holdId}`, at: at.toISOString() },
        ]
        await tx
          .updateTable('custody_withdrawals')
          .set({
            status: 'held_for_review',
            reason_code: 'ACCOUNT_HOLD',
            steps: JSON.stringify(steps),
            updated_at: at,
          })
          .where('id', '=', r.id)
          .execute()
        await appendAudit(tx, {
          actor: 'system',
          action: 'custody.withdrawal_held_for_review',
          target: `withdrawal:${r.id}`,
          details: { from: r.status, to: 'held_for_review', user: userId, hold: holdId },
          at,
        })
      }
      return rows.length
    },

    refund,
    transition,
  }
}
export type Withdrawals = ReturnType<typeof createWithdrawals>

/** The ledger entries that complete a withdrawal: pending → the paying wallet, fees and the insurance fund. */
export function completionEntries(row: WithdrawalRow, wallet: 'hot_wallet' | 'cold_wallet'): Entry[] {
  const amount = BigInt(row.amount)
  const fee = BigInt(row.fee)
  const insurance = BigInt(String(row.policy_decision?.insurance ?? '0'))
  const entries: Entry[] = [
    {
      account: { owner: row.user_id, asset: row.asset, kind: 'pending_withdrawal' },
      amount: -(amount + fee),
    },
    { account: { owner: null, asset: row.asset, kind: wallet }, amount },
  ]
  if (fee - insurance > 0n)
    entries.push({ account: { owner: null, asset: row.asset, kind: 'fees' }, amount: fee - insurance })
  if (insurance > 0n)
    entries.push({ account: { owner: null, asset: row.asset, kind: 'insurance_fund' }, amount: insurance })
  return entries
}

export type { PolicyDocument }
