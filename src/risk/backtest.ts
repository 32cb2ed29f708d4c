/**
 * @module Backtest: replays stored history through a fresh engine with candidate rules, before
 * they are enabled, and reports per rule how many alerts it would have raised and on which
 * accounts. The history is the same JSON Lines event log `bulwark risk replay` reads.
 */
import type { BehaviourModel } from './behaviour.ts'
import { createRiskEngine } from './engine.ts'
import type { CompiledRuleSet } from './rules.ts'
import type { RiskEvent } from './schema.ts'

export type BacktestRuleResult = {
  rule: string
  hits: number
  accounts: number
  /** Up to `sampleAccounts` accounts with the most hits. */
  topAccounts: { account: string; hits: number }[]
  decisions: { block: number; review: number; alert: number }
}
export type BacktestResult = { rulesVersion: string; events: number; rules: BacktestRuleResult[] }

/**
 * @example const report = backtestRules(loadRuleFile('candidate.json'), readEvents('history.jsonl'))
 */
export function backtestRules(
  rules: CompiledRuleSet,
  history: Iterable<RiskEvent>,
  options: { behaviour?: BehaviourModel; sampleAccounts?: number } = {},
): BacktestResult {
  const perRule = new Map<
    string,
    { hits: number; byAccount: Map<string, number>; decisions: BacktestRuleResult['decisions'] }
  >()
  for (const r of rules.rules)
    perRule.set(r.id, { hits: 0, byAccount: new Map(), decisions: { block: 0, review: 0, alert: 0 } })
  const actionOf = new Map(rules.rules.map((r) => [r.id, r.action]))
  let events = 0
  const engine = createRiskEngine({
    rules,
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    onAlert(a) {
      for (const src of a.sources) {
        const r = perRule.get(src)
        if (!r) continue
        r.hits++
        r.decisions[actionOf.get(src) ?? 'alert']++
        const acct = a.event.account ?? '(none)'
        r.byAccount.set(acct, (r.byAccount.get(acct) ?? 0) + 1)
      }
    },
  })
  for (const e of history) {
    engine.ingest(e)
    events++
  }
  const n = options.sampleAccounts ?? 10
  return {
    rulesVersion: rules.version,
    events,
    rules: [...perRule].map(([rule, r]) => ({
      rule,
      hits: r.hits,
      accounts: r.byAccount.size,
      topAccounts: [...r.byAccount]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([account, hits]) => ({ account, hits })),
      decisions: r.decisions,
    })),
  }
}
