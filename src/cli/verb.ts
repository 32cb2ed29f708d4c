/**
 * @module What every verb needs around its own work: its flags parsed into typed values (a bad
 * flag is a usage error, exit 2, see main.ts), required and numeric flags checked with a message
 * naming the flag, and the configured database opened and closed around the work.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { loadConfig } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { openConfiguredDatabase } from '../platform/runtime.ts'
import { type CliIo, type CliVerb, UsageError } from './types.ts'

/** The flags of a verb as `parseArgs` reads them, and its positional arguments. */
export type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>

export type VerbDefinition<O extends ParseArgsOptionsConfig> = {
  summary: string
  usage: string
  options: O
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
  return {
    summary: def.summary,
    usage: def.usage,
    async run(args, io) {
      const parsed = parseArgs({ args, options: def.options, allowPositionals: def.positionals === true })
      return def.run(parsed as ParsedArgs<O>, io)
    },
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
