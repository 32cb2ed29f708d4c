/**
 * @module The `bulwark` command: `bulwark <group> <verb> [options]`, `--help` anywhere.
 */
import { ConfigError } from '../platform/config.ts'
import { commands } from './commands.ts'
import { type CliIo, UsageError } from './types.ts'

function help(): string {
  const lines = ['Usage: bulwark <command> [options]', '', 'Commands:']
  for (const [group, def] of Object.entries(commands)) {
    for (const [verb, v] of Object.entries(def.verbs)) {
      const name = verb ? `${group} ${verb}` : group
      lines.push(`  ${name.padEnd(26)} ${v.summary}`)
      if (v.usage) lines.push(`  ${''.padEnd(26)}   ${name} ${v.usage}`)
    }
  }
  lines.push('', 'Exit codes: 0 ok, 1 a check failed, 2 usage or configuration error.')
  lines.push('Configuration comes from environment variables (see README).')
  return `${lines.join('\n')}\n`
}

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [groupName, maybeVerb, ...rest] = argv
  if (!groupName || groupName === '--help' || groupName === '-h' || groupName === 'help') {
    io.stdout(help())
    return groupName ? 0 : 2
  }
  const group = commands[groupName]
  if (!group) {
    io.stderr(`Unknown command "${groupName}". Run bulwark --help.\n`)
    return 2
  }
  const hasDefault = '' in group.verbs
  const verbName =
    hasDefault && (maybeVerb === undefined || maybeVerb.startsWith('-')) ? '' : (maybeVerb ?? '')
  const args = verbName === '' && maybeVerb !== undefined ? [maybeVerb, ...rest] : rest
  const verb = group.verbs[verbName]
  if (!verb || args.includes('--help') || args.includes('-h')) {
    const known = Object.entries(group.verbs)
      .map(([v, d]) => `  bulwark ${groupName}${v ? ` ${v}` : ''} ${d.usage}\n      ${d.summary}`)
      .join('\n')
    if (!verb)
      io.stderr(`${verbName ? `Unknown verb "${verbName}".` : 'Missing verb.'} ${group.summary}:\n${known}\n`)
    else io.stdout(`${group.summary}:\n${known}\n`)
    return verb ? 0 : 2
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
