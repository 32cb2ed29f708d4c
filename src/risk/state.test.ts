import { describe, expect, it } from 'vitest'
import { createAccountStore, HOUR, MINUTE } from './state.ts'

describe('account state', () => {
  it('counts events in a sliding window and forgets them once the window has passed', () => {
    const s = createAccountStore(2)
    const i = s.slot('a')
    const t0 = 1_000 * HOUR
    s.add(i, 'withdrawals', t0, 100)
    s.add(i, 'withdrawals', t0 + 10 * MINUTE, 50)
    expect(s.window(i, 'withdrawals', '1h', t0 + 10 * MINUTE)).toBe(2)
    expect(s.window(i, 'withdrawals', '1h', t0 + 10 * MINUTE, 'sum')).toBe(150)
    expect(s.window(i, 'withdrawals', '1h', t0 + 3 * HOUR)).toBe(0)
    expect(s.window(i, 'withdrawals', '30d', t0 + 3 * HOUR, 'sum')).toBe(150)
  })

  it('weights the previous bucket by how much of it still lies inside the window', () => {
    const s = createAccountStore()
    const i = s.slot('a')
    s.add(i, 'events', 10 * HOUR + 59 * MINUTE)
    s.add(i, 'events', 11 * HOUR + 1 * MINUTE)
    // at 11:30 the window covers 10:30–11:30: half of the previous bucket counts
    expect(s.window(i, 'events', '1h', 11 * HOUR + 30 * MINUTE)).toBeCloseTo(1.5)
  })

  it('keeps accounts apart and grows past its initial capacity', () => {
    const s = createAccountStore(16)
    for (let k = 0; k < 100; k++) s.add(s.slot(`a${k}`), 'deposits', HOUR, k)
    expect(s.size).toBe(100)
    expect(s.window(s.find('a42')!, 'deposits', '1d', HOUR, 'sum')).toBe(42)
    expect(s.window(s.find('a7')!, 'deposits', '1d', HOUR, 'sum')).toBe(7)
  })

  it('reports a device as new only when it is not among the recent ones', () => {
    const s = createAccountStore()
    const i = s.slot('a')
    expect(s.remember(i, 'device', 'phone')).toBe(true)
    expect(s.remember(i, 'device', 'phone')).toBe(false)
    expect(s.remember(i, 'device', 'laptop')).toBe(true)
  })

  it('learns an amount baseline and its quantiles', () => {
    const s = createAccountStore()
    const i = s.slot('a')
    for (const v of [100, 110, 90, 105, 95, 100, 1000]) s.observeAmount(i, v)
    expect(s.amountQuantile(i, 0.5)).toBe(100)
    expect(s.amountQuantile(i, 0.95)).toBe(1000)
    expect(s.amountBaseline(i).max).toBe(1000)
    expect(Math.exp(s.amountBaseline(i).logMean)).toBeGreaterThan(100)
  })

  it('restores a snapshot to the same windows, novelty and baselines, through JSON', () => {
    const s = createAccountStore(4)
    for (let k = 0; k < 40; k++) {
      const i = s.slot(`a${k % 7}`)
      s.add(i, 'withdrawals', k * MINUTE, k)
      s.remember(i, 'device', `d${k % 3}`)
      s.observeAmount(i, 10 + k)
    }
    const copy = createAccountStore(0, JSON.parse(JSON.stringify(s.snapshot())))
    expect(copy.size).toBe(7)
    for (let k = 0; k < 7; k++) {
      const a = s.find(`a${k}`)!
      const b = copy.find(`a${k}`)!
      expect(copy.window(b, 'withdrawals', '1h', 40 * MINUTE, 'sum')).toBe(
        s.window(a, 'withdrawals', '1h', 40 * MINUTE, 'sum'),
      )
      expect(copy.amountBaseline(b)).toEqual(s.amountBaseline(a))
      expect(copy.remember(b, 'device', 'd1')).toBe(false)
    }
  })
})
