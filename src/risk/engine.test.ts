import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateScenario } from '../../eval/scenarios/generate.ts'
import { backtestRules } from './backtest.ts'
import { loadBehaviourModel } from './behaviour.ts'
import { trainBehaviour } from './behaviour-train.ts'
import { createRiskEngine } from './engine.ts'
import { compileRules } from './rules.ts'
import type { RiskEvent } from './schema.ts'
import { HOUR } from './state.ts'

const rules = compileRules(JSON.parse(readFileSync(new URL('./default-rules.json', import.meta.url), 'utf8')))
const T0 = Date.UTC(2026, 2, 1)
let n = 0
const ev = (at: number, e: Record<string, unknown>) =>
  ({ v: 1, id: `t${n++}`, at, account: 'alice', ...e }) as RiskEvent

function history(): RiskEvent[] {
  const out: RiskEvent[] = []
  for (let d = 0; d < 30; d++) {
    const at = T0 + d * 24 * HOUR
    out.push(ev(at, { type: 'signin', device: 'phone', ip: '10.0.0.1', country: 'DE' }))
    if (d % 3 === 0)
      out.push(
        ev(at + 60_000, {
          type: 'withdrawal_requested',
          asset: 'USDT',
          amount: 100_000_000n,
          valueUsd: 100 + (d % 5),
          to: '0xhome',
          device: 'phone',
        }),
      )
  }
  return out
}

describe('risk engine', () => {
  it('blocks a withdrawal to a sanctioned address and names the list', () => {
    const engine = createRiskEngine({
      rules,
      seeds: new Map([['0xSANCTIONED', { label: 'sanctioned', source: 'ofac' }]]),
    })
    const d = engine.assess(
      ev(T0, { type: 'withdrawal_requested', asset: 'ETH', amount: 10n ** 18n, to: '0xsanctioned' }),
    )
    expect(d.decision).toBe('block')
    expect(d.reasons.map((r) => r.code)).toContain('rule.sanctioned-counterparty')
  })

  it('reviews a deposit from an address two hops from a listed one after the exposure is refreshed', () => {
    const engine = createRiskEngine({
      rules,
      seeds: new Map([['0xdrainer', { label: 'drainer', source: 'scamsniffer' }]]),
    })
    engine.ingest({
      v: 1,
      id: 'c1',
      at: T0,
      type: 'chain_tx',
      chain: 'eth',
      hash: '0x1',
      from: '0xdrainer',
      to: '0xhop1',
      asset: 'ETH',
      amount: 5n,
    })
    engine.ingest({
      v: 1,
      id: 'c2',
      at: T0,
      type: 'chain_tx',
      chain: 'eth',
      hash: '0x2',
      from: '0xhop1',
      to: '0xhop2',
      asset: 'ETH',
      amount: 5n,
    })
    engine.refreshExposure()
    const d = engine.assess(ev(T0 + 1, { type: 'deposit', asset: 'ETH', amount: 5n, from: '0xhop2' }))
    expect(d.decision).toBe('review')
    expect(d.reasons[0]?.text).toMatch(/2 transfer\(s\) away/)
  })

  it('flags the takeover sequence new device → password change → whitelist → large withdrawal, and not the owner’s routine', () => {
    const train = generateScenario({
      seed: 11,
      normalAccounts: 300,
      takeovers: 0,
      mules: 0,
      days: 40,
      warmupDays: 30,
    })
    const behaviour = loadBehaviourModel(trainBehaviour(train.events, { version: 'behaviour-test' }))
    const engine = createRiskEngine({ rules, behaviour })
    const routine = history().map((e) => engine.assess(e))
    expect(routine.filter((d) => d.decision !== 'allow')).toEqual([])
    const t = T0 + 31 * 24 * HOUR
    const attacker = { device: 'evil', ip: '172.16.0.9', country: 'BR' }
    engine.assess(ev(t, { type: 'device_new', ...attacker }))
    engine.assess(ev(t + 1000, { type: 'signin', ...attacker }))
    engine.assess(ev(t + 300_000, { type: 'password_changed', ...attacker }))
    engine.assess(
      ev(t + 600_000, { type: 'whitelist_changed', change: 'added', address: '0xdrop', ...attacker }),
    )
    const d = engine.assess(
      ev(t + 900_000, {
        type: 'withdrawal_requested',
        asset: 'USDT',
        amount: 1n,
        valueUsd: 5000,
        to: '0xdrop',
        ...attacker,
      }),
    )
    expect(d.decision).not.toBe('allow')
    expect(d.models.behaviour).toBe('behaviour-test')
    expect(d.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(['rule.takeover-chain', 'behaviour.amount_z']),
    )
  })

  it('backtests a candidate rule on history: how many alerts, on which accounts', () => {
    const candidate = compileRules({
      version: 'candidate',
      rules: [
        {
          id: 'over-102',
          events: ['withdrawal_requested'],
          when: { feature: 'amount', op: '>', value: 102 },
          action: 'review',
          score: 0.6,
          reason: 'x',
        },
      ],
    })
    const report = backtestRules(candidate, history())
    // amounts cycle 100..104 over withdrawals on days 0,3,…,27: 103 and 104 exceed 102
    const expected = history().filter(
      (e) => e.type === 'withdrawal_requested' && (e.valueUsd ?? 0) > 102,
    ).length
    expect(report.rules[0]).toMatchObject({
      rule: 'over-102',
      hits: expected,
      accounts: 1,
      topAccounts: [{ account: 'alice', hits: expected }],
    })
  })
})
