import { describe, expect, it } from 'vitest'
import { singleTypo, typoPath } from './typos.ts'

describe('typo model', () => {
  it('names the mistake a typist or a phisher makes', () => {
    expect(singleTypo('metamsk', 'metamask')).toBe('omission')
    expect(singleTypo('metammask', 'metamask')).toBe('repetition')
    expect(singleTypo('coinlbase', 'coinbase')).toBe('insertion')
    expect(singleTypo('uniswapp', 'uniswap')).toBe('repetition')
    expect(singleTypo('uniswapx', 'uniswap')).toBe('addition')
    expect(singleTypo('metmaask', 'metamask')).toBe('transposition')
    expect(singleTypo('metanask', 'metamask')).toBe('adjacent_key')
    expect(singleTypo('metamesk', 'metamask')).toBe('vowel_swap')
    expect(singleTypo('0pensea', 'opensea')).toBe('look_alike')
    expect(singleTypo('unlswap', 'uniswap')).toBe('look_alike')
    expect(singleTypo('rnetamask', 'metamask')).toBe('look_alike')
    expect(singleTypo('penble', 'pendle')).toBe('look_alike')
    expect(singleTypo('zerclend', 'zerolend')).toBe('look_alike')
  })

  it('does not explain a replaced letter that neither the keyboard nor the glyphs account for', () => {
    // One edit away, yet a different word: "buffer" is not a misspelt "puffer".
    expect(singleTypo('buffer', 'puffer')).toBeUndefined()
    expect(singleTypo('zapier', 'zapper')).toBeUndefined()
    expect(singleTypo('finance', 'binance')).toBeUndefined()
    expect(singleTypo('metamask', 'metamask')).toBeUndefined()
    expect(singleTypo('mask', 'metamask')).toBeUndefined()
  })

  it('allows two operations only for names of nine letters or more', () => {
    expect(typoPath('coinmarkettcp', 'coinmarketcap')).toEqual(['omission', 'repetition'])
    expect(typoPath('trusttwalet', 'trustwallet')).toHaveLength(2)
    expect(typoPath('metmsk', 'metamask')).toBeUndefined()
    // l→x is no typo; "drop the l, add an x" must not sneak it in as two operations.
    expect(typoPath('trustwaxlet', 'trustwallet')).toBeUndefined()
    expect(typoPath('metamsk', 'metamask')).toEqual(['omission'])
  })
})
