/**
 * @module Unicode confusable skeletons. Scammers write "USDТ" with a Cyrillic Т, "uniswаp" with a
 * Cyrillic а, or hide invisible characters inside a symbol ("B᠎N᠎B"). `skeleton` maps a string to the
 * plain lowercase ASCII it imitates, so comparisons happen on what the user *sees*. The table covers
 * the Cyrillic, Greek and Latin-extended letters that render like ASCII in common wallet and browser
 * fonts (a hand-picked subset of Unicode's confusables.txt); anything else is decomposed with NFKD and
 * stripped of combining marks (é → e, ｕ → u).
 */

// Pairs of "confusable characters" → the ASCII letter they imitate.
const TABLE: Record<string, string> = {}
function map(chars: string, to: string): void {
  for (const c of chars) TABLE[c] = to
}
map('аɑαа𝐚', 'a')
map('Ьвβъ', 'b')
map('сϲⅽ', 'c')
map('ԁⅾđ', 'd')
map('еєѐёεҽ', 'e')
map('ɡ', 'g')
map('һнηђ', 'h')
map('іїιı¡ӏ', 'i')
map('јϳ', 'j')
map('кκ', 'k')
map('ⅼłɫ', 'l')
map('мⅿ', 'm')
map('пη', 'n')
map('оοσօ๏ø', 'o')
map('рρ', 'p')
map('ԛ', 'q')
map('гᴦ', 'r')
map('ѕ', 's')
map('тτŧ', 't')
map('υս', 'u')
map('νѵ', 'v')
map('ԝѡω', 'w')
map('хχ', 'x')
map('уүγ', 'y')
map('ᴢ', 'z')
map('АΑ', 'a')
map('ВΒ', 'b')
map('СϹ', 'c')
map('ЕΕЁ', 'e')
map('НΗ', 'h')
map('ІΙӀ', 'i')
map('Ј', 'j')
map('КΚ', 'k')
map('МΜ', 'm')
map('ΝИ', 'n')
map('ОΟ', 'o')
map('РΡ', 'p')
map('Ѕ', 's')
map('ТΤŦ', 't')
map('ХΧ', 'x')
map('УΥҮ', 'y')
map('ΖZ', 'z')
map('Ø', 'o')
map('ß', 'ss')

// Characters that render as nothing (or almost nothing) and are used to make two strings differ
// while looking identical: soft hyphen, zero-width (non-)joiners/spaces, Mongolian vowel separator,
// word joiner, BOM, variation selectors.
// Built from code-point ranges: a literal class mixing a combining mark (U+034F) with other code
// points trips the misleading-character-class lint, but here each code point is listed on purpose.
const INVISIBLE_RANGES: [number, number][] = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
]
const INVISIBLE = new RegExp(
  `[${INVISIBLE_RANGES.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('')}]`,
  'gu',
)

// Printable ASCII has no confusables to map and no invisibles to strip.
const ASCII_ONLY = /^[\x20-\x7e]*$/

/** Removes invisible and bidi-control characters. */
export function stripInvisible(value: string): string {
  return value.replace(INVISIBLE, '')
}

/** True when the string contains invisible or bidi-control characters. */
export function hasInvisible(value: string): boolean {
  INVISIBLE.lastIndex = 0
  const found = INVISIBLE.test(value)
  INVISIBLE.lastIndex = 0
  return found
}

/**
 * Lowercase ASCII skeleton of what a string looks like. Characters with no ASCII lookalike are kept
 * (lowercased), so two different scripts never collapse unless they really look alike.
 */
export function skeleton(value: string): string {
  if (ASCII_ONLY.test(value)) return value.toLowerCase()
  let out = ''
  for (const ch of stripInvisible(value)) {
    const mapped = TABLE[ch]
    if (mapped !== undefined) {
      out += mapped
      continue
    }
    if (ch.charCodeAt(0) < 0x80) {
      out += ch.toLowerCase()
      continue
    }
    const base = ch.normalize('NFKD').replace(/\p{M}/gu, '')
    const again = base.length === 1 ? TABLE[base] : undefined
    out += (again ?? base).toLowerCase()
  }
  return out
}

/** True when the string has at least one non-ASCII character (after removing invisibles). */
export function isNonAscii(value: string): boolean {
  return /[^\u0000-\u007f]/u.test(value)
}
