/**
 * @module The shape of a CLI command. A group (`bulwark audit …`) holds verbs; each verb parses
 * its own arguments and returns an exit code: 0 ok, 1 a check failed, 2 a usage error.
 */

export type CliIo = {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
  /** Reads all of standard input (secrets such as passwords arrive this way, never as arguments). */
  readStdin?: () => Promise<string>
}

/** One flag as `--help` explains it. */
export type FlagHelp = {
  name: string
  /** What it means; the help test requires one for every flag. */
  description: string
  /** The placeholder after the flag (`FILE`, `N`); absent for a boolean. */
  valueName?: string
  /** Its default when not given, as shown. */
  default?: string
  /** May be given more than once. */
  multiple?: boolean
}

export type VerbHelp = {
  /** A few sentences on what the verb does and when to use it (beyond the summary). */
  description?: string
  flags: FlagHelp[]
  /** Whole command lines that run the verb (env assignments and pipes allowed). */
  examples: string[]
  /** Exit codes beyond the usual 0 / 1 / 2, or a sharper meaning of 1. */
  exitCodes?: string
}

export type CliVerb = {
  summary: string
  /** One line: arguments after the verb, e.g. `--email E --role R [--json]`. */
  usage: string
  /** What `bulwark <group> <verb> --help` prints beyond summary and usage. */
  help?: VerbHelp
  run(args: string[], io: CliIo): Promise<number>
}

export type CliGroup = { summary: string; verbs: Record<string, CliVerb> }

/** Thrown for bad arguments: printed with the verb's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
