import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.ts'

// GUARD_BLOCKLISTS with a feed bigger than any public one (ScamSniffer's archive is ~290k domains).
const N = 1_000_000
const entry = (i: number): string => `qz${i.toString(36)}x.top`
const dir = mkdtempSync(join(tmpdir(), 'guard-big-server-'))
let t: TestApp
let url: string

beforeAll(async () => {
  const file = join(dir, 'feed.csv')
  writeFileSync(
    file,
    `domain,first_seen\n${Array.from({ length: N }, (_, i) => `${entry(i)},2024-01-01`).join('\n')}\n`,
  )
  t = await createTestApp({
    GUARD_BLOCKLISTS: file,
    GUARD_REFRESH_MINUTES: '0',
    GUARD_DEFAULT_LISTS: 'false',
  })
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
}, 240_000)
afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function domains(inputs: string[]) {
  const r = await fetch(`${url}/api/guard/domains`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs }),
  })
  return (await r.json()) as { results: { verdict: string }[]; listsLoadedAt: string | null }
}

describe('a started server with a 1,000,000-entry GUARD_BLOCKLISTS feed', () => {
  it('loads the whole feed in the background and blocks its entries', async () => {
    let body = await domains([entry(0)])
    for (let i = 0; i < 600 && body.listsLoadedAt === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      body = await domains([entry(0)])
    }
    expect(body.listsLoadedAt).not.toBeNull()
    const r = await domains([entry(0), `https://${entry(N - 1)}/connect`, entry(N + 5)])
    expect(r.results.map((x) => x.verdict)).toEqual(['block', 'block', 'allow'])
    const lists = (await (await fetch(`${url}/api/guard/lists`)).json()) as { domains: { blocklist: number } }
    expect(lists.domains.blocklist).toBe(N)
  }, 240_000)
})
