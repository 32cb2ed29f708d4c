import { describe, expect, it } from 'vitest'
import { parseRiskEvent, riskEventToJson } from './schema.ts'

describe('risk event schema v1', () => {
  it('reads ISO or epoch-millisecond times and decimal-string amounts', () => {
    const e = parseRiskEvent({
      id: 'e',
      at: '2026-01-01T00:00:00Z',
      account: 'a',
      type: 'deposit',
      asset: 'ETH',
      amount: '1000000000000000000',
    })
    expect(e).toMatchObject({ v: 1, at: Date.UTC(2026, 0, 1), amount: 10n ** 18n })
    expect(parseRiskEvent({ id: 'e', at: 1767225600123.7, type: 'signin' }).at).toBe(1767225600123)
  })

  it('refuses negative or fractional amounts, unknown types and a wrong schema version', () => {
    const base = { id: 'e', at: 0, account: 'a', type: 'withdrawal_requested', asset: 'ETH', to: '0x1' }
    expect(() => parseRiskEvent({ ...base, amount: '-1' })).toThrow()
    expect(() => parseRiskEvent({ ...base, amount: '1.5' })).toThrow()
    expect(() => parseRiskEvent({ id: 'e', at: 0, type: 'teleport' })).toThrow()
    expect(() => parseRiskEvent({ v: 2, id: 'e', at: 0, type: 'signin' })).toThrow()
  })

  it('round-trips through JSON', () => {
    const e = parseRiskEvent({
      id: 'e',
      at: 5,
      account: 'a',
      type: 'p2p_order',
      asset: 'USDT',
      amount: '7',
      side: 'sell',
      counterparty: 'b',
    })
    expect(parseRiskEvent(JSON.parse(JSON.stringify(riskEventToJson(e))))).toEqual(e)
  })
})
