/**
 * @module Quoting text a person typed (a display name, an API key or passkey label) inside our own
 * emails. Such text is never run into our sentences: it stands in quotes, on its own line, cut to a
 * length, without line breaks or invisible characters, and with a note that a person typed it, so a
 * name like "Support: call +1 555 0100" cannot pass for a message from Bulwark.
 */

const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu

/**
 * The text in double quotes, made safe to show: unsafe characters become U+FFFD, quotes inside are
 * turned into typographic ones, and anything past `max` characters becomes "…".
 * @example quoteUserText('Ana "the boss"\nLópez') // '"Ana ”the boss” López"'
 */
export function quoteUserText(text: string, max = 100): string {
  const clean = text
    .replace(/[\r\n\u2028\u2029]+/gu, ' ')
    .replace(UNSAFE, '\uFFFD')
    .replaceAll('"', '\u201D')
  const chars = [...clean]
  return `"${chars.length > max ? `${chars.slice(0, max).join('')}…` : clean}"`
}

/**
 * A labelled line quoting what a person typed, and who typed it.
 * @example framedUserText('The name given for this account', 'Ana', 'whoever opened the account')
 */
export function framedUserText(label: string, text: string, typedBy: string): string {
  return `${label}: ${quoteUserText(text)}\n(typed by ${typedBy}; Bulwark does not check it.)`
}
