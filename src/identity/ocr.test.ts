import { describe, expect, it } from 'vitest'
import { imageSize } from './image-size.ts'
import { composeMrz } from './mrz-compose.ts'
import { cleanNames, correctByPosition, findMrz, repairDocumentNumber } from './ocr.ts'

const TD3 = composeMrz({
  format: 'TD3',
  issuingState: 'NLD',
  documentNumber: 'FM3GUABKX',
  nationality: 'NLD',
  birthDate: '760813',
  sex: 'M',
  expiryDate: '280404',
  surname: 'Dupont',
  givenNames: 'Zofia',
}).split('\n')

const line = (text: string) => ({ text, confidences: [...text].map(() => 0.9) })

describe('reading the MRZ out of OCR text', () => {
  it('takes the last run of lines with an MRZ shape, ignoring the visual zone above', () => {
    const found = findMrz([line('PASSPORT'), line('DUPONT'), line(TD3[0]!), line(TD3[1]!)])
    expect(found?.format).toBe('TD3')
    expect(found?.lines.map((l) => l.text)).toEqual(TD3)
  })

  it('accepts a line one character short or long and brings it to length', () => {
    const found = findMrz([line(TD3[0]!.slice(0, 43)), line(`${TD3[1]}<`)])
    expect(found?.lines.map((l) => l.text.length)).toEqual([44, 44])
  })

  it('finds nothing in text without an MRZ', () => {
    expect(findMrz([line('PASSPORT'), line('DUPONT')])).toBeNull()
  })

  it('turns letters into digits where only digits may stand, and digits into letters in names', () => {
    const misread = [TD3[0]!.replace('DUPONT', 'DUP0NT'), TD3[1]!.replace('760813', '76O8I3')]
    expect(correctByPosition(misread, 'TD3')).toEqual(TD3)
  })

  it('clears noise read inside the filler after the names', () => {
    const noisy = `${TD3[0]!.slice(0, 40)}K${TD3[0]!.slice(41)}`
    expect(cleanNames(noisy, 5, 44)).toBe(TD3[0])
  })

  it('repairs the least-confident character of the document number when exactly one confusable substitution fits the check digits', () => {
    const misread = [TD3[0]!, TD3[1]!.replace('FM3GUABKX', 'FM3GUA8KX')]
    const confidences = [Array(44).fill(0.9), Array(44).fill(0.9)]
    confidences[1]![6] = 0.4
    expect(repairDocumentNumber(misread, 'TD3', confidences)).toEqual(TD3)
  })

  it('leaves the number as read when the least-confident character is not the misread one', () => {
    const misread = [TD3[0]!, TD3[1]!.replace('FM3GUABKX', 'FM3GUA8KX')]
    const confidences = [Array(44).fill(0.9), Array(44).fill(0.9)]
    confidences[1]![2] = 0.4
    expect(repairDocumentNumber(misread, 'TD3', confidences)).toEqual(misread)
  })

  it('reads image sizes from PNG and JPEG headers', () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    )
    expect(imageSize(png)).toEqual({ width: 1, height: 1 })
    // SOI, an APP0 segment of 16 bytes, then SOF0 with height 700 and width 1000.
    const jpeg = Buffer.from([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0x00,
      0x10,
      ...Array(14).fill(0),
      0xff,
      0xc0,
      0x00,
      0x11,
      0x08,
      0x02,
      0xbc,
      0x03,
      0xe8,
      0x03,
    ])
    expect(imageSize(jpeg)).toEqual({ width: 1000, height: 700 })
    expect(imageSize(Buffer.from('GIF89a'))).toBeNull()
  })
})
