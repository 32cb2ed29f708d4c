import { describe, expect, it } from 'vitest'
import tokenListJson from '../fixtures/tokens.tokenlist.json' with { type: 'json' }
import { createTokenGuard, parseTokenList } from '../token/counterfeit.ts'
import { createAddressScreener, parseAddressList } from './lists.ts'
import { checkDestination, metamaskRule, pairVerdict, similarity } from './lookalike.ts'
import { normalizeAddress } from './normalize.ts'
import { classifyTransfer, isDust } from './poisoning.ts'

const real = '0x40e922f5d2de414b94aaabf14e02e1f9814afc3f'
const fake = '0x4008b8dfcdfc0d5b837b28aa4a890122292b0c3f' // 2 leading, 3 trailing chars match

describe('address normalisation', () => {
  it('lowercases EVM and bech32, keeps base58 case, strips cashaddr prefixes', () => {
    expect(normalizeAddress('0xAbC0000000000000000000000000000000000001')?.address).toBe(
      '0xabc0000000000000000000000000000000000001',
    )
    expect(normalizeAddress('BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ')).toEqual({
      address: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      kind: 'bech32',
    })
    expect(normalizeAddress('bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBeNull()
    expect(normalizeAddress('TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre')?.address).toBe(
      'TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre',
    )
    expect(normalizeAddress('bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq')?.address).toBe(
      'qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq',
    )
    expect(normalizeAddress('hello')).toBeNull()
  })
})

describe('lookalike addresses', () => {
  it('scores matched ends, counting a run of one character once', () => {
    expect(similarity('1111111254aa', '1111111254bb')).toMatchObject({ prefix: 10, suffix: 0, score: 4 })
    expect(similarity(fake.slice(2), real.slice(2))).toMatchObject({ prefix: 2, suffix: 3, score: 5 })
  })

  it('flags a poisoning fake that first-4/last-4 misses', () => {
    const s = similarity(fake.slice(2), real.slice(2))
    expect(metamaskRule(s)).toBe(false)
    expect(pairVerdict(s)).toBe('warn')
    const r = checkDestination({ to: fake, known: [real, '0x1111111111111111111111111111111111111111'] })
    expect(r).toMatchObject({ verdict: 'warn', lookalikeOf: real })
    expect(r.reasons[0]?.code).toBe('LOOKALIKE_ADDRESS')
  })

  it('blocks a close fake and allows exact known addresses and unrelated ones', () => {
    const closeFake = `0x40e9${'b'.repeat(31)}afc3f`
    expect(closeFake).toHaveLength(42)
    expect(checkDestination({ to: closeFake, known: [real] }).verdict).toBe('block')
    expect(
      checkDestination({ to: real.toUpperCase().replace('0X', '0x'), known: [real] }).reasons[0]?.code,
    ).toBe('KNOWN_ADDRESS')
    expect(
      checkDestination({ to: '0x9999999999999999999999999999999999999990', known: [real] }).verdict,
    ).toBe('allow')
  })

  it('does not confuse vanity families that share only a long prefix', () => {
    const a = '0x1111111254eeb25477b68fb85ed929f73a960582'
    const b = '0x1111111254fb6c44bac0bed2854e76f90643097d'
    expect(checkDestination({ to: a, known: [b] }).verdict).toBe('allow')
  })

  it('rejects an invalid destination', () => {
    expect(checkDestination({ to: '0x123', known: [] }).verdict).toBe('block')
  })
})

describe('poisoning transfers', () => {
  const tokens = createTokenGuard(parseTokenList(JSON.stringify(tokenListJson)))
  const usdt = '0xdac17f958d2ee523a2206206994597c13d831ec7'
  const base = { chainId: 1, token: usdt, symbol: 'USDT', known: [real] }

  it('classifies zero-value transferFrom, dust, counterfeit tokens and plain lookalikes', () => {
    expect(
      classifyTransfer(
        { ...base, from: '0x5555555555555555555555555555555555555555', to: fake, value: '0' },
        tokens,
      ).poisoning,
    ).toBe('zero_value')
    expect(
      classifyTransfer(
        { ...base, from: fake, to: '0x5555555555555555555555555555555555555555', value: '10' },
        tokens,
      ).poisoning,
    ).toBe('dust')
    const counterfeit = {
      ...base,
      token: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0',
      symbol: 'USDТ',
      from: fake,
      to: '0x5555555555555555555555555555555555555555',
      value: '5000000',
    }
    expect(classifyTransfer(counterfeit, tokens)).toMatchObject({
      poisoning: 'counterfeit_token',
      verdict: 'block',
      lookalikeOf: real,
    })
    expect(
      classifyTransfer(
        { ...base, from: fake, to: '0x5555555555555555555555555555555555555555', value: '5000000000' },
        tokens,
      ).poisoning,
    ).toBe('lookalike')
  })

  it('leaves ordinary transfers alone', () => {
    const r = classifyTransfer(
      { ...base, from: real, to: '0x5555555555555555555555555555555555555555', value: '5000000' },
      tokens,
    )
    expect(r).toMatchObject({ poisoning: null, verdict: 'allow' })
  })

  it('calls amounts under a thousandth of a token dust', () => {
    expect(isDust(999n, 6)).toBe(true)
    expect(isDust(1000n, 6)).toBe(false)
    expect(isDust(0n, 6)).toBe(false)
  })
})

describe('sanctions and address lists', () => {
  const screener = createAddressScreener([
    {
      name: 'OFAC SDN (ETH)',
      kind: 'sanctions',
      addresses: parseAddressList('0x8589427373D6D84E98730D7795D8f6f8731FDA16\n'),
    },
    {
      name: 'OFAC SDN (XBT)',
      kind: 'sanctions',
      addresses: parseAddressList(
        '["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"]',
      ),
    },
    {
      name: 'drainers',
      kind: 'drainer',
      addresses: parseAddressList('address,label\n0x0000000000000000000000000000000000000bad,x\n'),
    },
  ])

  it('finds listed addresses whatever their case where case carries no meaning', () => {
    expect(screener.screen('0x8589427373d6d84e98730d7795d8f6f8731fda16')).toMatchObject({
      verdict: 'block',
      lists: ['OFAC SDN (ETH)'],
    })
    expect(screener.lookup('BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ')).toEqual(['OFAC SDN (XBT)'])
    expect(screener.screen('0x0000000000000000000000000000000000000BAD').reasons[0]?.code).toBe(
      'MALICIOUS_ADDRESS',
    )
  })

  it('keeps base58 case-sensitive and reports invalid input', () => {
    expect(screener.lookup('12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9')).toEqual(['OFAC SDN (XBT)'])
    expect(screener.lookup('12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDx9')).toEqual([])
    expect(screener.screen('nope').error).toBe('not an address')
  })
})
