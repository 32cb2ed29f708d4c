/**
 * @module Behaviour evaluation: train the behaviour model on one seeded synthetic scenario,
 * replay a second, independently seeded scenario through the full engine (default rules +
 * behaviour), and measure takeovers and mules caught versus the alert rate on normal accounts.
 */
import { readFileSync } from 'node:fs'
import { loadBehaviourModel } from '../src/risk/behaviour.ts'
import { trainBehaviour } from '../src/risk/behaviour-train.ts'
import { createRiskEngine } from '../src/risk/engine.ts'
import { compileRules } from '../src/risk/rules.ts'
import { generateScenario, type ScenarioOptions } from './scenarios/generate.ts'

export type BehaviourEvalResult = ReturnType<typeof evaluateBehaviour>

export function evaluateBehaviour(opts: {
  train: ScenarioOptions
  test: ScenarioOptions
  rulesPath: string
}) {
  const t0 = performance.now()
  const train = generateScenario(opts.train)
  const file = trainBehaviour(train.events, { version: 'behaviour-eval' })
  const trainMs = performance.now() - t0
  const test = generateScenario(opts.test)
  const evalFrom = (opts.test.start ?? Date.UTC(2026, 0, 1)) + opts.test.warmupDays * 86_400_000
  const rules = compileRules(JSON.parse(readFileSync(opts.rulesPath, 'utf8')))

  const result: Record<string, unknown> = {}
  for (const variant of ['behaviour only', 'rules only', 'rules + behaviour'] as const) {
    const flaggedEvents = new Set<string>()
    const flaggedAccounts = new Set<string>()
    const bySource = new Map<string, number>()
    const accountsBySource = new Map<string, Set<string>>()
    const engine = createRiskEngine({
      ...(variant !== 'rules only' ? { behaviour: loadBehaviourModel(file) } : {}),
      ...(variant !== 'behaviour only' ? { rules } : {}),
      capacity: test.normalAccounts.length + 1000,
      onAlert(a) {
        if (a.event.at < evalFrom) return
        flaggedEvents.add(a.event.id)
        if (a.event.account) flaggedAccounts.add(a.event.account)
        for (const s of a.sources) {
          bySource.set(s, (bySource.get(s) ?? 0) + 1)
          if (a.event.account)
            accountsBySource.set(s, (accountsBySource.get(s) ?? new Set()).add(a.event.account))
        }
      },
    })
    for (const e of test.events) engine.ingest(e)
    const attacked = new Set(test.truth.map((t) => t.account))
    const caught = (kind: string) => {
      const ts = test.truth.filter((t) => t.kind === kind)
      const c = ts.filter((t) => t.eventIds.some((id) => flaggedEvents.has(id))).length
      return { total: ts.length, caught: c, rate: ts.length ? c / ts.length : 0 }
    }
    const normals = test.normalAccounts.filter((a) => !attacked.has(a))
    const normalAlerted = normals.filter((a) => flaggedAccounts.has(a)).length
    result[variant] = {
      takeovers: caught('takeover'),
      mules: caught('mule'),
      normalAccounts: normals.length,
      normalAccountsAlerted: normalAlerted,
      normalAlertRate: normalAlerted / normals.length,
      alertsBySource: Object.fromEntries(bySource),
      normalAccountsBySource: Object.fromEntries(
        [...accountsBySource].map(([k, set]) => [k, normals.filter((a) => set.has(a)).length]),
      ),
    }
  }
  return {
    train: { events: train.events.length, ms: Math.round(trainMs), thresholds: file.thresholds },
    test: {
      events: test.events.length,
      normalAccounts: test.normalAccounts.length,
      truth: test.truth.length,
    },
    result,
  }
}

if (import.meta.main) {
  const base = { normalAccounts: 3000, days: 60, warmupDays: 40 }
  const testSeed = Number(process.argv[2] ?? 2)
  const r = evaluateBehaviour({
    train: { ...base, takeovers: 6, mules: 2, seed: 1 },
    test: { ...base, takeovers: 150, mules: 50, seed: testSeed },
    rulesPath: new URL('../src/risk/default-rules.json', import.meta.url).pathname,
  })
  console.log(JSON.stringify(r, null, 2))
}
