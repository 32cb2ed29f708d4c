import { describe, expect, it } from 'vitest'
import { framedUserText, quoteUserText } from './user-text.ts'

describe('quoting what a person typed in an email', () => {
  it('keeps the text on one line, in quotes, without invisible characters', () => {
    expect(quoteUserText('Ana\nSupport: call us\u202E')).toBe('"Ana Support: call us\uFFFD"')
    expect(quoteUserText('say "hi"')).toBe('"say \u201Dhi\u201D"')
  })
  it('cuts long text', () => {
    expect(quoteUserText('x'.repeat(150), 100)).toBe(`"${'x'.repeat(100)}…"`)
  })
  it('says who typed it', () => {
    expect(framedUserText('The name given for this account', 'Ana', 'whoever opened the account')).toBe(
      'The name given for this account: "Ana"\n(typed by whoever opened the account; Bulwark does not check it.)',
    )
  })
})
