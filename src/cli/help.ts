/**
 * @module What `--help` prints: the whole command list, one group's verbs, or one verb with every
 * flag, its meaning and default, examples and exit codes.
 */
import type { CliGroup, CliVerb } from './types.ts'

export const EXIT_CODES = 'Exit codes: 0 ok, 1 a check failed, 2 a usage or configuration error.'

const commandName = (group: string, verb: string) => (verb ? `bulwark ${group} ${verb}` : `bulwark ${group}`)

/** Every command, one line each: `bulwark --help`. */
export function commandsHelp(commands: Record<string, CliGroup>): string {
  const lines = ['Usage: bulwark <command> [options]', '', 'Commands:']
  for (const [group, def] of Object.entries(commands)) {
    for (const [verb, v] of Object.entries(def.verbs)) {
      lines.push(`  ${(verb ? `${group} ${verb}` : group).padEnd(26)} ${v.summary}`)
    }
  }
  lines.push(
    '',
    "Run `bulwark <command> --help` for a command's options and examples.",
    EXIT_CODES,
    'Configuration comes from environment variables (see README).',
  )
  return `${lines.join('\n')}\n`
}

/** One group's verbs: `bulwark por --help`. */
export function groupHelp(name: string, group: CliGroup): string {
  const lines = [`bulwark ${name}: ${group.summary}`, '', 'Commands:']
  for (const [verb, v] of Object.entries(group.verbs)) {
    lines.push(`  ${commandName(name, verb)} ${v.usage}`.trimEnd(), `      ${v.summary}`)
  }
  lines.push('', `Run \`bulwark ${name} <verb> --help\` for a verb's options and examples.`, EXIT_CODES)
  return `${lines.join('\n')}\n`
}

/** One verb in full: `bulwark por verify --help`. */
export function verbHelp(group: string, verb: string, def: CliVerb): string {
  const name = commandName(group, verb)
  const help = def.help ?? { flags: [], examples: [] }
  const lines = [`${name}: ${def.summary}`, '', `Usage: ${name} ${def.usage}`.trimEnd()]
  if (help.description) lines.push('', ...wrap(help.description, 100))
  if (help.flags.length > 0) {
    lines.push('', 'Options:')
    const labels = help.flags.map((f) => `--${f.name}${f.valueName ? ` ${f.valueName}` : ''}`)
    const width = Math.min(28, Math.max(...labels.map((l) => l.length)) + 2)
    help.flags.forEach((flag, i) => {
      const notes = [
        flag.default !== undefined ? `default: ${flag.default}` : '',
        flag.multiple ? 'may be repeated' : '',
      ].filter(Boolean)
      const text = `${flag.description}${notes.length ? ` (${notes.join('; ')})` : ''}`
      const label = labels[i]!
      if (label.length + 2 > width) lines.push(`  ${label}`, `  ${''.padEnd(width)}${text}`)
      else lines.push(`  ${label.padEnd(width)}${text}`)
    })
  }
  if (help.examples.length > 0) lines.push('', 'Examples:', ...help.examples.map((e) => `  ${e}`))
  lines.push('', help.exitCodes ? `${EXIT_CODES} ${help.exitCodes}` : EXIT_CODES)
  return `${lines.join('\n')}\n`
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(line)
  return out
}
