/**
 * @module `bulwark guard update` and the server's periodic feed refresh: downloads the public feeds
 * an operator names (GUARD_FEEDS), validates each (it parses as its kind, holds at least one entry,
 * is no larger than a size bound) and keeps the last good copy on disk. A feed that shrinks by more
 * than half since its last good copy is held for review, not used: a truncated download or a feed
 * that was emptied by mistake must never leave the guard without its lists.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAddressList } from '../address/lists.ts'
import { parseDomainList } from '../domain/lists.ts'
import { normalizeHost } from '../domain/normalize.ts'
import { parseTokenList } from '../token/counterfeit.ts'
import { parseTokenCsv } from './load.ts'

export type FeedKind = 'blocklist' | 'allowlist' | 'tokens' | 'addresses'
export type Feed = { name: string; kind: FeedKind; url: string }

/** What `updateFeeds` did with one feed. */
export type FeedUpdate = {
  name: string
  kind: FeedKind
  status: 'updated' | 'unchanged' | 'held' | 'failed'
  /** Entries in the copy now in force (the new one if updated, the last good one otherwise). */
  entries: number
  /** Entries in the download when it was held or rejected. */
  downloaded?: number
  message: string
}

/** The record kept beside each feed's last good copy. */
export type FeedMeta = {
  name: string
  kind: FeedKind
  url: string
  fetchedAt: string
  entries: number
  sha256: string
}

/** Largest feed accepted (ScamSniffer's full archive is about 10 MB). */
export const MAX_FEED_BYTES = 200 * 1024 * 1024

/** Parses GUARD_FEEDS (`name=kind:url,…`); config validation has already checked the shape. */
export function parseFeeds(value: string): Feed[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=')
      const colon = pair.indexOf(':', eq)
      return {
        name: pair.slice(0, eq),
        kind: pair.slice(eq + 1, colon) as FeedKind,
        url: pair.slice(colon + 1),
      }
    })
}

/** Counts the usable entries of a feed's text as its kind; throws when the text is not that kind. */
export function countFeedEntries(kind: FeedKind, text: string): number {
  switch (kind) {
    case 'blocklist':
    case 'allowlist': {
      const p = parseDomainList(text, kind === 'blocklist' ? 'block' : 'allow')
      return p.block.length + p.allow.length + p.fuzzy.length
    }
    case 'tokens': {
      const t = text.trimStart()
      return (t.startsWith('{') || t.startsWith('[') ? parseTokenList(text) : parseTokenCsv(text)).length
    }
    case 'addresses':
      return parseAddressList(text).length
  }
}

const metaPath = (dir: string, name: string) => join(dir, `${name}.meta.json`)
/** Path of a feed's last good copy. */
export const feedPath = (dir: string, name: string) => join(dir, `${name}.feed`)

function readMeta(dir: string, name: string): FeedMeta | null {
  try {
    return JSON.parse(readFileSync(metaPath(dir, name), 'utf8')) as FeedMeta
  } catch {
    return null // no last good copy yet
  }
}

/** Writes a file whole or not at all (write beside it, then rename). */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

/** Only https, or plain http to this machine (a local mirror, tests). */
function allowedUrl(url: string): boolean {
  try {
    const u = new URL(url)
    if (u.protocol === 'https:') return true
    const host = normalizeHost(u.hostname)?.host
    return u.protocol === 'http:' && (host === '127.0.0.1' || host === 'localhost' || u.hostname === '[::1]')
  } catch {
    return false
  }
}

async function download(url: string, fetchFn: typeof fetch, timeoutMs: number): Promise<string> {
  const res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' })
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_FEED_BYTES)
    throw new Error(`larger than ${MAX_FEED_BYTES} bytes`)
  const body = await res.arrayBuffer()
  if (body.byteLength > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`)
  return new TextDecoder('utf-8', { fatal: true }).decode(body)
}

export type UpdateFeedsParameters = {
  feeds: Feed[]
  dir: string
  now: () => Date
  fetchFn?: typeof fetch
  timeoutMs?: number
  /** Accept a feed that shrank by more than half (after an operator reviewed it). */
  acceptShrink?: boolean
}

/**
 * Downloads and validates every feed; a good download replaces the last good copy, anything else
 * keeps it. Never throws for one feed's failure: each result says what happened.
 * @example const results = await updateFeeds({ feeds: parseFeeds(cfg.GUARD_FEEDS), dir, now: () => new Date() })
 */
export async function updateFeeds(p: UpdateFeedsParameters): Promise<FeedUpdate[]> {
  mkdirSync(p.dir, { recursive: true })
  const out: FeedUpdate[] = []
  for (const feed of p.feeds) {
    const last = readMeta(p.dir, feed.name)
    const kept = last?.entries ?? 0
    const base = { name: feed.name, kind: feed.kind }
    if (!allowedUrl(feed.url)) {
      out.push({ ...base, status: 'failed', entries: kept, message: 'feeds are fetched over https only' })
      continue
    }
    let text: string
    let entries: number
    try {
      text = await download(feed.url, p.fetchFn ?? fetch, p.timeoutMs ?? 60_000)
      entries = countFeedEntries(feed.kind, text)
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      out.push({
        ...base,
        status: 'failed',
        entries: kept,
        message: `download or parse failed: ${why.slice(0, 200)}`,
      })
      continue
    }
    if (entries === 0) {
      out.push({
        ...base,
        status: 'failed',
        entries: kept,
        downloaded: 0,
        message: `no usable ${feed.kind} entries in the download; the last good copy stays in force`,
      })
      continue
    }
    const sha256 = createHash('sha256').update(text).digest('hex')
    if (last && last.sha256 === sha256) {
      out.push({ ...base, status: 'unchanged', entries, message: 'same content as the last good copy' })
      continue
    }
    if (last && entries * 2 < last.entries && !p.acceptShrink) {
      writeAtomic(join(p.dir, `${feed.name}.held`), text)
      out.push({
        ...base,
        status: 'held',
        entries: kept,
        downloaded: entries,
        message: `shrank from ${last.entries} to ${entries} entries (more than half): held for review in ${feed.name}.held; run \`bulwark guard update --accept-shrink\` to use it`,
      })
      continue
    }
    writeAtomic(feedPath(p.dir, feed.name), text)
    const meta: FeedMeta = { ...base, url: feed.url, fetchedAt: p.now().toISOString(), entries, sha256 }
    writeAtomic(metaPath(p.dir, feed.name), `${JSON.stringify(meta, null, 2)}\n`)
    out.push({ ...base, status: 'updated', entries, message: `${entries} entries` })
  }
  return out
}

/** The feeds that have a last good copy in `dir`, with their records (for loading and reports). */
export function storedFeeds(feeds: Feed[], dir: string): (FeedMeta & { path: string })[] {
  const out: (FeedMeta & { path: string })[] = []
  for (const f of feeds) {
    const meta = readMeta(dir, f.name)
    if (meta) out.push({ ...meta, path: feedPath(dir, f.name) })
  }
  return out
}
