import { describe, expect, it } from 'vitest'
import { countries, country, isCountryCode, listNames } from './countries.ts'

describe('countries and regions', () => {
  it('lists the 249 assigned ISO 3166-1 alpha-2 codes once each', () => {
    expect(countries).toHaveLength(249)
    expect(new Set(countries.map((c) => c.code)).size).toBe(249)
    for (const c of countries) expect(c.code).toMatch(/^[A-Z]{2}$/)
  })

  it('labels Hong Kong, Macao and Taiwan as regions and the rest as countries', () => {
    expect(countries.filter((c) => c.kind === 'region').map((c) => c.code)).toEqual(['HK', 'MO', 'TW'])
    expect(country('HK')).toEqual({ code: 'HK', name: 'Hong Kong', kind: 'region' })
    expect(country('DE')).toEqual({ code: 'DE', name: 'Germany', kind: 'country' })
  })

  it('refuses codes that are not assigned', () => {
    expect(isCountryCode('XK')).toBe(false)
    expect(isCountryCode('de')).toBe(false)
    expect(() => country('ZZ')).toThrow(/ZZ/)
  })

  it('names lists the way a sentence does', () => {
    expect(listNames(['DE'])).toBe('Germany')
    expect(listNames(['DE', 'AT', 'FR'])).toBe('Austria, France and Germany')
  })
})
