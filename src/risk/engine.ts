/**
 * @module The streaming risk engine: one call per event updates the account's state, computes its
 * features, runs the rules and the behaviour model, and returns a decision (allow | review | block)
 * with a score and human reasons. Synchronous and allocation-light, so it can sit on the sign-in,
 * withdrawal and P2P order paths (p99 ≤ 2 ms, see bench/risk.ts). Non-allow outcomes and
 * alert-only rule hits go to `onAlert`, which the analyst queue consumes.
 */
import type { BehaviourModel, BehaviourScore } from './behaviour.ts'
import { type ExposureLookup, extractFeatures, type Features } from './features.ts'
import {
  type AddressExposure,
  createTransactionGraph,
  normaliseAddress,
  type PropagationOptions,
  propagateRisk,
  type SeedLabel,
} from './propagation.ts'
import { type CompiledRuleSet, compileRules, type RuleHit } from './rules.ts'
import type { Decision, Reason, RiskEvent } from './schema.ts'
import { type AccountStoreSnapshot, createAccountStore } from './state.ts'

export type Alert = {
  event: RiskEvent
  decision: Decision
  /** Rule ids and model names that fired. */
  sources: string[]
}

export type RiskEngineOptions = {
  rules?: CompiledRuleSet
  behaviour?: BehaviourModel
  /** Listed addresses (sanctions, drainers, phishing); a listed counterparty has exposure 1. */
  seeds?: ReadonlyMap<string, SeedLabel>
  propagation?: PropagationOptions
  /** Score at or above which the decision is review / block (defaults 0.5 / 0.9). */
  thresholds?: { review: number; block: number }
  /** Called for every decision that is not allow, and for alert-only rule hits. */
  onAlert?: (alert: Alert) => void
  /** Called with every event's features (training, backtests, timelines). */
  onFeatures?: (event: RiskEvent, features: Features, decision: Decision) => void
  /** Initial capacity of the account store. */
  capacity?: number
  /** Account state from a checkpoint (`engine.snapshot()`), to resume where a worker stopped. */
  restore?: EngineSnapshot
}

export type EngineSnapshot = {
  store: AccountStoreSnapshot
  counters: { events: number; alerts: number; blocked: number; reviewed: number }
}

export type RiskEngine = ReturnType<typeof createRiskEngine>

const EMPTY_RULES = compileRules({ version: 'none', rules: [] })

/**
 * Creates an in-process engine.
 * @example
 * const risk = createRiskEngine({ rules: loadRuleFile('rules/default.json'), behaviour })
 * const d = risk.assess({ v: 1, id: 'e1', at: Date.now(), account: 'a1', type: 'signin', device: 'd1' })
 * if (d.decision === 'block') throw new AppError('RISK_BLOCKED', 403, d.reasons[0]?.text ?? 'Blocked.')
 */
export function createRiskEngine(options: RiskEngineOptions = {}) {
  const store = createAccountStore(options.capacity ?? 1024, options.restore?.store)
  let rules = options.rules ?? EMPTY_RULES
  const behaviour = options.behaviour
  const reviewAt = options.thresholds?.review ?? 0.5
  const blockAt = options.thresholds?.block ?? 0.9
  const graph = createTransactionGraph()
  const seeds = new Map<string, SeedLabel>()
  for (const [a, s] of options.seeds ?? []) seeds.set(normaliseAddress(a), s)
  let propagated = new Map<string, AddressExposure>()
  // one features object reused for every event: consumers (rules, model, onFeatures) read it synchronously
  const scratch = {} as Features
  const counters = { events: 0, alerts: 0, blocked: 0, reviewed: 0, ...options.restore?.counters }
  const modelVersions: Record<string, string> = {}
  if (behaviour) modelVersions.behaviour = behaviour.version

  const exposure: ExposureLookup = (raw) => {
    const a = normaliseAddress(raw)
    const seed = seeds.get(a)
    if (seed) return { score: 1, hops: 0, seed: a, label: seed.label, path: [a] }
    return propagated.get(a)
  }

  function decide(event: RiskEvent): Decision {
    counters.events++
    if (event.type === 'chain_tx')
      graph.addTransfer(event.from, event.to, event.valueUsd ?? Number(event.amount))
    const account = event.account
    if (account === undefined) return accountless(event)
    const i = store.slot(account)
    const surprise = behaviour ? behaviour.observe(store, i, event) : 0
    const features = extractFeatures(store, i, event, exposure, scratch)
    features['behaviour.surprise'] = surprise
    let b: BehaviourScore | undefined
    if (behaviour) {
      b = behaviour.score(event, features)
      if (b) features['behaviour.score'] = b.score
    }
    const hits = rules.evaluate(event, features)
    return finish(event, account, hits, b, features)
  }

  function accountless(event: RiskEvent): Decision {
    const hits: RuleHit[] = []
    if (event.type === 'chain_tx') {
      for (const side of [event.from, event.to]) {
        const x = exposure(side)
        if (x && x.hops === 0)
          hits.push({
            rule: 'listed-address',
            action: 'alert',
            score: 1,
            reason: `Transaction touches ${x.label} address ${side}`,
          })
      }
    }
    return finish(event, undefined, hits, undefined, undefined)
  }

  function finish(
    event: RiskEvent,
    account: string | undefined,
    hits: RuleHit[],
    b: BehaviourScore | undefined,
    features: Features | undefined,
  ): Decision {
    let keep = 1
    let block = false
    let alertOnly = false
    const reasons: Reason[] = []
    for (const h of hits) {
      if (h.action === 'alert') alertOnly = true
      else keep *= 1 - h.score
      if (h.action === 'block') block = true
      reasons.push({ code: `rule.${h.rule}`, text: h.reason, score: h.score })
    }
    if (b && b.action !== 'allow') {
      const s = b.action === 'block' ? 0.95 : 0.6
      keep *= 1 - s
      if (b.action === 'block') block = true
      for (const r of b.reasons) reasons.push(r)
      if (b.reasons.length === 0)
        reasons.push({ code: 'behaviour.anomaly', text: 'behaviour unlike this account history', score: s })
    }
    const score = 1 - keep
    const decision: Decision['decision'] =
      block || score >= blockAt ? 'block' : score >= reviewAt ? 'review' : 'allow'
    const out: Decision = {
      eventId: event.id,
      decision,
      score: Math.round(score * 1e4) / 1e4,
      reasons,
      rulesVersion: rules.version,
      models: modelVersions,
    }
    if (account !== undefined) out.account = account
    if (decision === 'block') counters.blocked++
    else if (decision === 'review') counters.reviewed++
    if ((decision !== 'allow' || alertOnly) && options.onAlert) {
      counters.alerts++
      const sources = hits.map((h) => h.rule)
      if (b && b.action !== 'allow') sources.push(`behaviour:${b.group}`)
      options.onAlert({ event, decision: out, sources })
    }
    if (features && options.onFeatures) options.onFeatures(event, features, out)
    return out
  }

  return {
    /** Decides synchronously on an event and records it (sign-in, withdrawal request, P2P order). */
    assess: decide,
    /** Records an event from any source; alerts go to `onAlert`. Returns the same decision. */
    ingest: decide,
    /** Replaces the rules in force (hot reload); account state is kept. */
    setRules(next: CompiledRuleSet) {
      rules = next
    },
    get rulesVersion() {
      return rules.version
    },
    /** Model versions in use, e.g. `{ behaviour: 'behaviour-2026-11-24' }`. */
    get models(): Readonly<Record<string, string>> {
      return modelVersions
    },
    /** Records the version of a model used outside the event path (e.g. the address classifier). */
    registerModel(name: string, version: string) {
      modelVersions[name] = version
    },
    addSeeds(list: Iterable<[string, SeedLabel]>) {
      for (const [a, s] of list) seeds.set(normaliseAddress(a), s)
    },
    /** Recomputes N-hop exposure from the seeds over the transactions seen so far. */
    refreshExposure() {
      propagated = propagateRisk(graph, seeds, options.propagation)
      return propagated.size
    },
    exposureOf: exposure,
    /** Account state and counters for a checkpoint (the transaction graph is rebuilt from chain_tx events). */
    snapshot(): EngineSnapshot {
      return { store: store.snapshot(), counters: { ...counters } }
    },
    graph,
    store,
    stats: () => ({ ...counters, accounts: store.size }),
  }
}
