import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configuredScreener, type GuardListConfig, loadConfiguredLists } from './configured.ts'
import { parseFeeds, updateFeeds } from './update.ts'

const TORNADO = '0x8589427373d6d84e98730d7795d8f6f8731fda16'
const B = '0x1111111111111111111111111111111111111b0b'
const C = '0x2222222222222222222222222222222222222c0c'
const NEW = '0x3333333333333333333333333333333333333e3e'

// A local OFAC mirror whose answer the test changes between refreshes.
let body = ''
let server: Server
let base: string
const dir = mkdtempSync(join(tmpdir(), 'guard-ofac-'))
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

const config = (): GuardListConfig => ({
  GUARD_BLOCKLISTS: '',
  GUARD_ALLOWLISTS: '',
  GUARD_BRANDS: '',
  GUARD_LINK_SHORTENERS: '',
  GUARD_TOKEN_LISTS: '',
  GUARD_ADDRESS_LISTS: '',
  GUARD_REFRESH_MINUTES: 0,
  GUARD_DEFAULT_LISTS: true,
  GUARD_FEEDS: `ofac-eth=addresses:${base}/sanctioned_addresses_ETH.txt`,
  GUARD_FEEDS_DIR: dir,
  GUARD_POPULAR_DOMAINS: '',
  DATA_DIR: dir,
})
const refresh = (at: string) =>
  updateFeeds({ feeds: parseFeeds(config().GUARD_FEEDS), dir, now: () => new Date(at) })

describe('OFAC lists refresh for sanctions screening without a restart', () => {
  it('screens with the shipped OFAC snapshot until a feed copy exists, then with the refreshed feed', async () => {
    const screener = configuredScreener(config())
    expect((await screener())?.screen(TORNADO).lists).toEqual(['OFAC SDN (ETH)'])

    body = [TORNADO, B, C].join('\n')
    expect((await refresh('2026-12-01T00:00:00Z'))[0]?.status).toBe('updated')
    expect((await screener())?.screen(B).verdict).toBe('block')
    expect((await screener())?.screen(NEW).verdict).toBe('allow')

    // A new designation and a delisting: the same screener sees both on its next call.
    body = [B, C, NEW].join('\n')
    expect((await refresh('2026-12-02T00:00:00Z'))[0]?.status).toBe('updated')
    const now = await screener()
    expect(now?.screen(NEW)).toMatchObject({ verdict: 'block', lists: ['OFAC SDN (ETH)'] })
    expect(now?.screen(TORNADO).verdict).toBe('allow')
  })

  it('reports the OFAC feed with its date in place of the shipped snapshot once it is in force', async () => {
    const lists = await loadConfiguredLists(config())
    const sources = lists.sources ?? []
    expect(sources.find((s) => s.name === 'ofac-eth')).toMatchObject({
      kind: 'addresses',
      date: '2026-12-02',
    })
    expect(sources.some((s) => s.shipped && s.kind === 'addresses')).toBe(false)
    expect(lists.addresses?.map((l) => l.name)).toEqual(['OFAC SDN (ETH)'])
  })
})
