/**
 * @module Small helpers the CLI verbs share: JSON output, indented or one line (bigints as decimal
 * strings), and repeated `name=value` flags.
 */
import { type CliIo, UsageError } from './types.ts'

const bigintsAsStrings = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v)

/** Prints a value as indented JSON; bigint amounts become decimal strings. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, bigintsAsStrings, 2)}\n`)
}

/** Prints a value as one line of JSON (for `--json` output read by scripts). */
export function printJsonLine(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, bigintsAsStrings)}\n`)
}

/** Parses repeated `name=value` flags (`--rpc ethereum=http://…`) into a record. */
export function namedValues(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values ?? []) {
    const i = v.indexOf('=')
    if (i <= 0) throw new UsageError(`${flag} takes chain=value (got "${v}")`)
    out[v.slice(0, i)] = v.slice(i + 1)
  }
  return out
}
