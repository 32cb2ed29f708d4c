import { describe, expect, it } from 'vitest'
import { specimenPassportMrz } from '../../test/support/identity.ts'
import { checkDocument, mrzDate } from './document.ts'
import { checkDigit, type MrzCheckName, parseMrz } from './mrz.ts'
import type { ComposeFields } from './mrz-compose.ts'

// The specimens printed in ICAO Doc 9303 (8th ed.): part 4 appendix A (TD3), part 6 (TD2), part 5 (TD1).
const TD3 = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10'
const TD2 = 'I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6'
const TD1 = 'I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<'

const today = new Date('2026-06-01T12:00:00Z')

/** The specimen passport (test/support/identity.ts), valid on `today`, with a middle name. */
const valid = (overrides: Partial<ComposeFields> = {}) =>
  specimenPassportMrz(today, { givenNames: 'Marie Claire', ...overrides })

function codes(mrz: string, options: Partial<Parameters<typeof checkDocument>[1]> = {}) {
  return checkDocument(mrz, { today, minimumAge: 18, ...options }).reasons.map((r) => r.code)
}

/** Replaces the character at (line, column) of an MRZ. */
function mutate(mrz: string, line: number, column: number, to: string): string {
  const lines = mrz.split('\n')
  const l = lines[line]!
  lines[line] = l.slice(0, column) + to + l.slice(column + 1)
  return lines.join('\n')
}

function otherDigit(d: string): string {
  return String((Number(d) + 1) % 10)
}

describe('ICAO 9303 check digits', () => {
  it('computes the specification worked example (weights 7-3-1, letters 10-35, filler 0)', () => {
    expect(checkDigit('L898902C3')).toBe('6')
    expect(checkDigit('740812')).toBe('2')
    expect(checkDigit('120415')).toBe('9')
    expect(checkDigit('ZE184226B<<<<<')).toBe('1')
    expect(checkDigit('<<<')).toBe('0')
  })

  it('refuses a character that cannot appear in an MRZ', () => {
    expect(() => checkDigit('AB-1')).toThrow(/"-" is not an MRZ character/)
  })
})

describe('the specification specimens', () => {
  it('reads the TD3 passport specimen with every check digit valid', () => {
    const result = parseMrz(TD3)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.reasons).toEqual([])
    expect(result.checks.map((c) => [c.name, c.valid])).toEqual([
      ['documentNumber', true],
      ['birthDate', true],
      ['expiryDate', true],
      ['personalNumber', true],
      ['composite', true],
    ])
    expect(result.fields).toMatchObject({
      format: 'TD3',
      documentType: 'passport',
      issuingState: 'UTO',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      documentNumber: 'L898902C3',
      nationality: 'UTO',
      birthDate: '740812',
      sex: 'F',
      expiryDate: '120415',
      optionalData: 'ZE184226B',
    })
  })

  it('reads the TD2 specimen with every check digit valid', () => {
    const result = parseMrz(TD2)
    expect(result.ok && result.reasons).toEqual([])
    expect(result.ok && result.fields).toMatchObject({
      format: 'TD2',
      documentNumber: 'D23145890',
      documentType: 'identity_card',
    })
  })

  it('reads the TD1 identity card specimen with every check digit valid', () => {
    const result = parseMrz(TD1)
    expect(result.ok && result.reasons).toEqual([])
    expect(result.ok && result.fields).toMatchObject({
      format: 'TD1',
      documentNumber: 'D23145890',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      nationality: 'UTO',
    })
  })

  it('accepts lower case and stray spaces the way OCR or a person writes them', () => {
    const result = parseMrz(`  ${TD3.toLowerCase().replace('l898902c3', 'l898 902c3')}\n\n`)
    expect(result.ok && result.reasons).toEqual([])
  })

  it('rejects the specimens themselves: Utopia is no country', () => {
    for (const mrz of [TD1, TD2, TD3]) expect(codes(mrz)).toContain('DOCUMENT_SPECIMEN')
  })
})

describe('each check digit, mutated', () => {
  const positions: Record<string, Array<[MrzCheckName, number, number]>> = {
    TD3: [
      ['documentNumber', 1, 9],
      ['birthDate', 1, 19],
      ['expiryDate', 1, 27],
      ['personalNumber', 1, 42],
      ['composite', 1, 43],
    ],
    TD2: [
      ['documentNumber', 1, 9],
      ['birthDate', 1, 19],
      ['expiryDate', 1, 27],
      ['composite', 1, 35],
    ],
    TD1: [
      ['documentNumber', 0, 14],
      ['birthDate', 1, 6],
      ['expiryDate', 1, 14],
      ['composite', 1, 29],
    ],
  }
  const specimens: Record<string, string> = { TD1, TD2, TD3 }
  for (const [format, checks] of Object.entries(positions)) {
    for (const [name, line, column] of checks) {
      it(`${format}: a wrong ${name} check digit fails that check (and the composite over it)`, () => {
        const mrz = specimens[format]!
        const digit = mrz.split('\n')[line]![column]!
        const result = parseMrz(mutate(mrz, line, column, otherDigit(digit)))
        expect(result.ok).toBe(true)
        if (!result.ok) return
        // The composite covers the other check digits too, so it fails with them.
        const failing = name === 'composite' ? ['composite'] : [name, 'composite']
        expect(result.checks.filter((c) => !c.valid).map((c) => c.name)).toEqual(failing)
        expect(result.reasons.map((r) => r.code)).toEqual(failing.map(() => 'MRZ_CHECK_DIGIT'))
      })
    }
  }

  it('catches a changed data character (one letter of the document number) by its check digit and the composite', () => {
    const result = parseMrz(mutate(TD3, 1, 0, 'M'))
    expect(result.ok && result.checks.filter((c) => !c.valid).map((c) => c.name)).toEqual([
      'documentNumber',
      'composite',
    ])
  })

  it('catches a changed birth date even when its own check digit is recomputed, through the composite', () => {
    // 1974 -> 1984. (Not every such change is caught: 740812 -> 740813 with its digit recomputed
    // leaves the composite sum unchanged modulo 10, a known weakness of the 7-3-1 scheme.)
    let forged = mutate(TD3, 1, 13, '8')
    forged = mutate(forged, 1, 19, checkDigit(forged.split('\n')[1]!.slice(13, 19)))
    const result = parseMrz(forged)
    expect(result.ok && result.checks.filter((c) => !c.valid).map((c) => c.name)).toEqual(['composite'])
  })

  it('refuses text that is no MRZ: wrong lengths, line count or characters', () => {
    expect(parseMrz(TD3.slice(0, -1))).toMatchObject({ ok: false, reasons: [{ code: 'MRZ_FORMAT' }] })
    expect(parseMrz(TD3.split('\n')[0]!)).toMatchObject({ ok: false })
    expect(parseMrz(TD3.replace('ANNA', 'AN-A'))).toMatchObject({
      ok: false,
      reasons: [{ code: 'MRZ_FORMAT' }],
    })
  })

  it('reads a TD1 long document number continued in the optional data, with its check digit there', () => {
    const lines = TD1.split('\n')
    // 12 characters: D23145890 + 123, check digit of the whole, after the filler at column 14.
    const number = 'D23145890123'
    const l1 = `I<UTO${number.slice(0, 9)}<${number.slice(9)}${checkDigit(number)}`.padEnd(30, '<')
    const l2start = lines[1]!.slice(0, 29)
    const composite = l1.slice(5, 30) + l2start.slice(0, 7) + l2start.slice(8, 15) + l2start.slice(18, 29)
    const result = parseMrz(`${l1}\n${l2start}${checkDigit(composite)}\n${lines[2]}`)
    expect(result.ok && result.reasons).toEqual([])
    expect(result.ok && result.fields.documentNumber).toBe(number)
  })
})

describe('document rules', () => {
  it('accepts a valid French passport and takes the country from its issuing state', () => {
    const result = checkDocument(valid(), { today, minimumAge: 18 })
    expect(result.reasons).toEqual([])
    expect(result.country).toBe('FR')
    expect(result.birthDate).toBe('1990-03-15')
    expect(result.expiryDate).toBe('2031-01-01')
  })

  it('rejects an expired document, and accepts one expiring today', () => {
    expect(codes(valid({ expiryDate: '260531' }))).toEqual(['DOCUMENT_EXPIRED'])
    expect(codes(valid({ expiryDate: '260601' }))).toEqual([])
  })

  it('rejects a holder one day short of the minimum age, and accepts them on their birthday', () => {
    expect(codes(valid({ birthDate: '080602' }))).toEqual(['HOLDER_UNDER_AGE'])
    expect(codes(valid({ birthDate: '080601' }))).toEqual([])
    expect(codes(valid({ birthDate: '080601' }), { minimumAge: 21 })).toEqual(['HOLDER_UNDER_AGE'])
  })

  it('rejects dates that are not calendar dates, with valid check digits', () => {
    expect(codes(valid({ birthDate: '900230' }))).toEqual(['DATE_INVALID'])
    expect(codes(valid({ expiryDate: '311301' }))).toEqual(['DATE_INVALID'])
    expect(codes(valid({ birthDate: '90<<<<' }))).toEqual(['DATE_INVALID'])
  })

  it('sends a validity of 15 years or more to review', () => {
    expect(codes(valid({ expiryDate: '420101' }))).toEqual(['DATE_IMPLAUSIBLE'])
  })

  it('rejects an expiry before the holder was born', () => {
    const mrz = valid({ birthDate: '080101', expiryDate: '070101' })
    expect(codes(mrz)).toEqual(['DOCUMENT_EXPIRED', 'DATE_IMPLAUSIBLE'])
  })

  it('rejects unknown issuing state and nationality codes, and sends organisations to review', () => {
    expect(codes(valid({ issuingState: 'ZZZ' }))).toEqual(['COUNTRY_UNKNOWN'])
    expect(codes(valid({ nationality: 'QQQ' }))).toEqual(['COUNTRY_UNKNOWN'])
    const stateless = checkDocument(valid({ nationality: 'XXA' }), { today, minimumAge: 18 })
    expect(stateless.reasons.map((r) => [r.code, r.severity])).toEqual([['COUNTRY_NOT_A_STATE', 'review']])
    const un = checkDocument(valid({ issuingState: 'UNO' }), { today, minimumAge: 18 })
    expect(un.country).toBeNull()
  })

  it("maps ICAO's own codes: D<< is Germany", () => {
    expect(
      checkDocument(valid({ issuingState: 'D', nationality: 'D' }), { today, minimumAge: 18 }).country,
    ).toBe('DE')
  })

  it('rejects a visa and other documents that are not passports or identity cards', () => {
    expect(codes(valid({ documentCode: 'V<' }))).toEqual(['DOCUMENT_TYPE_UNSUPPORTED'])
    expect(codes(valid({ format: 'TD1', documentCode: 'ID' }))).toEqual([])
  })

  it('compares every typed visual-zone field with the MRZ, ignoring case and diacritics', () => {
    const visual = {
      documentNumber: '12ab 34567',
      surname: 'Dupont',
      givenNames: 'Marie-Claire',
      birthDate: '1990-03-15',
      expiryDate: '2031-01-01',
    }
    expect(codes(valid(), { visual })).toEqual([])
    expect(codes(valid({ surname: 'Muller' }), { visual: { surname: 'Müller' } })).toEqual([])
    expect(codes(valid({ surname: 'Mueller' }), { visual: { surname: 'Müller' } })).toEqual([])
    const mismatch = checkDocument(valid(), {
      today,
      minimumAge: 18,
      visual: { ...visual, documentNumber: '12AB34568', surname: 'Durand', birthDate: '1990-03-16' },
    })
    expect(mismatch.reasons.map((r) => [r.code, r.severity])).toEqual([
      ['VISUAL_MISMATCH', 'review'],
      ['VISUAL_MISMATCH', 'review'],
      ['VISUAL_MISMATCH', 'review'],
    ])
    expect(mismatch.reasons[0]!.detail).toContain('12AB34568')
  })

  it('accepts a long typed name that the MRZ truncated at the end of its line', () => {
    const long = valid({ surname: 'Wolfeschlegelsteinhausenbergerdorff', givenNames: 'Hubert Blaine' })
    expect(codes(long, { visual: { givenNames: 'Hubert Blaine' } })).toEqual([])
  })

  it('places two-digit years in the right century', () => {
    expect(mrzDate('740812', 'birth', 2026)).toBe('1974-08-12')
    expect(mrzDate('260101', 'birth', 2026)).toBe('2026-01-01')
    expect(mrzDate('270101', 'birth', 2026)).toBe('1927-01-01')
    expect(mrzDate('740812', 'expiry', 2026)).toBe('2074-08-12')
    expect(mrzDate('120415', 'expiry', 2026)).toBe('2012-04-15')
  })
})
