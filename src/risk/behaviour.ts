/**
 * @module The behaviour model (account takeover, unusual withdrawals, mule activity). Unsupervised:
 * it learns from normal history (1) a population Markov model of event sequences, blended at run
 * time with each account's own event mix, giving a "surprise" in bits for every event; and (2) the
 * distribution of each anomaly component (surprise accumulated over 24 h, amount deviation from the
 * account's own baseline, new counterparty, recency of security changes and new devices, fan-in of
 * new counterparties, pass-through of fresh deposits) over normal outflows and sign-ins. At scoring
 * time each component becomes a tail probability under that distribution and Fisher's method
 * combines them (-2 Σ ln p); thresholds are quantiles of the combined statistic on the training
 * history, so the alert rate on normal traffic is chosen, not guessed. No labels are used.
 */
import { z } from 'zod'
import { type Features, TYPE_CODE } from './features.ts'
import { type Reason, RISK_EVENT_TYPES, type RiskEvent } from './schema.ts'
import type { AccountStore } from './state.ts'

export const BEHAVIOUR_MODEL_KIND = 'bulwark.risk.behaviour'

export const COMPONENTS = {
  outflow: [
    'surprise',
    'amount_z',
    'amount_ratio_max',
    'counterparty_new',
    'security_recency',
    'device_recency',
    'fanin_7d',
    'passthrough_1d',
  ],
  signin: ['surprise', 'device_new', 'ip_new', 'country_new', 'auth_failed_1h'],
} as const
export type ComponentGroup = keyof typeof COMPONENTS

export const behaviourModelSchema = z.object({
  kind: z.literal(BEHAVIOUR_MODEL_KIND),
  version: z.string(),
  trainedAt: z.string(),
  /** Event type order of the transition matrix (row 0 = start of history, row k+1 = after type k). */
  types: z.array(z.string()),
  transitions: z.array(z.array(z.number())),
  marginal: z.array(z.number()),
  /** Mean surprise in bits of a normal event; only the excess over it accumulates. */
  entropyBits: z.number(),
  amountPrior: z.object({ logMean: z.number(), logStd: z.number() }),
  /** Per group and component: sorted sample (quantiles) of its value on normal training events. */
  tables: z.record(z.string(), z.record(z.string(), z.array(z.number()))),
  /** Per group: sorted sample of the Fisher statistic on normal training events, and thresholds. */
  statTables: z.record(z.string(), z.array(z.number())),
  thresholds: z.record(z.string(), z.object({ review: z.number(), block: z.number() })),
  report: z.record(z.string(), z.unknown()),
})
export type BehaviourModelFile = z.output<typeof behaviourModelSchema>

export type BehaviourScore = {
  group: ComponentGroup
  stat: number
  score: number
  action: 'allow' | 'review' | 'block'
  reasons: Reason[]
}

export type BehaviourModel = {
  version: string
  file: BehaviourModelFile
  /** Updates the account's sequence state with an event; returns the surprise accumulated over ~24 h. */
  observe(store: AccountStore, i: number, event: RiskEvent): number
  /** Scores an outflow or sign-in in context; undefined for other event types. */
  score(event: RiskEvent, features: Features): BehaviourScore | undefined
}

export function groupOf(event: RiskEvent): ComponentGroup | undefined {
  if (event.type === 'withdrawal_requested') return 'outflow'
  if (event.type === 'p2p_order' && event.side === 'sell') return 'outflow'
  if (event.type === 'signin') return 'signin'
  return undefined
}

/** Raw component values, larger = more unusual. */
export function componentValues(
  group: ComponentGroup,
  features: Features,
  prior: { logMean: number; logStd: number },
): number[] {
  if (group === 'signin') {
    return [
      features['behaviour.surprise'],
      features['device.new'],
      features['ip.new'],
      features['country.new'],
      features['auth_failed.1h'],
    ]
  }
  const amount = features.amount
  const z0 =
    features['amount.ewma'] > 0 || amount <= 0
      ? features['amount.z']
      : (Math.log(amount) - prior.logMean) / Math.max(prior.logStd, 0.5)
  return [
    features['behaviour.surprise'],
    z0,
    features['amount.ratio_max'],
    features['counterparty.new'],
    1 / (1 + features.hours_since_security_change),
    1 / (1 + features.hours_since_new_device),
    features['new_counterparties.7d'],
    features['passthrough.1d'],
  ]
}

/** P(X >= x) under a sorted sample, with add-one smoothing so it is never 0. */
export function survival(sorted: ArrayLike<number>, x: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return (sorted.length - lo + 1) / (sorted.length + 1)
}

/** Down-samples a sorted array to at most `n` evenly spaced quantiles (keeps the extremes). */
export function quantileSample(sorted: readonly number[], n = 2001): number[] {
  if (sorted.length <= n) return [...sorted]
  const out: number[] = []
  for (let k = 0; k < n; k++) out.push(sorted[Math.round((k * (sorted.length - 1)) / (n - 1))]!)
  return out
}

export function fisherStat(
  group: ComponentGroup,
  values: readonly number[],
  tables: Record<string, number[]>,
) {
  let stat = 0
  const parts: { name: string; p: number; value: number }[] = []
  COMPONENTS[group].forEach((name, k) => {
    const v = values[k]!
    const p = survival(tables[name] ?? [], v)
    stat += -2 * Math.log(p)
    parts.push({ name, p, value: v })
  })
  return { stat, parts }
}

const ago = (h: number) => (h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`)

function describe(name: string, v: number, f: Features): string {
  switch (name) {
    case 'surprise':
      return `unusual sequence of actions for this account (${v.toFixed(1)} bits of surprise in the last day)`
    case 'amount_z':
      return `amount ${f.amount.toFixed(2)} is ${v.toFixed(1)} standard deviations above this account's usual (typical ${f['amount.ewma'].toFixed(2)})`
    case 'amount_ratio_max':
      return `amount is ${v.toFixed(1)}× the largest this account has sent before`
    case 'counterparty_new':
      return 'first payment to this destination'
    case 'security_recency':
      return `security settings changed ${ago(f.hours_since_security_change)} earlier`
    case 'device_recency':
      return `a new device appeared ${ago(f.hours_since_new_device)} earlier`
    case 'fanin_7d':
      return `${v.toFixed(0)} new counterparties in 7 days (mule-like fan-in)`
    case 'passthrough_1d':
      return `sends out ${(v * 100).toFixed(0)}% of what it received today (pass-through)`
    case 'device_new':
      return 'sign-in from a device never seen on this account'
    case 'ip_new':
      return 'sign-in from a new IP address'
    case 'country_new':
      return 'sign-in from a new country'
    case 'auth_failed_1h':
      return `${v.toFixed(0)} failed sign-in or 2FA attempts in the last hour`
    default:
      return name
  }
}

/**
 * Loads a behaviour model from its file contents.
 * @example const model = loadBehaviourModel(JSON.parse(readFileSync('models/behaviour-v1.json', 'utf8')))
 */
export function loadBehaviourModel(raw: unknown): BehaviourModel {
  const file = behaviourModelSchema.parse(raw)
  // map the file's type order onto this build's codes, so adding event types does not break old models
  const nTypes = RISK_EVENT_TYPES.length
  const codeToFile = RISK_EVENT_TYPES.map((t) => file.types.indexOf(t))
  const trans = new Float64Array((nTypes + 1) * nTypes)
  const marg = new Float64Array(nTypes)
  const floor = 1e-4
  for (let prev = -1; prev < nTypes; prev++) {
    const fp = prev < 0 ? 0 : codeToFile[prev]! + 1
    const row = fp >= 0 ? file.transitions[fp] : undefined
    for (let t = 0; t < nTypes; t++) {
      const ft = codeToFile[t]!
      trans[(prev + 1) * nTypes + t] = Math.max(floor, row && ft >= 0 ? (row[ft] ?? 0) : 0)
    }
  }
  for (let t = 0; t < nTypes; t++) marg[t] = Math.max(floor, file.marginal[codeToFile[t]!] ?? 0)
  const H = file.entropyBits
  // Per group, the component tables in component order as unboxed arrays, resolved once: scoring
  // then does no keyed lookups into the parsed JSON and reads contiguous doubles (the withdrawal
  // path runs this between database calls, with cold caches).
  const packed = new Map<ComponentGroup, { tables: Float64Array[]; stat: Float64Array }>()
  for (const group of Object.keys(COMPONENTS) as ComponentGroup[]) {
    const tables = file.tables[group]
    const statTable = file.statTables[group]
    if (!tables || !statTable || !file.thresholds[group]) continue
    packed.set(group, {
      tables: COMPONENTS[group].map((name) => Float64Array.from(tables[name] ?? [])),
      stat: Float64Array.from(statTable),
    })
  }

  return {
    version: file.version,
    file,
    observe(store, i, event) {
      const code = TYPE_CODE[event.type]
      const prev = store.prevType(i)
      const pPop = trans[(prev + 1) * nTypes + code]!
      const total = store.typeTotal(i)
      const pAcct = (store.typeCount(i, code) + 2 * marg[code]!) / (total + 2)
      const bits = -Math.log2(0.5 * pPop + 0.5 * pAcct)
      store.addSurprise(i, event.at, Math.max(0, bits - H))
      store.countType(i, code)
      store.setPrevType(i, code)
      return store.surprise(i, event.at)
    },
    score(event, features) {
      const group = groupOf(event)
      if (!group) return undefined
      const p = packed.get(group)
      const th = file.thresholds[group]
      const tables = file.tables[group]
      if (!p || !th || !tables) return undefined
      const values = componentValues(group, features, file.amountPrior)
      // hot path: the statistic alone; the per-component breakdown only when there is something to explain
      let stat = 0
      for (let k = 0; k < p.tables.length; k++) stat -= 2 * Math.log(survival(p.tables[k]!, values[k]!))
      const score = 1 - survival(p.stat, stat)
      const action = stat >= th.block ? 'block' : stat >= th.review ? 'review' : 'allow'
      const reasons: Reason[] = []
      if (action !== 'allow') {
        const { parts } = fisherStat(group, values, tables)
        const top = parts
          .filter((p) => p.p < 0.05)
          .sort((a, b) => a.p - b.p)
          .slice(0, 4)
        for (const p of top) {
          reasons.push({
            code: `behaviour.${p.name}`,
            text: describe(p.name, p.value, features),
            score: 1 - p.p,
          })
        }
      }
      return { group, stat, score, action, reasons }
    },
  }
}
