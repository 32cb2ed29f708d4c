/**
 * @module Builds the guard service from configuration (GUARD_* variables: comma-separated paths or
 * URLs) and keeps it fresh: lists load in the background at start-up and every
 * GUARD_REFRESH_MINUTES; a failed load keeps the previous lists and is reported through `onError`.
 */
import { createGuardService, type GuardLists, type GuardService } from '../service.ts'
import { loadAddressLists, loadDomainLists, loadTokenLists, scheduleRefresh } from './load.ts'

export type GuardListConfig = {
  GUARD_BLOCKLISTS: string
  GUARD_ALLOWLISTS: string
  GUARD_BRANDS: string
  GUARD_LINK_SHORTENERS: string
  GUARD_TOKEN_LISTS: string
  GUARD_ADDRESS_LISTS: string
  GUARD_REFRESH_MINUTES: number
}

const split = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Loads every configured list once. */
export async function loadConfiguredLists(config: GuardListConfig): Promise<GuardLists> {
  return {
    domains: await loadDomainLists({
      blocklists: split(config.GUARD_BLOCKLISTS),
      allowlists: split(config.GUARD_ALLOWLISTS),
      brands: split(config.GUARD_BRANDS),
      linkShorteners: split(config.GUARD_LINK_SHORTENERS),
    }),
    tokens: await loadTokenLists(split(config.GUARD_TOKEN_LISTS)),
    addresses: await loadAddressLists(split(config.GUARD_ADDRESS_LISTS), 'drainer'),
  }
}

/**
 * Returns a service that answers at once (heuristics only) and picks the configured lists up as soon
 * as they load. Call `stop()` on shutdown.
 */
export function startConfiguredGuard(
  config: GuardListConfig,
  now: () => Date,
  onError: (e: unknown) => void,
): { service: GuardService; ready: Promise<void>; stop: () => void } {
  const service = createGuardService()
  const configured = [
    config.GUARD_BLOCKLISTS,
    config.GUARD_ALLOWLISTS,
    config.GUARD_BRANDS,
    config.GUARD_LINK_SHORTENERS,
    config.GUARD_TOKEN_LISTS,
    config.GUARD_ADDRESS_LISTS,
  ].some((v) => split(v).length > 0)
  if (!configured) return { service, ready: Promise.resolve(), stop: () => {} }
  const load = () => loadConfiguredLists(config)
  const apply = (lists: GuardLists) => service.replace(lists, now())
  const ready = load().then(apply, onError)
  const stop =
    config.GUARD_REFRESH_MINUTES > 0
      ? scheduleRefresh(load, apply, config.GUARD_REFRESH_MINUTES * 60_000, onError)
      : () => {}
  return { service, ready, stop }
}
