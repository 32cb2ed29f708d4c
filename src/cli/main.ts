/**
 * @module The `bulwark` command: `bulwark <group> <verb> [options]`, `--help` anywhere.
 */
import { ConfigError } from '../platform/config.ts'
import { commands } from './commands.ts'
import { commandsHelp, groupHelp, verbHelp } from './help.ts'
import { type CliIo, UsageError } from './types.ts'

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [groupName, maybeVerb, ...rest] = argv
  if (!groupName || groupName === '--help' || groupName === '-h' || groupName === 'help') {
    io.stdout(commandsHelp(commands))
    return groupName ? 0 : 2
  }
  const group = commands[groupName]
  if (!group) {
    io.stderr(`Unknown command "${groupName}". Run bulwark --help.\n`)
    return 2
  }
  const wantsHelp = (word: string | undefined) => word === '--help' || word === '-h'
  const hasDefault = '' in group.verbs
  // `bulwark por --help` is the group's help; `bulwark serve --help` (a group with one unnamed verb)
  // is that verb's.
  if (wantsHelp(maybeVerb) && !hasDefault) {
    io.stdout(groupHelp(groupName, group))
    return 0
  }
  const verbName =
    hasDefault && (maybeVerb === undefined || maybeVerb.startsWith('-')) ? '' : (maybeVerb ?? '')
  const args = verbName === '' && maybeVerb !== undefined ? [maybeVerb, ...rest] : rest
  const verb = group.verbs[verbName]
  if (!verb) {
    io.stderr(
      `${verbName ? `Unknown verb "${verbName}".` : 'Missing verb.'}\n\n${groupHelp(groupName, group)}`,
    )
    return 2
  }
  if (args.some(wantsHelp)) {
    io.stdout(verbHelp(groupName, verbName, verb))
    return 0
  }
  try {
    return await verb.run(args, io)
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(
        `${error.message}\nUsage: bulwark ${groupName}${verbName ? ` ${verbName}` : ''} ${verb.usage}\n`,
      )
      return 2
    }
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`)
      return 2
    }
    if (
      error instanceof Error &&
      'code' in error &&
      typeof error.code === 'string' &&
      /^[A-Z_]+$/.test(error.code)
    ) {
      io.stderr(`${error.code}: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

/** Entry point for bin/bulwark.js and `node src/cli/main.ts`. */
export async function runMain(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  })
  process.exitCode = code
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain()
