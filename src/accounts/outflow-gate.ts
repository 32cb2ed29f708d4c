/**
 * @module The one gate for value leaving a customer's account. Every outflow — an on-chain
 * withdrawal, a P2P sell ad or sell order (which puts the seller's funds in escrow for someone
 * else), releasing P2P escrow to a buyer, an internal transfer — asks `checkOutflow` first, and the
 * answer is the same whichever door the value tries: the account is not frozen, no withdrawal lock
 * is in force (a security change starts one), an on-chain destination passes the whitelist, and the
 * risk engine does not block it. A risk `review` is returned, not thrown: a withdrawal waits in the
 * analyst queue, a P2P step goes ahead with the alert already raised by the engine.
 *
 * Throws `ACCOUNT_FROZEN` (423), `WITHDRAWAL_LOCKED` (423, `details.until`), `ADDRESS_INVALID`,
 * `ADDRESS_NOT_WHITELISTED`, `WHITELIST_ENTRY_PENDING` (403) or `OUTFLOW_RISK_BLOCKED` (403).
 */
import type { Transaction } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import type { Database, Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { accountMayMoveValue, canWithdrawTo, type WithdrawDecision } from './whitelist.ts'

type Executor = Db | Transaction<Database>

/** The ways value leaves an account. */
export const outflowKinds = [
  'withdrawal',
  'p2p_sell_ad',
  'p2p_sell_order',
  'p2p_release',
  'transfer',
] as const
export type OutflowKind = (typeof outflowKinds)[number]

export type OutflowRequest = {
  userId: string
  kind: OutflowKind
  asset: string
  /** In the asset's smallest unit. */
  amount: bigint
  /** A stable id for this attempt (e.g. `p2p:release:<orderId>`): the risk event's id. */
  ref: string
  /** An on-chain destination: the whitelist applies. */
  destination?: { network: string; address: string }
  /** Another customer who receives the value (P2P, internal transfers). */
  counterparty?: string
  /**
   * Who set the outflow in motion: the account's owner (a withdrawal, a release, taking an ad), or a
   * counterparty (a buyer taking the owner's standing sell ad). The risk engine scores the owner's own
   * actions only; the account checks apply either way.
   */
  initiator?: 'owner' | 'counterparty'
  /** The request's network facts, for the risk engine. */
  ip?: string
  device?: string
}

export type RiskReason = { code: string; text: string }

/** The part of the risk engine the gate needs: a synchronous decision on one event. */
export type OutflowRisk = {
  assess(event: OutflowRiskEvent): { decision: 'allow' | 'review' | 'block'; reasons: RiskReason[] }
}

/** The risk events an outflow becomes (risk event schema v1, docs/risk.md). */
export type OutflowRiskEvent =
  | {
      v: 1
      type: 'withdrawal_requested'
      id: string
      at: number
      account: string
      asset: string
      amount: bigint
      to: string
      ip?: string
      device?: string
    }
  | {
      v: 1
      type: 'p2p_order'
      id: string
      at: number
      account: string
      asset: string
      amount: bigint
      side: 'sell'
      counterparty: string
      ip?: string
      device?: string
    }

export type OutflowStep = {
  step: 'account' | 'lock' | 'destination' | 'risk'
  verdict: 'pass' | 'review' | 'not_applicable'
  detail?: string
}

export type OutflowVerdict = {
  decision: 'allow' | 'review'
  /** The risk engine's reasons when it asked for review. */
  reasons: RiskReason[]
  /** Each check in order, with what it said (recorded on a withdrawal). */
  steps: OutflowStep[]
}

export type OutflowGateDeps = { db: Executor; clock: Pick<Clock, 'now'>; risk?: OutflowRisk }

/** A function every outflow calls; `db` may be the caller's transaction. */
export type OutflowGate = (request: OutflowRequest, db?: Executor) => Promise<OutflowVerdict>

const refusalStatus: Record<string, number> = {
  ACCOUNT_FROZEN: 423,
  WITHDRAWAL_LOCKED: 423,
  ACCOUNT_UNKNOWN: 404,
  ADDRESS_INVALID: 400,
}

function refuse(decision: Extract<WithdrawDecision, { allowed: false }>): AppError {
  const code = decision.code
  const message =
    code === 'WITHDRAWAL_LOCKED'
      ? `Value cannot leave this account until ${decision.until} after a recent security change. ${decision.message}`
      : decision.message
  return new AppError(code, refusalStatus[code] ?? 403, message, {
    ...(decision.until ? { details: { until: decision.until } } : {}),
  })
}

/** The risk event for an outflow, or null when there is nobody and nowhere to score yet (a sell ad). */
function riskEvent(request: OutflowRequest, at: Date): OutflowRiskEvent | null {
  const common = {
    v: 1 as const,
    id: `outflow:${request.kind}:${request.ref}`,
    at: at.getTime(),
    account: request.userId,
    asset: request.asset,
    amount: request.amount,
    ...(request.ip ? { ip: request.ip } : {}),
    ...(request.device ? { device: request.device } : {}),
  }
  if (request.destination) return { ...common, type: 'withdrawal_requested', to: request.destination.address }
  if (request.counterparty)
    return { ...common, type: 'p2p_order', side: 'sell', counterparty: request.counterparty }
  return null
}

/**
 * Creates the gate.
 * @example
 * const outflow = createOutflowGate({ db, clock, risk: riskService.engine })
 * await outflow({ userId, kind: 'p2p_release', asset: 'USDT', amount, ref: `p2p:release:${id}`, counterparty: buyerId }, tx)
 */
export function createOutflowGate(deps: OutflowGateDeps): OutflowGate {
  return async (request, db = deps.db) => {
    if (request.amount <= 0n)
      throw new AppError('INVALID_AMOUNT', 400, 'The amount must be more than zero.', {
        details: { field: 'amount' },
      })
    const at = deps.clock.now()
    const steps: OutflowStep[] = []
    // Frozen and locked accounts first; canWithdrawTo adds the address and whitelist for on-chain
    // destinations, so the two doors share one implementation of each check.
    const decision = request.destination
      ? await canWithdrawTo(
          { db },
          request.userId,
          request.destination.network,
          request.destination.address,
          at,
        )
      : await accountMayMoveValue({ db }, request.userId, at)
    if (!decision.allowed) throw refuse(decision)
    steps.push({ step: 'account', verdict: 'pass' }, { step: 'lock', verdict: 'pass' })
    steps.push({ step: 'destination', verdict: request.destination ? 'pass' : 'not_applicable' })

    const event = request.initiator === 'counterparty' ? null : riskEvent(request, at)
    if (!deps.risk || !event) {
      steps.push({ step: 'risk', verdict: 'not_applicable' })
      return { decision: 'allow', reasons: [], steps }
    }
    const risk = deps.risk.assess(event)
    if (risk.decision === 'block') {
      throw new AppError(
        'OUTFLOW_RISK_BLOCKED',
        403,
        'This was stopped by our risk checks. Contact support if you think this is a mistake.',
        { details: { reasons: risk.reasons.map((r) => r.code) } },
      )
    }
    const verdict = risk.decision === 'review' ? 'review' : 'pass'
    steps.push({
      step: 'risk',
      verdict,
      ...(verdict === 'review' ? { detail: risk.reasons.map((r) => r.code).join(', ') } : {}),
    })
    return { decision: risk.decision === 'review' ? 'review' : 'allow', reasons: risk.reasons, steps }
  }
}
