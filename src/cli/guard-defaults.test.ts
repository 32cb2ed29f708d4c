import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './main.ts'

const TORNADO = '0x8589427373d6d84e98730d7795d8f6f8731fda16'
const dir = mkdtempSync(join(tmpdir(), 'guard-defaults-'))

async function cli(argv: string[], stdin = '', env: Record<string, string> = {}) {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env,
    readStdin: async () => stdin,
  })
  return { code, out, err, lines: out.trim().split('\n').filter(Boolean) }
}

// A local feed server whose answers the test changes between updates.
const feedBodies = new Map<string, { status: number; body: string }>()
let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    const f = feedBodies.get(req.url ?? '') ?? { status: 404, body: 'not found' }
    res.writeHead(f.status, { 'content-type': 'text/plain' })
    res.end(f.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('the guard protects with its shipped lists and no configuration', () => {
  it('blocks an OFAC-listed Tornado Cash address', async () => {
    const r = await cli(['guard', 'sanctions'], `${TORNADO}\n`)
    expect(JSON.parse(r.lines[0] ?? '{}')).toMatchObject({ verdict: 'block', lists: ['OFAC SDN (ETH)'] })
    const off = await cli(['guard', 'sanctions', '--no-defaults'], `${TORNADO}\n`)
    expect(JSON.parse(off.lines[0] ?? '{}')).toMatchObject({ verdict: 'allow' })
  })

  it('flags a fake "USDT / Tether USD" token off the canonical contract', async () => {
    const fake = {
      chainId: 1,
      address: '0x1d70eae23db8c98b5e2a7746110aa49373c0ebd0',
      symbol: 'USDT',
      name: 'Tether USD',
    }
    const r = await cli(['guard', 'tokens'], `${JSON.stringify(fake)}\n`)
    expect(JSON.parse(r.lines[0] ?? '{}')).toMatchObject({
      verdict: 'block',
      impersonates: { symbol: 'USDT' },
    })
    const real = { ...fake, address: '0xdAC17F958D2ee523a2206206994597C13D831ec7' }
    expect(
      JSON.parse((await cli(['guard', 'tokens'], `${JSON.stringify(real)}\n`)).lines[0] ?? '{}'),
    ).toMatchObject({
      verdict: 'allow',
    })
  })

  it("blocks a domain on MetaMask's shipped list and names every shipped source with licence and date", async () => {
    const r = await cli(['guard', 'domains'], 'zollo.io\n')
    expect(JSON.parse(r.lines[0] ?? '{}')).toMatchObject({
      verdict: 'block',
      reasons: [{ code: 'BLOCKLISTED' }],
    })
    const lists = JSON.parse((await cli(['guard', 'lists'])).out) as {
      sources: { name: string; licence: string; date: string; entries: number; shipped: boolean }[]
    }
    expect(lists.sources.map((s) => [s.name, s.licence, s.shipped])).toEqual([
      ['MetaMask eth-phishing-detect', 'DBAD', true],
      ['Uniswap default token list', 'GPL-3.0-or-later', true],
      [
        'OFAC sanctioned digital currency addresses',
        'public domain (US government work); the extraction tool is MIT',
        true,
      ],
    ])
    for (const s of lists.sources) {
      expect(s.date).toMatch(/\d/)
      expect(s.entries).toBeGreaterThan(500)
    }
  })
})

describe('bulwark guard update', () => {
  const feeds = join(dir, 'feeds')
  const env = () => ({
    GUARD_FEEDS: `scam=blocklist:${base}/scam.txt,ofac=addresses:${base}/ofac.txt`,
    GUARD_FEEDS_DIR: feeds,
  })
  const domains = (n: number) => Array.from({ length: n }, (_, i) => `drain${i}-feed.example`).join('\n')

  it('downloads and validates each feed and keeps it as the last good copy', async () => {
    feedBodies.set('/scam.txt', { status: 200, body: domains(100) })
    feedBodies.set('/ofac.txt', { status: 200, body: `${TORNADO}\n` })
    const r = await cli(['guard', 'update', '--json'], '', env())
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).results).toMatchObject([
      { name: 'scam', status: 'updated', entries: 100 },
      { name: 'ofac', status: 'updated', entries: 1 },
    ])
    expect(readFileSync(join(feeds, 'scam.feed'), 'utf8')).toContain('drain99-feed.example')
    const again = await cli(['guard', 'update', '--json'], '', env())
    expect(JSON.parse(again.out).results.map((x: { status: string }) => x.status)).toEqual([
      'unchanged',
      'unchanged',
    ])
  })

  it('holds a feed that shrank by more than half and keeps the last good copy in force', async () => {
    feedBodies.set('/scam.txt', { status: 200, body: domains(40) })
    const r = await cli(['guard', 'update', '--json'], '', env())
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out).results[0]).toMatchObject({ status: 'held', entries: 100, downloaded: 40 })
    expect(readFileSync(join(feeds, 'scam.feed'), 'utf8')).toContain('drain99-feed.example')
    const accepted = await cli(['guard', 'update', '--json', '--accept-shrink'], '', env())
    expect(JSON.parse(accepted.out).results[0]).toMatchObject({ status: 'updated', entries: 40 })
  })

  it('keeps the last good copy when a feed fails, is empty or is not its kind', async () => {
    feedBodies.set('/scam.txt', { status: 500, body: 'oops' })
    feedBodies.set('/ofac.txt', { status: 200, body: 'these are not addresses\n' })
    const r = await cli(['guard', 'update', '--json'], '', env())
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out).results).toMatchObject([
      { name: 'scam', status: 'failed', entries: 40 },
      { name: 'ofac', status: 'failed', entries: 1 },
    ])
    expect(readFileSync(join(feeds, 'scam.feed'), 'utf8')).toContain('drain39-feed.example')
  })

  it('refuses plain http to anything but this machine', async () => {
    const r = await cli([
      'guard',
      'update',
      '--json',
      '--feed',
      'x=blocklist:http://feeds.example/x.txt',
      '--dir',
      feeds,
    ])
    expect(JSON.parse(r.out).results[0]).toMatchObject({
      status: 'failed',
      message: 'feeds are fetched over https only',
    })
  })

  it('says how to name feeds when there are none', async () => {
    const r = await cli(['guard', 'update'], '', {})
    expect(r.code).toBe(2)
    expect(r.err).toContain('GUARD_FEEDS')
  })
})
