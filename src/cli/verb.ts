/**
 * @module What every verb needs around its own work: its flags parsed into typed values (a bad
 * flag is a usage error, exit 2, see main.ts), required and numeric flags checked with a message
 * naming the flag, and the configured database opened and closed around the work.
 */
import { type ParseArgsOptionDescriptor, type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { type CliIo, type CliVerb, type FlagHelp, UsageError } from './types.ts'

/** The flags of a verb as `parseArgs` reads them, and its positional arguments. */
export type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>

/** A flag's parser settings plus what `--help` says about it. */
export type VerbOption = ParseArgsOptionDescriptor & {
  /** What the flag means (shown by `--help`); common flags such as `--json` have a shared one. */
  description?: string
  /** The placeholder shown after the flag, e.g. `FILE`; defaults to `VALUE`. */
  valueName?: string
}

export type VerbDefinition<O extends ParseArgsOptionsConfig> = {
  summary: string
  usage: string
  /** A few sentences beyond the summary, for `--help`. */
  description?: string
  /** Whole command lines starting with `bulwark`, for `--help`. */
  examples?: string[]
  /** Exit codes beyond the usual ones, for `--help`. */
  exitCodes?: string
  options: O & Record<string, VerbOption>
  /** Whether the verb takes positional arguments (`DIR`, `FILE…`); without, one is a usage error. */
  positionals?: boolean
  run(parsed: ParsedArgs<O>, io: CliIo): Promise<number>
}

/**
 * A verb whose flags are parsed before `run` sees them.
 * @example defineVerb({ summary: 'Show a lock', usage: '--email E', options: { email: { type: 'string' } },
 *   async run({ values }, io) { … } })
 */
export function defineVerb<const O extends ParseArgsOptionsConfig>(def: VerbDefinition<O>): CliVerb {
  const options = def.options as Record<string, VerbOption>
  // parseArgs gets only its own settings; the help text stays here.
  const parserOptions = Object.fromEntries(
    Object.entries(options).map(([name, { description: _d, valueName: _v, ...parser }]) => [name, parser]),
  )
  return {
    summary: def.summary,
    usage: def.usage,
    help: {
      ...(def.description ? { description: def.description } : {}),
      ...(def.exitCodes ? { exitCodes: def.exitCodes } : {}),
      flags: Object.entries(options).map(([name, option]) => flagHelp(name, option)),
      examples: def.examples ?? [],
    },
    async run(args, io) {
      const parsed = parseArgs({ args, options: parserOptions, allowPositionals: def.positionals === true })
      return def.run(parsed as ParsedArgs<O>, io)
    },
  }
}

/** Flags whose meaning is the same on every verb. */
const COMMON_FLAGS: Record<string, string> = {
  json: 'Print machine-readable JSON (one object per line) instead of text.',
}

function flagHelp(name: string, option: VerbOption): FlagHelp {
  const fallback = option.default
  return {
    name,
    description: option.description ?? COMMON_FLAGS[name] ?? '',
    ...(option.type === 'string' ? { valueName: option.valueName ?? 'VALUE' } : {}),
    ...(fallback !== undefined ? { default: [fallback].flat().map(String).join(', ') } : {}),
    ...(option.multiple ? { multiple: true } : {}),
  }
}

/** The value of a flag that must be given. */
export function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`)
  return value
}

/** A non-negative integer flag, undefined when not given. */
export function optionalCount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${flag} must be a non-negative integer`)
  return Number(value)
}

/** Runs `fn` with the database the environment configures, closing it afterwards. */
export async function withDb<T>(io: CliIo, fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openConfiguredDatabase(loadConfig(io.env))
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}
