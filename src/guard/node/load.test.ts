import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createGuardService } from '../service.ts'
import {
  loadAddressLists,
  loadDomainLists,
  loadText,
  loadTokenLists,
  parseBrandFile,
  parseTokenCsv,
  sanctionsListFiles,
  scheduleRefresh,
} from './load.ts'

const fixtures = join(import.meta.dirname, '../fixtures')

describe('list loading', () => {
  it('adds an operator brand file to ours and rejects a malformed one whole, naming the field', async () => {
    const fakeFetch = (async () =>
      new Response(
        JSON.stringify([{ name: 'Zorblex', tokens: ['zorblex'], domains: ['zorblex.io'] }]),
      )) as typeof fetch
    const d = await loadDomainLists({ brands: ['https://lists.example/brands.json'] }, fakeFetch)
    expect(d.brands?.at(-1)).toEqual({ name: 'Zorblex', tokens: ['zorblex'], domains: ['zorblex.io'] })
    const narrowed = await loadDomainLists(
      { brands: ['https://lists.example/brands.json'] },
      (async () =>
        new Response(
          JSON.stringify([{ name: 'uniswap', tokens: ['uniswap'], domains: ['uniswap.org'] }]),
        )) as typeof fetch,
    )
    expect(narrowed.brands?.filter((b) => b.name.toLowerCase() === 'uniswap')).toEqual([
      { name: 'uniswap', tokens: ['uniswap'], domains: ['uniswap.org'] },
    ])
    expect(() =>
      parseBrandFile('b.json', '[{"name":"X","tokens":["Bad Token"],"domains":["x.io"]}]'),
    ).toThrow('b.json: brand file 0.tokens.0: lowercase letters and digits, 3 to 40 of them')
    expect(() => parseBrandFile('b.json', '[{"name":"X","tokens":["xxx"],"domains":["com"]}]')).toThrow(
      'b.json: brand file 0.domains.0: a domain with a registrable name',
    )
    expect(() => parseBrandFile('b.json', '{oops')).toThrow('b.json: brand file is not JSON')
  })

  it('reads files and URLs', async () => {
    const fakeFetch = (async (url: string) =>
      new Response(url.endsWith('/block.txt') ? 'evil.xyz\n' : 'nope', {
        status: url.endsWith('/block.txt') ? 200 : 404,
      })) as typeof fetch
    expect(await loadText('https://lists.example/block.txt', fakeFetch)).toBe('evil.xyz\n')
    await expect(loadText('https://lists.example/missing', fakeFetch)).rejects.toThrow('HTTP 404')
    expect(await loadText(join(fixtures, 'blocklist.txt'))).toContain('listed-drainer.xyz')
  })

  it('turns list files into guard options, names OFAC files by asset and reads token CSV', async () => {
    const d = await loadDomainLists({ blocklists: [join(fixtures, 'blocklist.txt')] })
    expect(d.blocklist).toEqual(['listed-drainer.xyz', 'evil-claims.example'])
    const a = await loadAddressLists([join(fixtures, 'sanctioned_addresses_ETH.txt')])
    expect(a[0]).toMatchObject({ name: 'OFAC SDN (ETH)', kind: 'sanctions' })
    expect((await loadTokenLists([join(fixtures, 'tokens.tokenlist.json')])).map((t) => t.symbol)).toEqual([
      'USDT',
      'USDC',
      'BNB',
      'WETH',
    ])
    expect(
      parseTokenCsv(
        'symbol,address,chainId,decimals\nUSDT,0xdac17f958d2ee523a2206206994597c13d831ec7,1,6\nbad,0x12,1,6\n',
      ),
    ).toEqual([
      {
        chainId: 1,
        address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
        symbol: 'USDT',
        name: 'USDT',
        decimals: 6,
      },
    ])
  })

  it('refreshes on a schedule and swaps the engines at once, keeping old lists when a load fails', async () => {
    vi.useFakeTimers()
    try {
      const service = createGuardService()
      expect(service.engines().domains.check('listed-drainer.xyz').verdict).toBe('allow')
      let fail = false
      const errors: unknown[] = []
      const stop = scheduleRefresh(
        async () => {
          if (fail) throw new Error('list server down')
          return { domains: { blocklist: ['listed-drainer.xyz'] } }
        },
        (lists) => service.replace(lists, new Date('2026-01-01T00:00:00Z')),
        60_000,
        (e) => errors.push(e),
      )
      await vi.advanceTimersByTimeAsync(60_000)
      expect(service.engines().domains.check('listed-drainer.xyz').verdict).toBe('block')
      fail = true
      await vi.advanceTimersByTimeAsync(60_000)
      expect(errors).toHaveLength(1)
      expect(service.engines()).toMatchObject({ loadedAt: new Date('2026-01-01T00:00:00Z') })
      expect(service.engines().domains.check('listed-drainer.xyz').verdict).toBe('block')
      stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('sanctionsListFiles', () => {
  it('finds every per-asset list of an OFAC checkout, and only those, in name order', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(`${tmpdir()}/ofac-`)
    for (const name of [
      'sanctioned_addresses_XBT.txt',
      'sanctioned_addresses_ETH.txt',
      'sanctioned_addresses_ETH.json',
      'README.md',
      'notes.txt',
    ]) {
      writeFileSync(`${dir}/${name}`, '')
    }
    expect(sanctionsListFiles(dir, 'txt').map((f) => f.slice(dir.length + 1))).toEqual([
      'sanctioned_addresses_ETH.txt',
      'sanctioned_addresses_XBT.txt',
    ])
    expect(sanctionsListFiles(dir, 'json').map((f) => f.slice(dir.length + 1))).toEqual([
      'sanctioned_addresses_ETH.json',
    ])
  })
})
