/**
 * @module The typo model: which near misses of a brand name are mistakes a typist makes or tricks a
 * phisher plays, as opposed to a different word that merely happens to be close. Edit distance alone
 * cannot tell `metamsk` (a letter left out) from `buffer` (a real word one letter from "puffer"): both
 * are one edit away. Typosquatting research and tools such as dnstwist generate squats from a fixed
 * set of operations; a candidate that none of them explains is far more likely to be its own name.
 *
 * The operations: a letter left out, a letter doubled, an extra letter anywhere, two neighbouring
 * letters swapped, a letter replaced by a key next to it on a QWERTY keyboard, a vowel replaced by
 * another vowel, and characters that look alike in a URL bar (`0`/`o`, `1`/`l`, `rn`/`m`, mirrored
 * `b`/`d`). Omissions and insertions keep the name's letters in order, so the name still reads
 * through; a replaced letter changes the word (`buffer` is not "puffer"), so replacements count
 * only when the keyboard, the vowels or the glyph shapes explain them. Brand names of nine letters or more allow two such
 * operations. Pure and isomorphic.
 */

export type TypoOperation =
  | 'omission'
  | 'repetition'
  | 'insertion'
  | 'addition'
  | 'transposition'
  | 'adjacent_key'
  | 'vowel_swap'
  | 'look_alike'

/** How each operation reads in a verdict ("metamsk" is MetaMask with a letter left out). */
export const TYPO_WORDS: Record<TypoOperation, string> = {
  omission: 'a letter left out',
  repetition: 'a letter doubled',
  insertion: 'an extra letter',
  addition: 'an extra character at the end',
  transposition: 'two letters swapped',
  adjacent_key: 'a letter replaced by the key next to it',
  vowel_swap: 'a vowel changed',
  look_alike: 'characters that look alike',
}

/**
 * Operations that disguise a name to the eye (`rn` for `m`, `0` for `o`) rather than slip from a
 * finger: a sign of intent of its own, counted as a second signal next to the brand.
 */
export const VISUAL_TYPOS: ReadonlySet<TypoOperation> = new Set(['look_alike'])

const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm']
// Each row sits about half a key to the right of the one above, so key i of a row touches keys i-1
// and i of the row below (`w` touches `a` and `s`).
const NEIGHBOURS = ((): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>()
  const add = (a: string | undefined, b: string | undefined): void => {
    if (a === undefined || b === undefined) return
    if (!out.has(a)) out.set(a, new Set())
    if (!out.has(b)) out.set(b, new Set())
    out.get(a)?.add(b)
    out.get(b)?.add(a)
  }
  KEYBOARD_ROWS.forEach((row, r) => {
    const below = KEYBOARD_ROWS[r + 1]
    for (let i = 0; i < row.length; i++) {
      add(row[i], row[i + 1])
      if (below !== undefined) {
        add(row[i], below[i])
        add(row[i], below[i - 1])
      }
    }
  })
  return out
})()

const VOWELS = new Set('aeiouy')
const LOOK_ALIKE_CHARS = [
  ['o', '0'],
  ['l', '1'],
  ['i', '1'],
  ['i', 'l'],
  ['s', '5'],
  ['e', '3'],
  ['a', '4'],
  ['b', '8'],
  ['g', '9'],
  ['g', 'q'],
  ['t', '7'],
  ['z', '2'],
  ['u', 'v'],
  ['b', 'd'],
  ['p', 'q'],
  ['n', 'r'],
  ['c', 'o'],
]
const LOOK_ALIKE = new Set(LOOK_ALIKE_CHARS.flatMap(([a, b]) => [`${a}${b}`, `${b}${a}`]))
/** Character groups that render like one letter: `rn` reads as `m` in most URL bars. */
const LOOK_ALIKE_GROUPS: [string, string][] = [
  ['rn', 'm'],
  ['vv', 'w'],
  ['cl', 'd'],
  ['ii', 'u'],
]

const isNeighbourKey = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && (NEIGHBOURS.get(a)?.has(b) ?? false)

/**
 * The single typo operation that turns `target` into `candidate`, or undefined when no operation of
 * the model does (including when they are equal or further apart).
 */
export function singleTypo(candidate: string, target: string): TypoOperation | undefined {
  const c = candidate
  const t = target
  if (c === t) return undefined
  if (c.length === t.length - 1) {
    if (sameAfterSkip(t, c)) return 'omission'
  } else if (c.length === t.length + 1) {
    const i = firstDifference(c, t)
    if (sameFrom(c, i + 1, t, i)) {
      const extra = c[i]
      if (extra === t[i - 1] || extra === t[i]) return 'repetition'
      if (i === t.length) return 'addition'
      // Any extra character keeps every letter of the name in order, so the name still reads
      // through (`coinlbase`, `etherafi`); a replaced letter does not, hence the stricter rule below.
      return 'insertion'
    }
  } else if (c.length === t.length) {
    const diff: number[] = []
    for (let i = 0; i < c.length && diff.length <= 2; i++) if (c[i] !== t[i]) diff.push(i)
    if (diff.length === 1) {
      const i = diff[0] as number
      const a = c[i] as string
      const b = t[i] as string
      if (LOOK_ALIKE.has(a + b)) return 'look_alike'
      if (VOWELS.has(a) && VOWELS.has(b)) return 'vowel_swap'
      if (isNeighbourKey(a, b)) return 'adjacent_key'
    }
    if (diff.length === 2) {
      const [i, j] = diff as [number, number]
      if (j === i + 1 && c[i] === t[j] && c[j] === t[i]) return 'transposition'
    }
  }
  for (const [group, letter] of LOOK_ALIKE_GROUPS) {
    if (replacesOnce(c, t, group, letter) || replacesOnce(c, t, letter, group)) return 'look_alike'
  }
  return undefined
}

/** Index of the first position where `a` and `b` differ (the shorter length when one is a prefix). */
function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}

/** True when `a` from index `i` equals `b` from index `j` to their ends (no substring copies). */
function sameFrom(a: string, i: number, b: string, j: number): boolean {
  if (a.length - i !== b.length - j) return false
  for (; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false
  return true
}

/** True when `short` is `long` with one character removed. */
function sameAfterSkip(long: string, short: string): boolean {
  const i = firstDifference(long, short)
  return sameFrom(long, i + 1, short, i)
}

/** True when `c` is `t` with one occurrence of `from` written as `to`. */
function replacesOnce(c: string, t: string, from: string, to: string): boolean {
  if (c.length !== t.length - from.length + to.length) return false
  for (let i = t.indexOf(from); i !== -1; i = t.indexOf(from, i + 1)) {
    if (t.slice(0, i) + to + t.slice(i + from.length) === c) return true
  }
  return false
}

/** Every string one model operation away from `target` that keeps to `[a-z0-9]`. */
function singleTypoVariants(target: string): Set<string> {
  const out = new Set<string>()
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  for (let i = 0; i < target.length; i++) out.add(target.slice(0, i) + target.slice(i + 1))
  for (let i = 0; i <= target.length; i++)
    for (const ch of alphabet) {
      const v = target.slice(0, i) + ch + target.slice(i)
      if (singleTypo(v, target)) out.add(v)
    }
  for (let i = 0; i < target.length; i++)
    for (const ch of alphabet) {
      const v = target.slice(0, i) + ch + target.slice(i + 1)
      if (v !== target && singleTypo(v, target)) out.add(v)
    }
  for (let i = 0; i + 1 < target.length; i++)
    out.add(target.slice(0, i) + target[i + 1] + target[i] + target.slice(i + 2))
  for (const [group, letter] of LOOK_ALIKE_GROUPS) {
    for (const [from, to] of [
      [group, letter],
      [letter, group],
    ] as const)
      for (let i = target.indexOf(from); i !== -1; i = target.indexOf(from, i + 1))
        out.add(target.slice(0, i) + to + target.slice(i + from.length))
  }
  out.delete(target)
  return out
}

// Targets are brand names, a few hundred at most, and a domain check may meet the same one often.
const variantCache = new Map<string, Set<string>>()
const VARIANT_CACHE_LIMIT = 2_000

function variantsOf(target: string): Set<string> {
  let variants = variantCache.get(target)
  if (!variants) {
    variants = singleTypoVariants(target)
    if (variantCache.size >= VARIANT_CACHE_LIMIT) variantCache.clear()
    variantCache.set(target, variants)
  }
  return variants
}

/**
 * The typo operations (one, or two for targets of nine characters or more) that turn `target` into
 * `candidate`, or undefined when the model cannot explain the difference.
 */
export function typoPath(candidate: string, target: string): TypoOperation[] | undefined {
  const one = singleTypo(candidate, target)
  if (one) return [one]
  if (target.length < 9 || Math.abs(candidate.length - target.length) > 2) return undefined
  for (const step of variantsOf(target)) {
    const second = singleTypo(candidate, step)
    const first = singleTypo(step, target)
    // A letter left out plus a letter added anywhere is a replaced (or moved) letter, which the
    // replacement rule must explain on its own terms; as a pair it would excuse any substitution.
    const replaced = new Set([first, second]).has('omission') && new Set([first, second]).has('insertion')
    if (second && first && !replaced) return [first, second]
  }
  return undefined
}
