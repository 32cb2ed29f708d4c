import { describe, expect, it } from 'vitest'
import { assertDisplayName, displayNameFromEmail, displayNameProblem } from './display-name.ts'

describe('display names', () => {
  it.each([
    'Ana López',
    'J. R. R. Tolkien',
    "Mary-Ann O'Neil",
    '李小龙',
    'محمد',
    'Dr. Who',
    'ana.lopez',
    'St. John',
  ])('accepts %j', (name) => expect(displayNameProblem(name)).toBeNull())

  it.each([
    ['Ana\nLópez', 'line_break'],
    ['Ana\u2028López', 'line_break'],
    ['Ana\u202ELópez', 'invisible'],
    ['Ana\u200BLópez', 'invisible'],
    ['Ana\u00A0López', 'invisible'],
    ['\u3164', 'invisible'],
    ['Claim at http now', 'url'],
    ['see www.example', 'url'],
    ['hxxp ://x', 'url'],
    ['Win at evil.com', 'url'],
    ['evil\u3002com', 'url'],
    ['alice@evil.io', 'url'],
    ['paypal-secure.app', 'url'],
    ['x'.repeat(101), 'too_long'],
    ['', 'empty'],
  ])('refuses %j (%s)', (name, problem) => expect(displayNameProblem(name)).toBe(problem))

  it('throws INVALID_DISPLAY_NAME with the problem, and trims a good name', () => {
    expect(() => assertDisplayName('Visit bit.ly')).toThrow(
      expect.objectContaining({
        code: 'INVALID_DISPLAY_NAME',
        details: { field: 'displayName', problem: 'url' },
      }),
    )
    expect(assertDisplayName('  Ana  ')).toBe('Ana')
  })

  it('makes a valid name from an email', () => {
    expect(displayNameFromEmail('first.admin+ops@example.org')).toBe('first admin')
    expect(displayNameFromEmail('http.ops@example.org')).toBe('Staff member')
  })
})
