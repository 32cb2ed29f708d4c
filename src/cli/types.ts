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

export type CliVerb = {
  summary: string
  /** One line: arguments after the verb, e.g. `--email E --role R [--json]`. */
  usage: string
  run(args: string[], io: CliIo): Promise<number>
}

export type CliGroup = { summary: string; verbs: Record<string, CliVerb> }

/** Thrown for bad arguments: printed with the verb's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
