/**
 * @module Builds the guard service from configuration (GUARD_* variables: comma-separated paths or
 * URLs) and keeps it fresh: the shipped default lists (GUARD_DEFAULT_LISTS), the last good copies of
 * downloaded feeds (GUARD_FEEDS) and the configured lists load in the background at start-up; every
 * GUARD_REFRESH_MINUTES the feeds are downloaded again and everything reloads. A failed load keeps
 * the previous lists and is reported through `onError`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type AddressListSource,
  type AddressScreener,
  createAddressScreener,
  parseAddressList,
} from '../address/lists.ts'
import { createGuardService, type GuardLists, type GuardService, mergeLists } from '../service.ts'
import { loadDefaultLists, OFAC_FILE, parseOfacFile } from './defaults.ts'
import { loadAddressLists, loadDomainLists, loadTokenLists, scheduleRefresh } from './load.ts'
import { type FeedMeta, type FeedUpdate, parseFeeds, storedFeeds, updateFeeds } from './update.ts'

export type GuardListConfig = {
  GUARD_BLOCKLISTS: string
  GUARD_ALLOWLISTS: string
  GUARD_BRANDS: string
  GUARD_LINK_SHORTENERS: string
  GUARD_TOKEN_LISTS: string
  GUARD_ADDRESS_LISTS: string
  GUARD_REFRESH_MINUTES: number
  GUARD_DEFAULT_LISTS: boolean
  GUARD_FEEDS: string
  GUARD_FEEDS_DIR: string
  GUARD_POPULAR_DOMAINS: string
  DATA_DIR: string
}

const split = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Where downloaded feeds live. */
export const feedsDir = (config: Pick<GuardListConfig, 'GUARD_FEEDS_DIR' | 'DATA_DIR'>): string =>
  config.GUARD_FEEDS_DIR || join(config.DATA_DIR, 'guard-feeds')

/**
 * An `addresses` feed is an OFAC sanctions list when its URL is one of the per-asset OFAC exports
 * (`sanctioned_addresses_ETH.txt`) or its name starts with `ofac`. Its asset (or the feed name)
 * names the list: `OFAC SDN (ETH)`.
 */
export function ofacFeedList(feed: Pick<FeedMeta, 'name' | 'url' | 'kind'>): string | null {
  if (feed.kind !== 'addresses') return null
  const asset = /sanctioned_addresses_([A-Z0-9]+)\./.exec(feed.url)?.[1]
  if (asset) return `OFAC SDN (${asset})`
  return /^ofac/.test(feed.name) ? `OFAC SDN (${feed.name})` : null
}

/** Address lists from the last good copies of `addresses` feeds; OFAC feeds are sanctions lists. */
function storedAddressLists(stored: (FeedMeta & { path: string })[]): AddressListSource[] {
  const out: AddressListSource[] = []
  for (const f of stored) {
    if (f.kind !== 'addresses') continue
    const ofac = ofacFeedList(f)
    const addresses = parseAddressList(readFileSync(f.path, 'utf8'))
    out.push({ name: ofac ?? f.name, kind: ofac ? 'sanctions' : 'drainer', addresses })
  }
  return out
}

/** Loads every configured list once: shipped defaults, last good feed copies, then the operator's lists. */
export async function loadConfiguredLists(config: GuardListConfig): Promise<GuardLists> {
  const stored = storedFeeds(parseFeeds(config.GUARD_FEEDS), feedsDir(config))
  const ofKind = (k: string) => stored.filter((f) => f.kind === k).map((f) => f.path)
  const blocklists = [...ofKind('blocklist'), ...split(config.GUARD_BLOCKLISTS)]
  const allowlists = [...ofKind('allowlist'), ...split(config.GUARD_ALLOWLISTS)]
  const tokenLists = [...ofKind('tokens'), ...split(config.GUARD_TOKEN_LISTS)]
  const configured: GuardLists = {
    domains: await loadDomainLists({
      blocklists,
      allowlists,
      brands: split(config.GUARD_BRANDS),
      linkShorteners: split(config.GUARD_LINK_SHORTENERS),
      popular: split(config.GUARD_POPULAR_DOMAINS),
    }),
    tokens: await loadTokenLists(tokenLists),
    addresses: [
      ...storedAddressLists(stored),
      ...(await loadAddressLists(split(config.GUARD_ADDRESS_LISTS), 'drainer')),
    ],
    sources: [
      ...stored.map((f) => ({
        name: f.name,
        kind:
          f.kind === 'tokens'
            ? ('tokens' as const)
            : f.kind === 'addresses'
              ? ('addresses' as const)
              : ('domains' as const),
        source: f.url,
        licence: "the feed's own",
        date: f.fetchedAt.slice(0, 10),
        entries: f.entries,
        shipped: false,
      })),
      ...[
        ...split(config.GUARD_BLOCKLISTS),
        ...split(config.GUARD_ALLOWLISTS),
        ...split(config.GUARD_TOKEN_LISTS),
        ...split(config.GUARD_ADDRESS_LISTS),
      ].map((src) => ({
        name: src.replace(/^.*[\\/]/, ''),
        kind: split(config.GUARD_TOKEN_LISTS).includes(src)
          ? ('tokens' as const)
          : split(config.GUARD_ADDRESS_LISTS).includes(src)
            ? ('addresses' as const)
            : ('domains' as const),
        source: src,
        licence: "the list's own",
        date: 'loaded at start-up and each refresh',
        entries: null,
        shipped: false,
      })),
    ],
  }
  return config.GUARD_DEFAULT_LISTS
    ? mergeLists(withoutSupersededOfac(loadDefaultLists(), stored), configured)
    : configured
}

/**
 * The shipped OFAC file is a dated snapshot: once an OFAC feed has a good copy (refreshed by
 * `bulwark guard update` and the server's periodic job), the feed replaces it, so addresses OFAC
 * has since delisted stop matching and new designations start to.
 */
function withoutSupersededOfac(
  defaults: ReturnType<typeof loadDefaultLists>,
  stored: (FeedMeta & { path: string })[],
): GuardLists {
  if (!stored.some((f) => ofacFeedList(f) !== null)) return defaults
  return {
    ...defaults,
    addresses: defaults.addresses.filter((l) => !l.name.startsWith('OFAC SDN')),
    sources: defaults.sources.filter((s) => !(s.shipped && s.kind === 'addresses')),
  }
}

/**
 * The address screener withdrawal and deposit screening should use: the same address lists as the
 * guard (shipped OFAC unless an OFAC feed superseded it, `addresses` feeds' last good copies,
 * GUARD_ADDRESS_LISTS), rebuilt whenever a feed's last good copy changes on disk, so a refresh by
 * the server's job or by `bulwark guard update` in another process is in force without a restart.
 * Null when no address list is configured at all.
 * @example const screener = configuredScreener(config); (await screener())?.screen(address)
 */
export function configuredScreener(config: GuardListConfig): () => Promise<AddressScreener | null> {
  const feeds = parseFeeds(config.GUARD_FEEDS).filter((f) => f.kind === 'addresses')
  const dir = feedsDir(config)
  let current: { key: string; screener: Promise<AddressScreener | null> } | null = null
  return () => {
    const stored = storedFeeds(feeds, dir)
    const key = stored.map((f) => `${f.name}:${f.sha256}`).join(',')
    if (current?.key !== key) {
      const lists = (async () => {
        // Only the shipped OFAC file, unless an OFAC feed has replaced it (not the domain and token lists).
        const defaults =
          config.GUARD_DEFAULT_LISTS && !stored.some((f) => ofacFeedList(f) !== null)
            ? parseOfacFile(readFileSync(OFAC_FILE, 'utf8')).lists
            : []
        const all = [
          ...defaults,
          ...storedAddressLists(stored),
          ...(await loadAddressLists(split(config.GUARD_ADDRESS_LISTS), 'drainer')),
        ]
        return all.length > 0 ? createAddressScreener(all) : null
      })()
      const next = { key, screener: lists }
      current = next
      // A failed load is retried on the next call rather than remembered.
      lists.catch(() => {
        if (current === next) current = null
      })
    }
    return current.screener
  }
}

/**
 * Returns a service that answers at once (heuristics only) and picks the lists up as soon as they
 * load. Call `stop()` on shutdown.
 */
export function startConfiguredGuard(
  config: GuardListConfig,
  now: () => Date,
  onError: (e: unknown) => void,
  onFeeds: (results: FeedUpdate[]) => void = () => {},
): { service: GuardService; ready: Promise<void>; stop: () => void } {
  const service = createGuardService()
  const feeds = parseFeeds(config.GUARD_FEEDS)
  const load = () => loadConfiguredLists(config)
  const apply = (lists: GuardLists) => service.replace(lists, now())
  const refresh = async () => {
    if (feeds.length > 0) onFeeds(await updateFeeds({ feeds, dir: feedsDir(config), now }))
    return load()
  }
  // First what is on disk (fast, works offline), then fresh feeds if any are named.
  const ready = load().then(apply, onError)
  if (feeds.length > 0) void ready.then(() => refresh().then(apply, onError))
  const stop =
    config.GUARD_REFRESH_MINUTES > 0
      ? scheduleRefresh(refresh, apply, config.GUARD_REFRESH_MINUTES * 60_000, onError)
      : () => {}
  return { service, ready, stop }
}
