import { describe, expect, it } from 'vitest'
import { loadConfig } from '../platform/config.ts'
import { identityPayload, isValidLei, vaspPerson } from './ivms101.ts'
import { canonicalBytes, header_, publicKeyOf, sign, verifySignature } from './protocol.ts'
import { aboveThreshold, parsePrices, parseThresholds } from './thresholds.ts'

const natural = (extra: Record<string, unknown> = {}) => ({
  naturalPerson: {
    name: {
      nameIdentifier: [
        { primaryIdentifier: 'Smith', secondaryIdentifier: 'Ann', nameIdentifierType: 'LEGL' },
      ],
    },
    ...extra,
  },
})
const payload = (originator: unknown, beneficiary: unknown = natural()) => ({
  originator: { originatorPersons: [originator], accountNumber: ['acct-1'] },
  beneficiary: { beneficiaryPersons: [beneficiary], accountNumber: ['0xabc'] },
  originatingVASP: { originatingVASP: vaspPerson('Bulwark', '529900T8BM49AURSDO55', 'DE') },
})
const issues = (value: unknown) => {
  const r = identityPayload.safeParse(value)
  return r.success ? [] : r.error.issues.map((i) => i.message)
}

describe('IVMS101 (interVASP IVMS101 v1, 2020)', () => {
  it('accepts an originator with a name and a customer identification, and a beneficiary with a name', () => {
    expect(issues(payload(natural({ customerIdentification: 'c-42' })))).toEqual([])
  })

  it('C1: refuses a natural originator with nothing beyond a name', () => {
    expect(issues(payload(natural()))).toEqual([expect.stringMatching(/^C1 /)])
  })

  it('C6: refuses a natural person without a legal (LEGL) name', () => {
    const alias = {
      naturalPerson: {
        name: { nameIdentifier: [{ primaryIdentifier: 'Nick', nameIdentifierType: 'ALIA' }] },
        customerIdentification: 'c-1',
      },
    }
    expect(issues(payload(alias))).toEqual([expect.stringMatching(/^C6 /)])
  })

  it('C8: refuses an address with neither an address line nor a street with a building', () => {
    const address = { addressType: 'HOME', streetName: 'Main Street', townName: 'Berlin', country: 'DE' }
    expect(issues(payload(natural({ geographicAddress: [address] })))).toEqual([
      expect.stringMatching(/^C8 /),
    ])
    const complete = { ...address, buildingNumber: '1' }
    expect(issues(payload(natural({ geographicAddress: [complete] })))).toEqual([])
  })

  it('C3 and C2: refuses a country that is not ISO 3166 alpha-2 and a birth date in the future', () => {
    expect(
      issues(payload(natural({ countryOfResidence: 'Germany', customerIdentification: 'c' }))),
    ).toHaveLength(1)
    const future = { dateOfBirth: '2999-01-01', placeOfBirth: 'Berlin' }
    expect(issues(payload(natural({ dateAndPlaceOfBirth: future })))).toEqual([expect.stringMatching(/^C2 /)])
  })

  it('C7, C10, C11: a legal person is identified by an LEI with valid check digits, or another type with its registration authority', () => {
    const legal = (nationalIdentification: Record<string, unknown>) => ({
      legalPerson: {
        name: { nameIdentifier: [{ legalPersonName: 'ACME', legalPersonNameIdentifierType: 'LEGL' }] },
        nationalIdentification,
      },
    })
    expect(isValidLei('529900T8BM49AURSDO55')).toBe(true)
    expect(isValidLei('529900T8BM49AURSDO56')).toBe(false)
    expect(
      issues(payload(legal({ nationalIdentifier: '529900T8BM49AURSDO56', nationalIdentifierType: 'LEIX' }))),
    ).toEqual([expect.stringMatching(/^C11 /)])
    expect(issues(payload(legal({ nationalIdentifier: 'P123', nationalIdentifierType: 'CCPT' })))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^C7 /)]),
    )
    expect(issues(payload(legal({ nationalIdentifier: 'HRB 1', nationalIdentifierType: 'RAID' })))).toEqual([
      expect.stringMatching(/^C10 /),
    ])
    expect(
      issues(
        payload(
          legal({
            nationalIdentifier: 'HRB 1',
            nationalIdentifierType: 'RAID',
            registrationAuthority: 'RA000001',
          }),
        ),
      ),
    ).toEqual([])
  })

  it('refuses fields the standard does not have and names longer than its maximum', () => {
    expect(issues(payload(natural({ customerIdentification: 'c', nickname: 'x' })))).not.toEqual([])
    const long = {
      naturalPerson: {
        name: { nameIdentifier: [{ primaryIdentifier: 'x'.repeat(101), nameIdentifierType: 'LEGL' }] },
        customerIdentification: 'c',
      },
    }
    expect(issues(payload(long))).not.toEqual([])
  })
})

describe('signed messages', () => {
  const secret = Uint8Array.from(Buffer.from('11'.repeat(32), 'hex'))
  const message = {
    ...header_('a', 'b', new Date('2026-01-01T00:00:00Z')),
    type: 'transfer_broadcast' as const,
    transferId: '00000000-0000-4000-8000-000000000000',
    txHash: '0xabc',
  }

  it('signs the canonical JSON, so key order does not matter but any change does', () => {
    const env = sign(message, secret)
    const key = publicKeyOf('11'.repeat(32))
    const reordered = Object.fromEntries(Object.entries(message).reverse())
    expect(new TextDecoder().decode(canonicalBytes(reordered))).toBe(
      new TextDecoder().decode(canonicalBytes(message)),
    )
    expect(verifySignature(reordered, env.signature, key)).toBe(true)
    expect(verifySignature({ ...message, txHash: '0xabd' }, env.signature, key)).toBe(false)
    expect(verifySignature(message, env.signature, publicKeyOf('12'.repeat(32)))).toBe(false)
    expect(verifySignature(message, 'zz', key)).toBe(false)
  })
})

describe('thresholds', () => {
  const thresholds = parseThresholds('EU=0 EUR,US=3000 USD')
  const prices = parsePrices('ETH=3000 USD,USDT=1 USD')

  it('applies the US threshold of 3000 USD at exactly 1 ETH at 3000 USD, not just below it', () => {
    const us = thresholds.get('US')!
    expect(aboveThreshold('ETH', 10n ** 18n, us, prices).required).toBe(true)
    expect(aboveThreshold('ETH', 10n ** 18n - 1n, us, prices).required).toBe(false)
    expect(aboveThreshold('USDT', 2999_999999n, us, prices).required).toBe(false)
  })

  it('applies the EU threshold of 0 to any amount, and counts an asset without a price as above', () => {
    expect(aboveThreshold('ETH', 1n, thresholds.get('EU')!, prices).required).toBe(true)
    expect(aboveThreshold('BTC', 1n, thresholds.get('US')!, prices)).toMatchObject({ required: true })
  })

  it('prices every custody asset in the currency of every default threshold, so no default jurisdiction treats every amount as above it', () => {
    const config = loadConfig({})
    const defaults = parseThresholds(config.TRAVEL_RULE_THRESHOLDS)
    const defaultPrices = parsePrices(config.TRAVEL_RULE_PRICES)
    for (const threshold of defaults.values()) {
      for (const asset of ['ETH', 'BTC', 'USDT', 'USDC'] as const) {
        expect(defaultPrices.has(`${asset}:${threshold.currency}`), `${asset} in ${threshold.currency}`).toBe(
          true,
        )
      }
    }
    // 100 USDT is below Switzerland's 1000 CHF and Singapore's 1500 SGD.
    expect(aboveThreshold('USDT', 100_000000n, defaults.get('CH')!, defaultPrices).required).toBe(false)
    expect(aboveThreshold('USDT', 100_000000n, defaults.get('SG')!, defaultPrices).required).toBe(false)
  })

  it('refuses a malformed entry, naming it', () => {
    expect(() => parseThresholds('EU=zero EUR')).toThrow(/EU=zero EUR/)
    expect(() => parsePrices('ETH=3000')).toThrow(/ETH=3000/)
  })
})
