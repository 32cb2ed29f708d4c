import { join } from 'node:path'
import { encodeFunctionData, maxUint256, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'

const fixtures = join(import.meta.dirname, 'fixtures')
let t: TestApp

async function post(url: string, payload: object) {
  const r = await t.app.inject({ method: 'POST', url, payload })
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
  return { status: r.statusCode, body: r.json() as Record<string, any> }
}

beforeAll(async () => {
  t = await createTestApp({
    GUARD_BLOCKLISTS: join(fixtures, 'blocklist.txt'),
    GUARD_BRANDS: join(fixtures, 'brands.json'),
    GUARD_LINK_SHORTENERS: 'evil-claims.example',
    GUARD_TOKEN_LISTS: join(fixtures, 'tokens.tokenlist.json'),
    GUARD_ADDRESS_LISTS: join(fixtures, 'sanctioned_addresses_ETH.txt'),
    GUARD_RATE_LIMIT_MAX: '40',
    GUARD_DEFAULT_LISTS: 'false',
  })
  // Lists load in the background; wait until the configured blocklist is in force.
  for (let i = 0; i < 100; i++) {
    const r = await post('/api/guard/domains', { inputs: ['example.com'] })
    if (r.body.listsLoadedAt) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})
afterAll(async () => t?.close())

describe('guard HTTP routes (public)', () => {
  it('checks domains with the configured blocklist and the brand heuristics, without signing in', async () => {
    const r = await post('/api/guard/domains', {
      inputs: ['https://app.listed-drainer.xyz/claim', 'metamаsk.io', 'app.uniswap.org', '%%'],
    })
    expect(r.status).toBe(200)
    expect(r.body.listsLoadedAt).not.toBeNull()
    expect(r.body.results.map((x: { verdict?: string }) => x.verdict ?? 'error')).toEqual([
      'block',
      'block',
      'allow',
      'error',
    ])
    expect(r.body.results[1]).toMatchObject({ brand: 'MetaMask', reasons: [{ code: 'HOMOGLYPH' }] })
  })

  it('reports what is loaded and which blocklist entries to review', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/guard/lists' })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({
      domains: {
        blocklist: 2,
        allowlist: 0,
        officialDomainsListed: { count: 0, entries: [] },
        // GUARD_LINK_SHORTENERS names a listed domain here, so the review shows it.
        linkShortenersListed: { count: 1, entries: ['evil-claims.example'] },
      },
      tokens: 4,
    })
    const d = await post('/api/guard/domains', { inputs: ['evil-claims.example'] })
    expect(d.body.results[0]).toMatchObject({ verdict: 'warn' })
    expect(r.json().loadedAt).not.toBeNull()
    expect(r.json().domains.brands).toBeGreaterThan(90)
  })

  it("protects the operator's own brands from GUARD_BRANDS next to ours", async () => {
    const r = await post('/api/guard/domains', { inputs: ['zorblex-airdrop.xyz', 'app.zorblex.io'] })
    expect(r.body.results[0]).toMatchObject({ verdict: 'block', brand: 'Zorblex' })
    expect(r.body.results[1]).toMatchObject({ verdict: 'allow', reasons: [{ code: 'OFFICIAL_DOMAIN' }] })
  })

  it('flags lookalike destinations and poisoning transfers', async () => {
    const known = ['0x40e922f5d2de414b94aaabf14e02e1f9814afc3f']
    const fake = '0x4008b8dfcdfc0d5b837b28aa4a890122292b0c3f'
    expect((await post('/api/guard/address', { to: fake, known })).body).toMatchObject({
      verdict: 'warn',
      lookalikeOf: known[0],
    })
    const transfers = [
      {
        chainId: 1,
        token: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0',
        symbol: 'USDТ',
        from: fake,
        to: '0x5555555555555555555555555555555555555555',
        value: '1',
        known,
      },
    ]
    expect((await post('/api/guard/transfers', { transfers })).body.results[0]).toMatchObject({
      poisoning: 'counterfeit_token',
      verdict: 'block',
    })
  })

  it('detects counterfeit tokens from the configured token list and flags bytecode', async () => {
    const r = await post('/api/guard/tokens', {
      tokens: [{ chainId: 1, address: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0', symbol: 'USDТ' }],
    })
    expect(r.body.results[0]).toMatchObject({ verdict: 'block', impersonates: { symbol: 'USDT' } })
    const b = await post('/api/guard/bytecode', { code: '0x6080604052ff' })
    expect(b.body.reasons.map((x: { code: string }) => x.code)).toEqual(['SELFDESTRUCT'])
  })

  it('explains transactions and screens addresses against the configured lists', async () => {
    const data = encodeFunctionData({
      abi: parseAbi(['function approve(address,uint256)']),
      functionName: 'approve',
      args: ['0x00000000000000000000000000000000000bad01', maxUint256],
    })
    const tx = await post('/api/guard/tx', {
      chainId: 1,
      to: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
      data,
    })
    expect(tx.body).toMatchObject({ verdict: 'block', summary: expect.stringContaining('all your USDC') })
    const s = await post('/api/guard/sanctions', {
      addresses: ['0x00000000000000000000000000000000000BAD02', 'nope'],
    })
    expect(s.body.results).toEqual([
      expect.objectContaining({ verdict: 'block', lists: ['OFAC SDN (ETH)'] }),
      { address: 'nope', error: 'not an address' },
    ])
  })

  it('rejects malformed bodies with a validation error', async () => {
    expect((await post('/api/guard/address', { known: [] })).status).toBe(400)
    expect((await post('/api/guard/tx', { to: 'x', data: 'nothex' })).status).toBe(400)
  })

  it('rate limits each route per client', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 41; i++) statuses.push((await post('/api/guard/bytecode', { code: '0x00' })).status)
    expect(statuses.slice(0, 38).every((s) => s === 200)).toBe(true)
    expect(statuses.at(-1)).toBe(429)
  })
})
