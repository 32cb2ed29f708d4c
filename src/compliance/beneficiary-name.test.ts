import { describe, expect, it } from 'vitest'
import { beneficiaryNameMatches } from './beneficiary-name.ts'
import type { Ivms101Person } from './ivms101.ts'

const natural = (primaryIdentifier: string, secondaryIdentifier?: string): Ivms101Person => ({
  naturalPerson: {
    name: {
      nameIdentifier: [
        {
          primaryIdentifier,
          ...(secondaryIdentifier ? { secondaryIdentifier } : {}),
          nameIdentifierType: 'LEGL',
        },
      ],
    },
  },
})
const anna = { surname: 'MUELLER', givenNames: 'ANNA MARIA' }

describe('the beneficiary name check', () => {
  it('matches the document holder whatever the case, accents, word order or an omitted middle name', () => {
    expect(beneficiaryNameMatches([natural('Müller', 'Anna')], anna)).toBe(true)
    expect(beneficiaryNameMatches([natural('Mueller', 'Anna Maria')], anna)).toBe(true)
    expect(beneficiaryNameMatches([natural('ANNA MARIA MUELLER')], anna)).toBe(true)
    expect(beneficiaryNameMatches([natural('José', 'Zoë')], { surname: 'JOSE', givenNames: 'ZOE' })).toBe(
      true,
    )
  })

  it('does not match another surname, another given name, an extra name or a company', () => {
    expect(beneficiaryNameMatches([natural('Müller', 'Berta')], anna)).toBe(false)
    expect(beneficiaryNameMatches([natural('Schmidt', 'Anna')], anna)).toBe(false)
    expect(beneficiaryNameMatches([natural('Müller', 'Anna Lisa')], anna)).toBe(false)
    expect(beneficiaryNameMatches([natural('Anna')], anna)).toBe(false)
    const company: Ivms101Person = {
      legalPerson: {
        name: {
          nameIdentifier: [{ legalPersonName: 'Anna Mueller', legalPersonNameIdentifierType: 'LEGL' }],
        },
      },
    }
    expect(beneficiaryNameMatches([company], anna)).toBe(false)
  })

  it('does not match a name the passport’s MRZ cut short (a known limit)', () => {
    const truncated = { surname: 'WOLFESCHLEGELSTEINHAUSEN', givenNames: 'HUBERT BLAINE WOLF' }
    expect(
      beneficiaryNameMatches([natural('Wolfeschlegelsteinhausen', 'Hubert Blaine Wolfgang')], truncated),
    ).toBe(false)
  })

  it('matches when one of several beneficiaries (a joint account) is the holder', () => {
    expect(beneficiaryNameMatches([natural('Lee', 'Kim'), natural('Müller', 'Anna')], anna)).toBe(true)
  })
})
