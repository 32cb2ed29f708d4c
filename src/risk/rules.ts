/**
 * @module Declarative rules: a versioned JSON document of conditions over named features, each
 * with an action, a score and a reason template a person can read ("Withdrawal of {amount} to a
 * new address {hours_since_security_change} h after a security change"). Rules are validated,
 * compiled to closures once, and can be swapped at run time (see `watchRuleFile`) without losing
 * account state; a broken file is rejected and the previous rules stay in force.
 */
import { readFileSync, watch } from 'node:fs'
import { z } from 'zod'
import { AppError } from '../platform/errors.ts'
import { FEATURE_NAMES, type FeatureName, type Features, NEVER_HOURS } from './features.ts'
import { RISK_EVENT_TYPES, type RiskEvent, type RiskEventType } from './schema.ts'

const featureName = z.enum(FEATURE_NAMES)
const comparison = z.object({
  feature: featureName,
  op: z.enum(['>', '>=', '<', '<=', '==', '!=']),
  value: z.number(),
})
export type Condition =
  | z.infer<typeof comparison>
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    comparison,
    z.object({ all: z.array(condition).min(1) }),
    z.object({ any: z.array(condition).min(1) }),
    z.object({ not: condition }),
  ]),
)

export const ruleSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
  description: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
  events: z.array(z.enum(RISK_EVENT_TYPES)).min(1).optional(),
  when: condition,
  /** block/review affect the synchronous decision; alert only raises an alert for analysts. */
  action: z.enum(['block', 'review', 'alert']),
  score: z.number().min(0).max(1),
  reason: z.string().min(1).max(300),
})
export const ruleSetSchema = z.object({
  version: z.string().min(1).max(64),
  rules: z.array(ruleSchema).max(500),
})
export type Rule = z.output<typeof ruleSchema>
export type RuleSetDocument = z.input<typeof ruleSetSchema>

export type RuleHit = { rule: string; action: Rule['action']; score: number; reason: string }
export type CompiledRuleSet = {
  version: string
  rules: readonly Rule[]
  evaluate(event: RiskEvent, features: Features): RuleHit[]
}

type Pred = (f: Features) => boolean

function compile(c: Condition): Pred {
  if ('all' in c) {
    const ps = c.all.map(compile)
    return (f) => ps.every((p) => p(f))
  }
  if ('any' in c) {
    const ps = c.any.map(compile)
    return (f) => ps.some((p) => p(f))
  }
  if ('not' in c) {
    const p = compile(c.not)
    return (f) => !p(f)
  }
  const { feature, value } = c
  switch (c.op) {
    case '>':
      return (f) => f[feature] > value
    case '>=':
      return (f) => f[feature] >= value
    case '<':
      return (f) => f[feature] < value
    case '<=':
      return (f) => f[feature] <= value
    case '==':
      return (f) => f[feature] === value
    case '!=':
      return (f) => f[feature] !== value
  }
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n) || n >= 1e6 - 1) return n >= 1e6 - 1 ? 'never' : String(n)
  if (Number.isInteger(n)) return String(n)
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3)
}

const COUNT_FEATURE = /^(events|auth_failed|security_changes|new_counterparties|new_devices)\.|\.count\./

/** Fills `{feature}` placeholders of a reason template. */
export function renderReason(template: string, features: Features): string {
  return template.replace(/\{([a-z0-9_.]+)\}/g, (m, name: string) => {
    if (!(FEATURE_NAMES as readonly string[]).includes(name)) return m
    const v = features[name as FeatureName]
    // durations render with their unit: "{hours_since_x}" → "4 min" / "3.5 h" / "never"
    if (name.startsWith('hours_since_')) {
      if (v >= NEVER_HOURS) return 'never'
      return v < 1 ? `${Math.round(v * 60)} min` : `${formatNumber(v)} h`
    }
    if (name.startsWith('passthrough.')) return `${Math.round(v * 100)}%`
    // window counts are sliding-window estimates: a person reads whole events
    if (COUNT_FEATURE.test(name)) return String(Math.round(v))
    return formatNumber(v)
  })
}

/**
 * Validates and compiles a rule document.
 * @throws AppError RISK_RULES_INVALID with the Zod issues in `details`.
 */
export function compileRules(doc: unknown): CompiledRuleSet {
  const parsed = ruleSetSchema.safeParse(doc)
  if (!parsed.success) {
    throw new AppError(
      'RISK_RULES_INVALID',
      400,
      `The rule document is invalid: ${parsed.error.issues[0]?.message}`,
      {
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      },
    )
  }
  const ids = new Set<string>()
  for (const r of parsed.data.rules) {
    if (ids.has(r.id)) throw new AppError('RISK_RULES_INVALID', 400, `Rule id "${r.id}" appears twice.`)
    ids.add(r.id)
  }
  const byType = new Map<RiskEventType, { rule: Rule; pred: Pred }[]>()
  for (const t of RISK_EVENT_TYPES) byType.set(t, [])
  for (const rule of parsed.data.rules) {
    if (!rule.enabled) continue
    const pred = compile(rule.when)
    for (const t of rule.events ?? RISK_EVENT_TYPES) byType.get(t)!.push({ rule, pred })
  }
  return {
    version: parsed.data.version,
    rules: parsed.data.rules,
    evaluate(event, features) {
      const candidates = byType.get(event.type)!
      let hits: RuleHit[] | undefined
      for (const { rule, pred } of candidates) {
        if (!pred(features)) continue
        hits ??= []
        hits.push({
          rule: rule.id,
          action: rule.action,
          score: rule.score,
          reason: renderReason(rule.reason, features),
        })
      }
      return hits ?? []
    },
  }
}

/** Reads and compiles a rule file (JSON). */
export function loadRuleFile(path: string): CompiledRuleSet {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new AppError('RISK_RULES_INVALID', 400, `Cannot read rule file ${path}: ${String(cause)}`, {
      cause,
    })
  }
  return compileRules(doc)
}

/**
 * Watches a rule file and hands each valid new version to `apply`; invalid versions go to `onError`
 * and the rules in force stay. Returns a function that stops watching.
 */
export function watchRuleFile(
  path: string,
  apply: (rules: CompiledRuleSet) => void,
  onError: (error: unknown) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined
  const watcher = watch(path, () => {
    // editors write in several steps; settle before reading
    clearTimeout(timer)
    timer = setTimeout(() => {
      try {
        apply(loadRuleFile(path))
      } catch (error) {
        onError(error)
      }
    }, 50)
  })
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
