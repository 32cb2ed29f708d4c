/**
 * @module Builds the guard service from configuration (GUARD_* variables: comma-separated paths or
 * URLs) and keeps it fresh: the shipped default lists (GUARD_DEFAULT_LISTS), the last good copies of
 * downloaded feeds (GUARD_FEEDS) and the configured lists load in the background at start-up; every
 * GUARD_REFRESH_MINUTES the feeds are downloaded again and everything reloads. A failed load keeps
 * the previous lists and is reported through `onError`.
 */
import { join } from 'node:path'
import { createGuardService, type GuardLists, type GuardService, mergeLists } from '../service.ts'
import { loadDefaultLists } from './defaults.ts'
import { loadAddressLists, loadDomainLists, loadTokenLists, scheduleRefresh } from './load.ts'
import { type FeedUpdate, parseFeeds, storedFeeds, updateFeeds } from './update.ts'

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

/** Loads every configured list once: shipped defaults, last good feed copies, then the operator's lists. */
export async function loadConfiguredLists(config: GuardListConfig): Promise<GuardLists> {
  const stored = storedFeeds(parseFeeds(config.GUARD_FEEDS), feedsDir(config))
  const ofKind = (k: string) => stored.filter((f) => f.kind === k).map((f) => f.path)
  const blocklists = [...ofKind('blocklist'), ...split(config.GUARD_BLOCKLISTS)]
  const allowlists = [...ofKind('allowlist'), ...split(config.GUARD_ALLOWLISTS)]
  const tokenLists = [...ofKind('tokens'), ...split(config.GUARD_TOKEN_LISTS)]
  const addressLists = [...ofKind('addresses'), ...split(config.GUARD_ADDRESS_LISTS)]
  const configured: GuardLists = {
    domains: await loadDomainLists({
      blocklists,
      allowlists,
      brands: split(config.GUARD_BRANDS),
      linkShorteners: split(config.GUARD_LINK_SHORTENERS),
      popular: split(config.GUARD_POPULAR_DOMAINS),
    }),
    tokens: await loadTokenLists(tokenLists),
    addresses: await loadAddressLists(addressLists, 'drainer'),
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
  return config.GUARD_DEFAULT_LISTS ? mergeLists(loadDefaultLists(), configured) : configured
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
