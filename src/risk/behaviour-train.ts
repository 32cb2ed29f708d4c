/**
 * @module Training of the behaviour model from event history (unsupervised). Pass 1 counts event
 * transitions per account (population Markov model, Laplace-smoothed) and the population amount
 * prior; pass 2 replays the history through a fresh engine to collect each anomaly component on
 * every outflow and sign-in; the component tables and the thresholds of the combined statistic
 * come from those. Refresh: retrain nightly (or weekly) on the last 60–90 days of history, with
 * events of accounts resolved as fraud removed; the new file gets a new version and the engine
 * reports which version it runs.
 */
import {
  BEHAVIOUR_MODEL_KIND,
  type BehaviourModelFile,
  COMPONENTS,
  type ComponentGroup,
  componentValues,
  fisherStat,
  groupOf,
  loadBehaviourModel,
  quantileSample,
} from './behaviour.ts'
import { createRiskEngine } from './engine.ts'
import { eventValue, TYPE_CODE } from './features.ts'
import { RISK_EVENT_TYPES, type RiskEvent } from './schema.ts'

export type TrainBehaviourOptions = {
  version: string
  /** Share of normal training events allowed to reach review / block, per group. */
  rates?: Partial<Record<ComponentGroup, { review: number; block: number }>>
  now?: Date
}

const DEFAULT_RATES: Record<ComponentGroup, { review: number; block: number }> = {
  outflow: { review: 0.003, block: 0.0003 },
  signin: { review: 0.0005, block: 0.00005 },
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/**
 * Trains a behaviour model from time-ordered history.
 * @example const file = trainBehaviour(events, { version: 'behaviour-2026-11-24' })
 */
export function trainBehaviour(
  history: readonly RiskEvent[],
  options: TrainBehaviourOptions,
): BehaviourModelFile {
  const n = RISK_EVENT_TYPES.length
  const counts = Array.from({ length: n + 1 }, () => new Array<number>(n).fill(1))
  const marginal = new Array<number>(n).fill(1)
  const prevByAccount = new Map<string, number>()
  const logs: number[] = []
  const accounts = new Set<string>()
  for (const e of history) {
    if (e.account === undefined) continue
    accounts.add(e.account)
    const code = TYPE_CODE[e.type]
    const prev = prevByAccount.get(e.account) ?? -1
    counts[prev + 1]![code]!++
    marginal[code]!++
    prevByAccount.set(e.account, code)
    if (groupOf(e) === 'outflow') {
      const v = eventValue(e)
      if (v > 0) logs.push(Math.log(v))
    }
  }
  const transitions = counts.map((row) => {
    const s = row.reduce((a, b) => a + b, 0)
    return row.map((c) => c / s)
  })
  const mTotal = marginal.reduce((a, b) => a + b, 0)
  const marg = marginal.map((c) => c / mTotal)
  // mean surprise of a normal event under the population model
  let bits = 0
  let cnt = 0
  counts.forEach((row, r) => {
    row.forEach((c, t) => {
      bits += (c - 1) * -Math.log2(transitions[r]![t]!)
      cnt += c - 1
    })
  })
  const entropyBits = cnt > 0 ? bits / cnt : 0
  const logMean = logs.length ? logs.reduce((a, b) => a + b, 0) / logs.length : 0
  const logStd = logs.length ? Math.sqrt(logs.reduce((a, b) => a + (b - logMean) ** 2, 0) / logs.length) : 1

  const draft: BehaviourModelFile = {
    kind: BEHAVIOUR_MODEL_KIND,
    version: `${options.version}-draft`,
    trainedAt: (options.now ?? new Date()).toISOString(),
    types: [...RISK_EVENT_TYPES],
    transitions,
    marginal: marg,
    entropyBits,
    amountPrior: { logMean, logStd },
    tables: {},
    statTables: {},
    thresholds: {},
    report: {},
  }

  // pass 2: component values on every scored event, from a replay with the sequence model in place
  const values: Record<ComponentGroup, number[][]> = { outflow: [], signin: [] }
  const engine = createRiskEngine({
    behaviour: loadBehaviourModel(draft),
    capacity: accounts.size + 16,
    onFeatures(event, features) {
      const g = groupOf(event)
      if (g) values[g].push(componentValues(g, features, draft.amountPrior))
    },
  })
  for (const e of history) engine.ingest(e)

  const tables: Record<string, Record<string, number[]>> = {}
  const statTables: Record<string, number[]> = {}
  const thresholds: Record<string, { review: number; block: number }> = {}
  const groupsReport: Record<string, unknown> = {}
  for (const g of Object.keys(COMPONENTS) as ComponentGroup[]) {
    const rows = values[g]
    const t: Record<string, number[]> = {}
    COMPONENTS[g].forEach((name, k) => {
      t[name] = quantileSample(rows.map((r) => r[k]!).sort((a, b) => a - b))
    })
    tables[g] = t
    const stats = rows.map((r) => fisherStat(g, r, t).stat).sort((a, b) => a - b)
    statTables[g] = quantileSample(stats)
    const rate = { ...DEFAULT_RATES[g], ...options.rates?.[g] }
    thresholds[g] = { review: quantile(stats, 1 - rate.review), block: quantile(stats, 1 - rate.block) }
    groupsReport[g] = {
      events: rows.length,
      reviewRate: rate.review,
      blockRate: rate.block,
      ...thresholds[g],
    }
  }

  return {
    ...draft,
    version: options.version,
    tables,
    statTables,
    thresholds,
    report: {
      trainedOn: { events: history.length, accounts: accounts.size },
      entropyBits,
      amountPrior: { logMean, logStd },
      groups: groupsReport,
      method:
        'Population Markov model of event types (Laplace-smoothed) blended 50/50 with each account’s own event mix; components turned into tail probabilities under their training distribution and combined with Fisher’s method; thresholds are quantiles of the combined statistic on training events.',
    },
  }
}
