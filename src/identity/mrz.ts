/**
 * @module The machine-readable zone of travel documents (ICAO Doc 9303 parts 3-6): parse the
 * three formats (TD1 identity cards: 3 lines of 30; TD2: 2 of 36; TD3 passports: 2 of 44), verify
 * every check digit (document number, birth date, expiry date, TD3 personal number, composite),
 * and report each problem as a reason `{ code, detail }` rather than throwing, so the decision
 * layer can weigh them. Dates stay as they are written (YYMMDD); `documentRules` interprets them.
 */

export type MrzFormat = 'TD1' | 'TD2' | 'TD3'

export type MrzFields = {
  format: MrzFormat
  /** The two-character document code as written, e.g. `P<`, `I<`, `ID`, `AC`. */
  documentCode: string
  documentType: 'passport' | 'identity_card' | 'visa' | 'other'
  /** Issuing state or organisation, filler removed (`D` for Germany). */
  issuingState: string
  documentNumber: string
  nationality: string
  /** YYMMDD as written; `<` marks an unknown part. */
  birthDate: string
  sex: 'M' | 'F' | 'X'
  expiryDate: string
  surname: string
  givenNames: string
  /** Optional data (TD3: personal number), filler removed. */
  optionalData: string
  /** The MRZ lines as parsed (upper case, spaces removed). */
  lines: string[]
}

export type MrzCheckName = 'documentNumber' | 'birthDate' | 'expiryDate' | 'personalNumber' | 'composite'

export type MrzCheck = { name: MrzCheckName; expected: string; found: string; valid: boolean }

export type MrzReason = { code: 'MRZ_FORMAT' | 'MRZ_CHECK_DIGIT'; detail: string }

export type MrzParseResult =
  | { ok: true; fields: MrzFields; checks: MrzCheck[]; reasons: MrzReason[] }
  | { ok: false; reasons: MrzReason[] }

const LINE_SHAPES: Record<MrzFormat, { lines: number; length: number }> = {
  TD1: { lines: 3, length: 30 },
  TD2: { lines: 2, length: 36 },
  TD3: { lines: 2, length: 44 },
}

const WEIGHTS = [7, 3, 1] as const

/**
 * The ICAO 9303 check digit of `field`: digits are their value, A-Z are 10-35, the filler `<` is
 * 0, weighted 7, 3, 1 repeating, sum modulo 10. Throws on any other character.
 *
 * @example checkDigit('L898902C3') // '6'
 */
export function checkDigit(field: string): string {
  let sum = 0
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i)
    let value: number
    if (c >= 48 && c <= 57) value = c - 48
    else if (c >= 65 && c <= 90) value = c - 55
    else if (c === 60) value = 0
    else throw new RangeError(`checkDigit: ${JSON.stringify(field[i])} is not an MRZ character`)
    sum += value * WEIGHTS[i % 3]!
  }
  return String(sum % 10)
}

/** Upper-cases, drops spaces and blank lines; OCR and people both add them. */
export function normaliseMrzText(text: string): string[] {
  return text
    .toUpperCase()
    .split(/\r?\n/)
    .map((line) => line.replace(/[ \t]/g, ''))
    .filter((line) => line.length > 0)
}

function formatOf(lines: string[]): MrzFormat | null {
  for (const format of ['TD1', 'TD2', 'TD3'] as const) {
    const shape = LINE_SHAPES[format]
    if (lines.length === shape.lines && lines.every((l) => l.length === shape.length)) return format
  }
  return null
}

function documentTypeOf(code: string): MrzFields['documentType'] {
  const first = code[0]
  if (first === 'P') return 'passport'
  if (first === 'I' || first === 'A' || first === 'C') return 'identity_card'
  if (first === 'V') return 'visa'
  return 'other'
}

function trimFiller(value: string): string {
  return value.replace(/<+$/, '')
}

function names(field: string): { surname: string; givenNames: string } {
  const [surname = '', ...rest] = trimFiller(field).split('<<')
  return {
    surname: surname.replaceAll('<', ' ').trim(),
    givenNames: rest.join(' ').replaceAll('<', ' ').replace(/\s+/g, ' ').trim(),
  }
}

function sexOf(c: string): MrzFields['sex'] | null {
  if (c === 'M' || c === 'F') return c
  if (c === '<' || c === 'X') return 'X'
  return null
}

/**
 * Parses MRZ text (lines separated by newlines) and verifies every check digit.
 *
 * @example
 * parseMrz('P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10')
 * // { ok: true, fields: { format: 'TD3', documentNumber: 'L898902C3', … }, checks: [5 valid], reasons: [] }
 */
export function parseMrz(text: string): MrzParseResult {
  const lines = normaliseMrzText(text)
  const bad = lines.find((l) => !/^[A-Z0-9<]*$/.test(l))
  if (bad !== undefined) {
    return {
      ok: false,
      reasons: [
        {
          code: 'MRZ_FORMAT',
          detail: 'The machine-readable zone may contain only A-Z, 0-9 and the filler character <.',
        },
      ],
    }
  }
  const format = formatOf(lines)
  if (!format) {
    return {
      ok: false,
      reasons: [
        {
          code: 'MRZ_FORMAT',
          detail: `Expected 2 lines of 44 (passport), 2 of 36 or 3 of 30 (identity card); got ${lines.length} line(s) of ${lines.map((l) => l.length).join(', ') || '0'} characters.`,
        },
      ],
    }
  }
  const parsed = format === 'TD1' ? parseTd1(lines) : parseTd2or3(lines, format)
  const sex = sexOf(parsed.sexChar)
  const reasons: MrzReason[] = []
  if (!sex)
    reasons.push({
      code: 'MRZ_FORMAT',
      detail: `The sex field is ${JSON.stringify(parsed.sexChar)}, not M, F or <.`,
    })
  for (const check of parsed.checks) {
    if (!check.valid) {
      reasons.push({
        code: 'MRZ_CHECK_DIGIT',
        detail: `The ${CHECK_LABELS[check.name]} check digit is ${JSON.stringify(check.found)}; the data gives ${check.expected}.`,
      })
    }
  }
  return { ok: true, fields: { ...parsed.fields, sex: sex ?? 'X', lines }, checks: parsed.checks, reasons }
}

const CHECK_LABELS: Record<MrzCheckName, string> = {
  documentNumber: 'document number',
  birthDate: 'date of birth',
  expiryDate: 'expiry date',
  personalNumber: 'personal number',
  composite: 'composite',
}

function check(name: MrzCheckName, data: string, found: string): MrzCheck {
  const expected = checkDigit(data)
  return { name, expected, found, valid: expected === found }
}

type Partial = { fields: Omit<MrzFields, 'sex' | 'lines'>; sexChar: string; checks: MrzCheck[] }

function parseTd2or3(lines: string[], format: 'TD2' | 'TD3'): Partial {
  const [l1, l2] = lines as [string, string]
  const documentCode = l1.slice(0, 2)
  const numberField = l2.slice(0, 9)
  const optionalEnd = format === 'TD3' ? 42 : 35
  const checks: MrzCheck[] = [
    check('documentNumber', numberField, l2[9]!),
    check('birthDate', l2.slice(13, 19), l2[19]!),
    check('expiryDate', l2.slice(21, 27), l2[27]!),
  ]
  let optionalData = trimFiller(l2.slice(28, optionalEnd))
  let documentNumber = trimFiller(numberField)
  if (format === 'TD3') {
    // The personal number's check digit may be filler when the field is empty (Doc 9303-4, 4.2.2.1).
    const personal = l2.slice(28, 42)
    const found = l2[42]!
    if (!(found === '<' && /^<*$/.test(personal))) checks.push(check('personalNumber', personal, found))
  } else if (l2[9] === '<' && optionalData.length > 0) {
    // TD2 long document number: the rest continues in the optional data, then its check digit.
    const extended = longDocumentNumber(numberField, optionalData)
    documentNumber = extended.number
    optionalData = extended.rest
    checks[0] = check('documentNumber', extended.number, extended.digit)
  }
  const composite =
    l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, optionalEnd + (format === 'TD3' ? 1 : 0))
  checks.push(check('composite', composite, l2[format === 'TD3' ? 43 : 35]!))
  return {
    fields: {
      format,
      documentCode,
      documentType: documentTypeOf(documentCode),
      issuingState: trimFiller(l1.slice(2, 5)),
      documentNumber,
      nationality: trimFiller(l2.slice(10, 13)),
      birthDate: l2.slice(13, 19),
      expiryDate: l2.slice(21, 27),
      ...names(l1.slice(5)),
      optionalData,
    },
    sexChar: l2[20]!,
    checks,
  }
}

function parseTd1(lines: string[]): Partial {
  const [l1, l2, l3] = lines as [string, string, string]
  const documentCode = l1.slice(0, 2)
  const numberField = l1.slice(5, 14)
  let documentNumber = trimFiller(numberField)
  let optionalData = trimFiller(l1.slice(15, 30))
  const checks: MrzCheck[] = []
  if (l1[14] === '<' && optionalData.length > 0) {
    // Long document number (Doc 9303-5, 4.2.4): digits 10+ continue in the optional data.
    const extended = longDocumentNumber(numberField, optionalData)
    documentNumber = extended.number
    optionalData = extended.rest
    checks.push(check('documentNumber', extended.number, extended.digit))
  } else {
    checks.push(check('documentNumber', numberField, l1[14]!))
  }
  checks.push(check('birthDate', l2.slice(0, 6), l2[6]!), check('expiryDate', l2.slice(8, 14), l2[14]!))
  const composite = l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29)
  checks.push(check('composite', composite, l2[29]!))
  const extra = trimFiller(l2.slice(18, 29))
  return {
    fields: {
      format: 'TD1',
      documentCode,
      documentType: documentTypeOf(documentCode),
      issuingState: trimFiller(l1.slice(2, 5)),
      documentNumber,
      nationality: trimFiller(l2.slice(15, 18)),
      birthDate: l2.slice(0, 6),
      expiryDate: l2.slice(8, 14),
      ...names(l3),
      optionalData: [optionalData, extra].filter(Boolean).join(' '),
    },
    sexChar: l2[7]!,
    checks,
  }
}

/** The first 9 characters, then the optional data up to its first filler: the last of those is the check digit. */
function longDocumentNumber(
  first9: string,
  optional: string,
): { number: string; digit: string; rest: string } {
  const [head = ''] = optional.split('<')
  const rest = trimFiller(optional.slice(head.length).replace(/^<+/, ''))
  return { number: first9 + head.slice(0, -1), digit: head.slice(-1), rest }
}
