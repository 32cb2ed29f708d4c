import { toFunctionSelector } from 'viem'
import { describe, expect, it } from 'vitest'
import tokenListJson from '../fixtures/tokens.tokenlist.json' with { type: 'json' }
import { analyzeBytecode, fetchCode } from './bytecode.ts'
import { createTokenGuard, parseTokenList, symbolKey } from './counterfeit.ts'

describe('counterfeit tokens', () => {
  const guard = createTokenGuard(parseTokenList(JSON.stringify(tokenListJson)))
  const fakeAddress = '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0'

  it('parses the standard token-list format', () => {
    expect(guard.size()).toBe(4)
    expect(guard.canonical(1, '0xdac17f958d2ee523a2206206994597c13d831ec7')?.symbol).toBe('USDT')
  })

  it('reduces lookalike symbols to what they imitate', () => {
    expect(symbolKey('USDТ')).toBe('USDT') // Cyrillic Т
    expect(symbolKey('B\u180eN\u180eB')).toBe('BNB') // Mongolian vowel separators
    expect(symbolKey('USDT\u00ad')).toBe('USDT') // soft hyphen
    expect(symbolKey('USDŦ')).toBe('USDT')
  })

  it('flags lookalike symbols at non-canonical addresses and names what they imitate', () => {
    const r = guard.check({ chainId: 1, address: fakeAddress, symbol: 'USDС', name: 'Tether' })
    expect(r.verdict).toBe('block')
    expect(r.impersonates?.symbol).toBe('USDC')
    expect(r.reasons.map((x) => x.code)).toContain('LOOKALIKE_SYMBOL')
  })

  it('says a symbol hides invisible characters, as a reason of its own, and blocks the stablecoin it hides', () => {
    const r = guard.check({ chainId: 1, address: fakeAddress, symbol: 'US\u200bDT', name: 'Tether' })
    expect(r.verdict).toBe('block')
    expect(r.reasons.map((x) => `${x.code}:${x.severity}`)).toContain('INVISIBLE_CHARACTERS:warn')
    expect(r.impersonates?.symbol).toBe('USDT')
  })

  it('blocks a stablecoin decorated with a chain tag, a version or a prefix off every listed contract', () => {
    for (const symbol of ['USDT-ERC20', 'USDT.e', 'xUSDC', 'USDC2', 'USDT_TRC20'])
      expect(
        guard
          .check({ chainId: 1, address: fakeAddress, symbol })
          .reasons.map((x) => `${x.code}:${x.severity}`),
        symbol,
      ).toEqual(['AFFIXED_SYMBOL:block'])
    expect(guard.check({ chainId: 1, address: fakeAddress, symbol: 'USDT-ERC20' }).impersonates?.symbol).toBe(
      'USDT',
    )
  })

  it('leaves pool shares named after their DEX alone and lets a listed bridged variant through', () => {
    expect(guard.check({ chainId: 1, address: fakeAddress, symbol: 'UNI-V2' }).verdict).toBe('allow')
    const bridged = createTokenGuard([
      ...parseTokenList(JSON.stringify(tokenListJson)),
      {
        chainId: 43114,
        address: '0xa7d7079b0fead91f3e65f86e8915cb59c1a4c664',
        symbol: 'USDC.e',
        name: 'Bridged USDC',
      },
    ])
    expect(
      bridged.check({
        chainId: 43114,
        address: '0xa7d7079b0fead91f3e65f86e8915cb59c1a4c664',
        symbol: 'USDC.e',
      }).verdict,
    ).toBe('allow')
  })

  it('flags a plain copy of a canonical symbol and a copied name', () => {
    expect(guard.check({ chainId: 1, address: fakeAddress, symbol: 'USDT' }).reasons[0]?.code).toBe(
      'COUNTERFEIT_SYMBOL',
    )
    expect(
      guard.check({ chainId: 1, address: fakeAddress, symbol: 'XYZ', name: 'Wrapped Ether' }).verdict,
    ).toBe('warn')
  })

  describe('the same-ticker rule warns only where it protects', () => {
    const lists = createTokenGuard([
      ...parseTokenList(JSON.stringify(tokenListJson)),
      { chainId: 1, address: '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', symbol: 'HOP', name: 'Hop' },
      { chainId: 1, address: '0x3845badade8e6dff049820680d1f14bd3903a5d0', symbol: 'SAND', name: 'SAND' },
      {
        chainId: 56,
        address: '0x55d398326f99059ff775485246999027b3197955',
        symbol: 'CAKE',
        name: 'PancakeSwap',
      },
    ])
    const codes = (t: Parameters<typeof lists.check>[0]) =>
      lists.check(t).reasons.map((x) => `${x.code}:${x.severity}`)

    it('allows an unrelated token that shares a common ticker, and says so', () => {
      const r = lists.check({ chainId: 137, address: fakeAddress, symbol: 'CAKE', name: 'Cake Monster' })
      expect(r.verdict).toBe('allow')
      expect(r.reasons.map((x) => x.code)).toEqual(['SHARED_SYMBOL'])
    })

    it('warns when a token takes both the ticker and the name of the token listed on its chain', () => {
      expect(codes({ chainId: 56, address: fakeAddress, symbol: 'CAKE', name: 'Pancake Swap' })).toEqual([
        'COUNTERFEIT_SYMBOL:warn',
      ])
    })

    it('blocks a plain stablecoin ticker on a covered chain, with or without the real name', () => {
      expect(codes({ chainId: 1, address: fakeAddress, symbol: 'USDT', name: 'Tether USD' })).toEqual([
        'COUNTERFEIT_SYMBOL:block',
      ])
      expect(lists.check({ chainId: 1, address: fakeAddress, symbol: 'usdc' }).verdict).toBe('block')
    })

    it('warns on a stablecoin ticker on a covered chain where the lists name it only elsewhere', () => {
      expect(codes({ chainId: 56, address: fakeAddress, symbol: 'USDT', name: 'Tether USD' })).toEqual([
        'COUNTERFEIT_SYMBOL:warn',
      ])
    })

    it('says, rather than flags, a stablecoin ticker on a chain no loaded list covers', () => {
      const r = lists.check({ chainId: 5000, address: fakeAddress, symbol: 'USDT', name: 'Tether USD' })
      expect(r.verdict).toBe('allow')
      expect(r.reasons[0]?.detail).toContain('cover no token on chain 5000')
    })

    it('lets a wrapper that names its issuer through and still blocks a bare or copied-name prefix', () => {
      const wrapper = lists.check({
        chainId: 1,
        address: fakeAddress,
        symbol: 'fWETH',
        name: 'Fluid Wrapped Ether',
      })
      expect(wrapper.verdict).toBe('allow')
      expect(wrapper.reasons.map((x) => x.code)).toContain('AFFIX_NAMES_ISSUER')
      expect(codes({ chainId: 1, address: fakeAddress, symbol: 'xUSDC', name: 'USD Coin' })).toEqual([
        'COUNTERFEIT_NAME:warn',
        'AFFIXED_SYMBOL:block',
      ])
      expect(
        codes({ chainId: 1, address: fakeAddress, symbol: 'USDT-ERC20', name: 'Tether USD Bridged' }),
      ).toEqual(['AFFIXED_SYMBOL:block'])
    })

    it('does not read a word that ends in a tag letter as an affix (HOPE is not HOP + E)', () => {
      expect(lists.check({ chainId: 1, address: fakeAddress, symbol: 'HOPE', name: 'Hope' }).verdict).toBe(
        'allow',
      )
      expect(codes({ chainId: 1, address: fakeAddress, symbol: 'HOP.e', name: 'Hop' })).toEqual([
        'AFFIXED_SYMBOL:warn',
      ])
    })

    it('warns on a copied name only when it is a stablecoin or top asset name', () => {
      expect(lists.check({ chainId: 1, address: fakeAddress, symbol: 'XYZ', name: 'Hop' }).verdict).toBe(
        'allow',
      )
      expect(codes({ chainId: 1, address: fakeAddress, symbol: 'XYZ', name: 'Tether USD' })).toEqual([
        'COUNTERFEIT_NAME:warn',
      ])
    })

    it('flags Latin mixed with look-alike letters but not a symbol written wholly in another script', () => {
      expect(lists.check({ chainId: 1, address: fakeAddress, symbol: 'шайлушай' }).verdict).toBe('allow')
      expect(lists.check({ chainId: 1, address: fakeAddress, symbol: 'ZАP' }).reasons[0]?.code).toBe(
        'NON_ASCII_SYMBOL',
      )
    })
  })

  it('allows canonical tokens in any letter case and unrelated tokens', () => {
    expect(
      guard.check({ chainId: 1, address: '0xDAC17F958D2EE523A2206206994597C13D831EC7', symbol: 'USDT' })
        .verdict,
    ).toBe('allow')
    expect(
      guard.check({ chainId: 1, address: fakeAddress, symbol: 'MYTOKEN', name: 'My Token' }).verdict,
    ).toBe('allow')
  })
})

/** Assembles bytecode from opcodes and PUSH4 selectors, the way a Solidity dispatcher lays them out. */
function dispatcher(signatures: string[], tail = ''): string {
  return `0x6080604052${signatures.map((s) => `63${toFunctionSelector(s).slice(2)}14`).join('')}${tail}00`
}

describe('bytecode risk flags', () => {
  it('flags mint, blacklist, pause, fee setters and upgrades by selector', () => {
    const code = dispatcher([
      'transfer(address,uint256)',
      'mint(address,uint256)',
      'addBlackList(address)',
      'pause()',
      'setTaxFee(uint256)',
      'upgradeTo(address)',
    ])
    const codes = analyzeBytecode(code).reasons.map((r) => r.code)
    expect(codes).toEqual(['OWNER_MINT', 'BLACKLIST', 'PAUSABLE', 'ADJUSTABLE_FEES', 'UPGRADEABLE'])
  })

  it('finds SELFDESTRUCT and EIP-1967 proxies but not bytes hidden inside PUSH data', () => {
    const slot = '360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc'
    expect(analyzeBytecode(`0x7f${slot}54ff`).reasons.map((r) => r.code)).toEqual([
      'UPGRADEABLE',
      'SELFDESTRUCT',
    ])
    // 0xff and 0xf4 appear only as PUSH2 data here
    const clean = analyzeBytecode(dispatcher(['transfer(address,uint256)'], '61fff4'))
    expect(clean.reasons).toEqual([])
    expect(clean.selectors).toEqual([toFunctionSelector('transfer(address,uint256)')])
  })

  it('recognises EIP-1167 minimal proxies and accounts without code', () => {
    const clone =
      '0x363d3d373d3d3d363d73bebebebebebebebebebebebebebebebebebebebe5af43d82803e903d91602b57fd5bf3'
    expect(analyzeBytecode(clone).reasons[0]?.code).toBe('UPGRADEABLE')
    expect(analyzeBytecode('0x').reasons[0]?.code).toBe('NO_CODE')
  })

  it('fetches code with eth_getCode through an injected fetch', async () => {
    const seen: unknown[] = []
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen.push(JSON.parse(String(init.body)))
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x6000' }))
    }) as typeof fetch
    expect(
      await fetchCode('http://rpc.invalid', '0xdac17f958d2ee523a2206206994597c13d831ec7', fakeFetch),
    ).toBe('0x6000')
    expect(seen[0]).toMatchObject({
      method: 'eth_getCode',
      params: ['0xdac17f958d2ee523a2206206994597c13d831ec7', 'latest'],
    })
  })
})
