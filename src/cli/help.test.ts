import { describe, expect, it } from 'vitest'
import { commands } from './commands.ts'
import { runCli } from './main.ts'

async function run(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env: {},
  })
  return { code, stdout, stderr }
}

const verbs = Object.entries(commands).flatMap(([group, def]) =>
  Object.entries(def.verbs).map(([verb, v]) => ({ group, verb, def: v })),
)

describe('bulwark --help', () => {
  it.each(Object.keys(commands))('lists every verb of "%s" with its usage and exits 0', async (group) => {
    const { code, stdout } = await run([group, '--help'])
    expect(code).toBe(0)
    for (const verb of Object.keys(commands[group]!.verbs)) {
      expect(stdout).toContain(verb ? `bulwark ${group} ${verb}` : `bulwark ${group}`)
    }
  })

  it.each(verbs.map(({ group, verb, def }) => [`${group} ${verb}`.trim(), group, verb, def] as const))(
    'explains "%s": every flag with its meaning, an example and the exit codes',
    async (_name, group, verb, def) => {
      const { code, stdout } = await run([group, ...(verb ? [verb] : []), '--help'])
      expect(code).toBe(0)
      const command = verb ? `bulwark ${group} ${verb}` : `bulwark ${group}`
      expect(stdout).toContain(`Usage: ${command}`)
      const help = def.help
      expect(help, `${command} has no help`).toBeDefined()
      const undescribed = help!.flags.filter((f) => f.description.trim().length < 8).map((f) => `--${f.name}`)
      expect(undescribed, `${command}: flags without a description`).toEqual([])
      for (const flag of help!.flags) expect(stdout).toContain(`--${flag.name}`)
      expect(help!.examples.length, `${command} has no example`).toBeGreaterThan(0)
      for (const example of help!.examples) expect(example).toContain(command)
      expect(stdout).toMatch(/Exit codes: 0 ok/)
    },
  )

  it('answers a group without a verb with its verbs, as a usage error', async () => {
    const { code, stderr } = await run(['por'])
    expect(code).toBe(2)
    expect(stderr).toContain('Missing verb.')
    expect(stderr).toContain('bulwark por verify')
  })
})
