import { describe, expect, it } from 'vitest'
import { controlCharacterIn, text } from './input-hygiene.ts'

describe('text()', () => {
  it('accepts plain text and refuses control characters and line breaks in a single-line field', () => {
    const name = text({ max: 20 })
    expect(name.parse('Ada Lovelace')).toBe('Ada Lovelace')
    for (const bad of ['a\u0000', 'a\nb', 'a\tb', 'a\u007f', 'a\u0085', 'a\u2028', 'x'.repeat(21)]) {
      expect(name.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it('accepts tab, LF and CR in a multi-line field, nothing else', () => {
    const note = text({ max: 100, multiline: true })
    expect(note.parse('line one\r\nline two\tend')).toBe('line one\r\nline two\tend')
    expect(note.safeParse('line\u0000').success).toBe(false)
    expect(note.safeParse('line\u000b').success).toBe(false)
  })

  it('names the first forbidden character as a code point', () => {
    expect(controlCharacterIn('ok\u001fno')).toBe('U+001F')
    expect(controlCharacterIn('ok\nfine', { multiline: true })).toBeNull()
  })
})
