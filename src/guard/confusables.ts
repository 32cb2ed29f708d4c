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
// Latin small capitals and hooked letters that stay ASCII-shaped in URL bars (from Unicode's
// confusables and the letters dnstwist's homoglyph class uses), and Cyrillic letters not above.
map('ʙɓƅь', 'b')
map('ƈᴄ', 'c')
map('ɗɖ', 'd')
map('ɇ', 'e')
map('ə', 'a')
map('ỿ', 'y')
map('ƒ', 'f')
map('ɢǥԍ', 'g')
map('ɦħⱨ', 'h')
map('ɨɩɪ', 'i')
map('ʝɉ', 'j')
map('ᴋⱪ', 'k')
map('ᴍɱ', 'm')
map('ꞑ', 'n')
map('ᴏ', 'o')
map('ƿƥ', 'p')
map('ʠ', 'q')
map('ʀɼɽɾɍ', 'r')
map('ʂꜱ', 's')
map('ƫ', 't')
map('ᴜʉ', 'u')
map('ⱱᶌⱴᴠ', 'v')
map('ᴡⱳ', 'w')
map('ʏƴɏ', 'y')
map('ʐƶⱬ', 'z')
map('ƽ', '5')
map('ƻ', '2')

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

// Letter groups and single letters that read alike in a URL bar (the ASCII part of dnstwist's
// homoglyph table and Unicode's confusables): `rn`, `nn`, `rr` for `m`, `vv` for `w`, `cl` for `d`,
// `lc`/`ik`/`lk` for `k`, `0` for `o`, `1`/`i` for `l`, `c` for `e`, `q` for `g`, `b`/`d`, `n`/`r`/`m`.
const FOLD_GROUPS = /rn|nn|rr|mn|nm|vv|cl|dl|lb|lh|lk|ik|lc/g
const FOLD_GROUP_TO: Record<string, string> = {
  rn: 'm',
  nn: 'm',
  rr: 'm',
  mn: 'm',
  nm: 'm',
  vv: 'w',
  cl: 'd',
  dl: 'd',
  lb: 'b',
  lh: 'h',
  lk: 'k',
  ik: 'k',
  lc: 'k',
}
const FOLD_FIRST: Record<string, string> = { '0': 'o', '1': 'l', i: 'l' }
const FOLD_ONE: Record<string, string> = { c: 'e', q: 'g', d: 'b', n: 'm', r: 'm', '3': '8', '6': '9' }

/**
 * Folds an ASCII skeleton so that strings which read alike fold to the same string: `rnetamask`,
 * `mctamaslc` and `metarnask` all fold like `metamask`. Lossy by design; compare only folds with
 * folds, and only against names long or specific enough not to collide with ordinary words.
 * @example visualFold('rnetamask') === visualFold('metamask') // true
 */
export function visualFold(ascii: string): string {
  const groups = (s: string) => s.replace(FOLD_GROUPS, (g) => FOLD_GROUP_TO[g] ?? g)
  const singles = (s: string, table: Record<string, string>) => {
    let out = ''
    for (const ch of s) out += table[ch] ?? ch
    return out
  }
  // `1`/`i` read as `l` before the groups (`1c`, `ic` read as `lc`, so as `k`); `c` reads as `e`
  // only after them, or `cl` could no longer read as `d`.
  return groups(singles(groups(singles(ascii, FOLD_FIRST)), FOLD_ONE))
}
