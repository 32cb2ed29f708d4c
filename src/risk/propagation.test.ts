import { describe, expect, it } from 'vitest'
import { createTransactionGraph, propagateRisk } from './propagation.ts'

describe('risk propagation', () => {
  const seeds = new Map([['0xBAD', { label: 'sanctioned', source: 'test' }]])

  it('gives a listed address full risk and its recipients decaying exposure per hop', () => {
    const g = createTransactionGraph()
    g.addTransfer('0xbad', '0xm1', 10)
    g.addTransfer('0xm1', '0xm2', 10)
    g.addTransfer('0xm2', '0xm3', 10)
    g.addTransfer('0xm3', '0xm4', 10)
    const x = propagateRisk(g, seeds, { maxHops: 3 })
    expect(x.get('0xbad')?.score).toBe(1)
    expect(x.get('0xm1')).toMatchObject({ hops: 1, seed: '0xbad', path: ['0xm1', '0xbad'] })
    expect(x.get('0xm1')!.score).toBeGreaterThan(x.get('0xm2')!.score)
    expect(x.get('0xm2')!.score).toBeGreaterThan(x.get('0xm3')!.score)
    expect(x.has('0xm4')).toBe(false)
  })

  it('dilutes exposure when a risky payer is a small share of the inflow', () => {
    const g = createTransactionGraph()
    g.addTransfer('0xbad', '0xmostly-clean', 1)
    g.addTransfer('0xexchange', '0xmostly-clean', 99)
    g.addTransfer('0xbad', '0xmule', 100)
    const x = propagateRisk(g, seeds)
    expect(x.get('0xmule')!.score).toBeGreaterThan(x.get('0xmostly-clean')!.score * 5)
  })

  it('marks addresses that paid a listed address, more weakly than those it paid', () => {
    const g = createTransactionGraph()
    g.addTransfer('0xvictim', '0xbad', 5)
    g.addTransfer('0xbad', '0xcashout', 5)
    const x = propagateRisk(g, seeds)
    expect(x.get('0xvictim')!.score).toBeLessThan(x.get('0xcashout')!.score)
  })
})
