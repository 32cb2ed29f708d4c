/**
 * @module Writes an MRZ from fields, with correct check digits: the evaluation renders these onto
 * synthetic documents, and tests build valid documents of any country or date from them.
 */
import { checkDigit } from './mrz.ts'

export type ComposeFields = {
  format: 'TD1' | 'TD3'
  documentCode?: string
  issuingState: string
  documentNumber: string
  nationality: string
  /** YYMMDD */
  birthDate: string
  sex: 'M' | 'F' | '<'
  /** YYMMDD */
  expiryDate: string
  surname: string
  givenNames: string
  optionalData?: string
}

function pad(value: string, length: number): string {
  if (value.length > length) return value.slice(0, length)
  return value + '<'.repeat(length - value.length)
}

function nameField(surname: string, givenNames: string, length: number): string {
  const part = (s: string) =>
    s
      .toUpperCase()
      .replace(/[^A-Z]+/g, '<')
      .replace(/^<|<$/g, '')
  return pad(`${part(surname)}<<${part(givenNames)}`, length)
}

/**
 * The MRZ lines (joined by newlines) for `fields`.
 *
 * @example composeMrz({ format: 'TD3', issuingState: 'FRA', documentNumber: '12AB34567', … })
 */
export function composeMrz(f: ComposeFields): string {
  const state = pad(f.issuingState, 3)
  const nationality = pad(f.nationality, 3)
  if (f.format === 'TD3') {
    const number = pad(f.documentNumber, 9)
    const personal = pad(f.optionalData ?? '', 14)
    const personalDigit = /^<*$/.test(personal) ? '<' : checkDigit(personal)
    const l1 = pad(f.documentCode ?? 'P<', 2) + state + nameField(f.surname, f.givenNames, 39)
    const body =
      number +
      checkDigit(number) +
      nationality +
      f.birthDate +
      checkDigit(f.birthDate) +
      f.sex +
      f.expiryDate +
      checkDigit(f.expiryDate) +
      personal +
      personalDigit
    const composite = body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43)
    return `${l1}\n${body}${checkDigit(composite)}`
  }
  const number = pad(f.documentNumber, 9)
  const l1 =
    pad(f.documentCode ?? 'I<', 2) + state + number + checkDigit(number) + pad(f.optionalData ?? '', 15)
  const l2start =
    f.birthDate + checkDigit(f.birthDate) + f.sex + f.expiryDate + checkDigit(f.expiryDate) + nationality
  const l2body = pad(l2start, 29)
  const composite = l1.slice(5, 30) + l2body.slice(0, 7) + l2body.slice(8, 15) + l2body.slice(18, 29)
  return `${l1}\n${l2body}${checkDigit(composite)}\n${nameField(f.surname, f.givenNames, 30)}`
}
