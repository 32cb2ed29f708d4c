import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'

let t: TestApp

async function post(url: string, payload: object) {
  const r = await t.app.inject({ method: 'POST', url, payload })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return r.json() as Record<string, any>
}

beforeAll(async () => {
  // No GUARD_* list configured at all: a fresh install.
  t = await createTestApp({ GUARD_REFRESH_MINUTES: '0' })
  for (let i = 0; i < 200; i++) {
    if ((await post('/api/guard/domains', { inputs: ['example.com'] })).listsLoadedAt) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})
afterAll(async () => t?.close())

describe('a fresh server with no guard configuration', () => {
  it('blocks an OFAC-listed Tornado Cash address, a fake USDT token and a MetaMask-listed domain', async () => {
    const s = await post('/api/guard/sanctions', {
      addresses: ['0x8589427373d6d84e98730d7795d8f6f8731fda16'],
    })
    expect(s.results[0]).toMatchObject({ verdict: 'block', lists: ['OFAC SDN (ETH)'] })
    const tk = await post('/api/guard/tokens', {
      tokens: [
        {
          chainId: 1,
          address: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0',
          symbol: 'USDT',
          name: 'Tether USD',
        },
      ],
    })
    expect(tk.results[0]).toMatchObject({ verdict: 'block', impersonates: { symbol: 'USDT' } })
    const d = await post('/api/guard/domains', { inputs: ['zollo.io'] })
    expect(d.results[0]).toMatchObject({ verdict: 'block', reasons: [{ code: 'BLOCKLISTED' }] })
  })

  it('names the shipped lists with source, licence and date in GET /api/guard/lists', async () => {
    const r = (await t.app.inject({ method: 'GET', url: '/api/guard/lists' })).json() as {
      sources: { name: string; source: string; licence: string; date: string; shipped: boolean }[]
    }
    expect(r.sources.map((x) => x.name)).toEqual([
      'MetaMask eth-phishing-detect',
      'Uniswap default token list',
      'OFAC sanctioned digital currency addresses',
    ])
    expect(r.sources.every((x) => x.shipped && x.licence !== '' && /\d/.test(x.date))).toBe(true)
  })

  it('loads nothing but heuristics when GUARD_DEFAULT_LISTS=false', async () => {
    const bare = await createTestApp({ GUARD_DEFAULT_LISTS: 'false', GUARD_REFRESH_MINUTES: '0' })
    try {
      for (let i = 0; i < 200; i++) {
        const d = await bare.app.inject({
          method: 'POST',
          url: '/api/guard/domains',
          payload: { inputs: ['a.com'] },
        })
        if (d.json().listsLoadedAt) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const r = await bare.app.inject({
        method: 'POST',
        url: '/api/guard/sanctions',
        payload: { addresses: ['0x8589427373d6d84e98730d7795d8f6f8731fda16'] },
      })
      expect(r.json().results[0]).toMatchObject({ verdict: 'allow' })
    } finally {
      await bare.close()
    }
  })
})
