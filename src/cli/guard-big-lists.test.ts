import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './main.ts'

// Real feeds are large: ScamSniffer's public archive has ~290k domains. A loader that spread a list
// into `push(...)` died with "Maximum call stack size exceeded"; these lists are bigger than any feed.
const N = 1_000_000
const dir = mkdtempSync(join(tmpdir(), 'guard-big-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const entry = (i: number): string => `qz${i.toString(36)}x.top`
const entries = Array.from({ length: N }, (_, i) => entry(i))
const files = {
  plain: join(dir, 'block.txt'),
  csv: join(dir, 'block.csv'),
  metamask: join(dir, 'config.json'),
}
writeFileSync(files.plain, `${entries.join('\n')}\n`)
writeFileSync(
  files.csv,
  `id,domain,first_seen\n${entries.map((d, i) => `${i},${d},2024-01-01`).join('\n')}\n`,
)
writeFileSync(
  files.metamask,
  JSON.stringify({ version: 2, tolerance: 2, fuzzylist: [], whitelist: [], blacklist: entries }),
)

async function cli(argv: string[], stdin = '') {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: {},
    readStdin: async () => stdin,
  })
  return { code, out, err }
}

describe('bulwark guard with a 1,000,000-entry blocklist', () => {
  for (const format of ['plain', 'csv', 'metamask'] as const) {
    it(`loads a ${format} list and blocks its first and last entries, not an unlisted name`, async () => {
      const r = await cli(
        ['guard', 'domains', '--blocklist', files[format]],
        `${entry(0)}\nhttps://app.${entry(N - 1)}/claim\n${entry(N + 5)}\n`,
      )
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      const verdicts = r.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { verdict: string; reasons: { code: string }[] }).verdict)
      expect(verdicts).toEqual(['block', 'block', 'allow'])
    }, 180_000)
  }

  it('counts every entry in `guard lists`', async () => {
    const r = await cli(['guard', 'lists', '--no-defaults', '--blocklist', files.plain])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ domains: { blocklist: N } })
  }, 180_000)
})
