import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../platform/errors.ts'
import { createRiskEngine } from './engine.ts'
import { compileRules, loadRuleFile, watchRuleFile } from './rules.ts'
import type { RiskEvent } from './schema.ts'

const bigWithdrawals = (threshold: number, version = 'v1') => ({
  version,
  rules: [
    {
      id: 'big',
      events: ['withdrawal_requested'],
      when: { feature: 'amount', op: '>=', value: threshold },
      action: 'block',
      score: 0.95,
      reason: 'Withdrawal of {amount} is above the limit',
    },
  ],
})
const wd = (id: string, valueUsd: number): RiskEvent => ({
  v: 1,
  id,
  at: Date.UTC(2026, 0, 1),
  account: 'a1',
  type: 'withdrawal_requested',
  asset: 'USDT',
  amount: 1n,
  valueUsd,
  to: '0xabc',
})

describe('rules', () => {
  it('blocks with the rule reason filled in from the features', () => {
    const engine = createRiskEngine({ rules: compileRules(bigWithdrawals(1000)) })
    const d = engine.assess(wd('e1', 5000))
    expect(d.decision).toBe('block')
    expect(d.reasons[0]).toMatchObject({ code: 'rule.big', text: 'Withdrawal of 5000 is above the limit' })
    expect(engine.assess(wd('e2', 10)).decision).toBe('allow')
  })

  it('rejects an unknown feature with a stable error code', () => {
    const bad = bigWithdrawals(1)
    ;(bad.rules[0]!.when as { feature: string }).feature = 'no.such.feature'
    try {
      compileRules(bad)
      expect.unreachable()
    } catch (e) {
      expect(isAppError(e) && e.code).toBe('RISK_RULES_INVALID')
    }
  })

  it('combines all/any/not conditions', () => {
    const rules = compileRules({
      version: 'x',
      rules: [
        {
          id: 'combo',
          when: {
            all: [
              { feature: 'amount', op: '>', value: 10 },
              { not: { any: [{ feature: 'amount', op: '>', value: 100 }] } },
            ],
          },
          action: 'review',
          score: 0.6,
          reason: 'between',
        },
      ],
    })
    const engine = createRiskEngine({ rules })
    expect(engine.assess(wd('a', 50)).decision).toBe('review')
    expect(engine.assess(wd('b', 500)).decision).toBe('allow')
  })

  it('reloads a changed rule file without restarting and keeps the old rules when the new file is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'))
    const path = join(dir, 'rules.json')
    writeFileSync(path, JSON.stringify(bigWithdrawals(1000, 'v1')))
    const engine = createRiskEngine({ rules: loadRuleFile(path) })
    const errors: unknown[] = []
    const applied = new Promise<void>((resolve) => {
      const stop = watchRuleFile(
        path,
        (r) => {
          engine.setRules(r)
          if (r.version === 'v2') {
            stop()
            resolve()
          }
        },
        (e) => {
          errors.push(e)
          writeFileSync(path, JSON.stringify(bigWithdrawals(100, 'v2')))
        },
      )
    })
    writeFileSync(path, '{ not json')
    await applied
    expect(errors.length).toBeGreaterThan(0)
    expect(engine.rulesVersion).toBe('v2')
    expect(engine.assess(wd('c', 500)).decision).toBe('block')
  })
})
