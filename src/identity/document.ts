/**
 * @module The rules a document's MRZ must pass beyond its check digits: dates (expired, holder
 * under age, impossible or implausible), issuing state and nationality codes, document type, and
 * agreement with the visual-zone fields the customer typed. Each rule yields a reason with the
 * decision it calls for: `reject` (the document cannot be accepted) or `review` (a person decides).
 */
import { type MrzCheck, type MrzFields, parseMrz } from './mrz.ts'
import { icaoState } from './states.ts'

export type ReasonCode =
  | 'MRZ_FORMAT'
  | 'MRZ_CHECK_DIGIT'
  | 'DOCUMENT_TYPE_UNSUPPORTED'
  | 'DOCUMENT_SPECIMEN'
  | 'DOCUMENT_EXPIRED'
  | 'DATE_INVALID'
  | 'DATE_IMPLAUSIBLE'
  | 'HOLDER_UNDER_AGE'
  | 'COUNTRY_UNKNOWN'
  | 'COUNTRY_NOT_A_STATE'
  | 'VISUAL_MISMATCH'
  | 'MRZ_PHOTO_MISMATCH'
  | 'DUPLICATE_DOCUMENT'
  | 'FACE_NOT_VERIFIED'
  | 'SELFIE_FACE_NOT_FOUND'
  | 'SELFIE_SEVERAL_FACES'
  | 'DOCUMENT_FACE_NOT_FOUND'
  | 'DOCUMENT_SEVERAL_FACES'
  | 'FACE_MISMATCH'
  | 'FACE_SPOOF_SUSPECTED'
  | 'FACE_LIVENESS_LOW'
  | 'FACE_LIVENESS_MISSING'
  | 'FACE_LIVENESS_FAILED'
  | 'FACE_LIVENESS_STILL'
  | 'FACE_LIVENESS_REPEATED_FRAMES'
  | 'FACE_LIVENESS_OTHER_FACE'
  | 'FACE_LIVENESS_TIMING'
  | 'FACE_LIVENESS_VIRTUAL_CAMERA'
  | 'DUPLICATE_FACE'
  | 'REVIEWER_DECISION'

export type Reason = { code: ReasonCode; detail: string }
export type WeighedReason = Reason & { severity: 'reject' | 'review' }

/** Fields the customer reads off the document's visual zone (all optional; each given one is compared). */
export type VisualFields = {
  documentNumber?: string
  surname?: string
  givenNames?: string
  /** ISO date YYYY-MM-DD. */
  birthDate?: string
  expiryDate?: string
}

export type DocumentRulesOptions = {
  today: Date
  /** The youngest a customer may be, in whole years. */
  minimumAge: number
  visual?: VisualFields
}

export type DocumentCheck = {
  fields: MrzFields | null
  /** Every check digit verified (empty when the MRZ could not be parsed). */
  checks: MrzCheck[]
  /** ISO dates, when they could be read. */
  birthDate: string | null
  expiryDate: string | null
  /** ISO 3166-1 alpha-2 of the issuing state, when it is a country. */
  country: string | null
  reasons: WeighedReason[]
}

/** No travel document is issued for longer than this (most: 10 years). */
const MAX_VALIDITY_YEARS = 15

/**
 * Parses `mrzText` and applies every rule.
 *
 * @example checkDocument(mrz, { today: new Date(), minimumAge: 18, visual: { surname: 'Eriksson' } })
 */
export function checkDocument(mrzText: string, options: DocumentRulesOptions): DocumentCheck {
  const parsed = parseMrz(mrzText)
  if (!parsed.ok) {
    return {
      fields: null,
      checks: [],
      birthDate: null,
      expiryDate: null,
      country: null,
      reasons: parsed.reasons.map((r) => ({ ...r, severity: 'reject' })),
    }
  }
  const { fields } = parsed
  const reasons: WeighedReason[] = parsed.reasons.map((r) => ({ ...r, severity: 'reject' }))
  const reject = (code: ReasonCode, detail: string) => reasons.push({ code, detail, severity: 'reject' })
  const review = (code: ReasonCode, detail: string) => reasons.push({ code, detail, severity: 'review' })

  if (fields.documentType === 'visa' || fields.documentType === 'other') {
    reject(
      'DOCUMENT_TYPE_UNSUPPORTED',
      `Document code ${JSON.stringify(fields.documentCode)} is not a passport or identity card.`,
    )
  }

  let country: string | null = null
  for (const [label, code] of [
    ['issuing state', fields.issuingState],
    ['nationality', fields.nationality],
  ] as const) {
    const state = icaoState(code)
    if (state.kind === 'unknown')
      reject('COUNTRY_UNKNOWN', `The ${label} ${JSON.stringify(code)} is not an ICAO 9303 code.`)
    else if (state.kind === 'specimen')
      reject('DOCUMENT_SPECIMEN', `The ${label} is ${code}, the specification's specimen state.`)
    else if (state.kind === 'organisation')
      review('COUNTRY_NOT_A_STATE', `The ${label} ${code} is ${state.name}, not a country.`)
    else if (label === 'issuing state') country = state.country
  }

  const todayYear = options.today.getUTCFullYear()
  const birth = mrzDate(fields.birthDate, 'birth', todayYear)
  const expiry = mrzDate(fields.expiryDate, 'expiry', todayYear)
  if (!birth)
    reject('DATE_INVALID', `The date of birth ${JSON.stringify(fields.birthDate)} is not a calendar date.`)
  if (!expiry)
    reject('DATE_INVALID', `The expiry date ${JSON.stringify(fields.expiryDate)} is not a calendar date.`)
  const today = isoDay(options.today)
  if (birth) {
    const age = yearsBetween(birth, today)
    // Two-digit years put every birth date within the last 100 years, never in the future.
    if (age < options.minimumAge) {
      reject('HOLDER_UNDER_AGE', `The holder is ${age}; customers must be at least ${options.minimumAge}.`)
    }
  }
  if (expiry) {
    if (expiry < today) reject('DOCUMENT_EXPIRED', `The document expired on ${expiry}.`)
    else if (yearsBetween(today, expiry) >= MAX_VALIDITY_YEARS) {
      review('DATE_IMPLAUSIBLE', `The expiry date ${expiry} is ${MAX_VALIDITY_YEARS} or more years away.`)
    }
  }
  if (birth && expiry && expiry <= birth) {
    reject('DATE_IMPLAUSIBLE', `The document expires (${expiry}) before its holder was born (${birth}).`)
  }

  for (const mismatch of visualMismatches(fields, birth, expiry, options.visual ?? {})) {
    review('VISUAL_MISMATCH', mismatch)
  }
  return { fields, checks: parsed.checks, birthDate: birth, expiryDate: expiry, country, reasons }
}

/**
 * An MRZ YYMMDD as an ISO date. Birth dates take the century that puts them in the past (so a
 * holder is at most 100); expiry dates fall within 50 years before today or later.
 */
export function mrzDate(value: string, kind: 'birth' | 'expiry', todayYear: number): string | null {
  if (!/^\d{6}$/.test(value)) return null
  const yy = Number(value.slice(0, 2))
  const month = Number(value.slice(2, 4))
  const day = Number(value.slice(4, 6))
  const century = Math.floor(todayYear / 100) * 100
  let year = century + yy
  if (kind === 'birth' && year > todayYear) year -= 100
  if (kind === 'expiry' && year < todayYear - 50) year += 100
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null
  return date.toISOString().slice(0, 10)
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** Whole years from ISO date `from` to ISO date `to` (birthday arithmetic). */
function yearsBetween(from: string, to: string): number {
  const years = Number(to.slice(0, 4)) - Number(from.slice(0, 4))
  return to.slice(5) < from.slice(5) ? years - 1 : years
}

/**
 * A name as an MRZ writes it: Latin letters without diacritics, upper case, other characters as
 * spaces (Doc 9303-3 section 6 transliterates more, e.g. Ä as AE; either form is accepted).
 */
export function mrzName(name: string): string[] {
  const plain = name.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase()
  const german = name
    .toUpperCase()
    .replace(/Ä/g, 'AE')
    .replace(/Ö/g, 'OE')
    .replace(/Ü/g, 'UE')
    .replace(/ß/g, 'SS')
  return [...new Set([plain, german.normalize('NFD').replace(/\p{M}/gu, '')])].map((n) =>
    n
      .replace(/[^A-Z]+/g, ' ')
      .trim()
      .replace(/\s+/g, ' '),
  )
}

function visualMismatches(
  fields: MrzFields,
  birth: string | null,
  expiry: string | null,
  visual: VisualFields,
): string[] {
  const out: string[] = []
  const mrzLineFull =
    fields.format === 'TD1'
      ? fields.lines[2]!.endsWith('<') === false
      : fields.lines[0]!.endsWith('<') === false
  const nameMatches = (typed: string, mrz: string) =>
    mrzName(typed).some((candidate) => candidate === mrz || (mrzLineFull && candidate.startsWith(mrz)))
  if (visual.documentNumber !== undefined) {
    const typed = visual.documentNumber.toUpperCase().replace(/[^A-Z0-9]/g, '')
    if (typed !== fields.documentNumber) {
      out.push(
        `The document number typed (${typed}) differs from the machine-readable zone (${fields.documentNumber}).`,
      )
    }
  }
  if (visual.surname !== undefined && !nameMatches(visual.surname, fields.surname)) {
    out.push(`The surname typed differs from the machine-readable zone (${fields.surname}).`)
  }
  if (visual.givenNames !== undefined && !nameMatches(visual.givenNames, fields.givenNames)) {
    out.push(`The given names typed differ from the machine-readable zone (${fields.givenNames}).`)
  }
  if (visual.birthDate !== undefined && visual.birthDate !== birth) {
    out.push(
      `The date of birth typed (${visual.birthDate}) differs from the machine-readable zone (${birth ?? fields.birthDate}).`,
    )
  }
  if (visual.expiryDate !== undefined && visual.expiryDate !== expiry) {
    out.push(
      `The expiry date typed (${visual.expiryDate}) differs from the machine-readable zone (${expiry ?? fields.expiryDate}).`,
    )
  }
  return out
}
