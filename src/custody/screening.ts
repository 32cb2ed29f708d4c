/**
 * @module Deposit screening from the wallet guard's address lists (the shipped OFAC file or its
 * refreshed feed, address feeds, GUARD_ADDRESS_LISTS: OFAC sanctions exports, drainer and watch lists): a sender on any list is flagged, so its deposit is
 * held for review rather than credited. Any other screening service can be injected as a `Screen`.
 */
import { type AddressScreener, createAddressScreener } from '../guard/index.ts'
import { configuredScreener, type GuardListConfig } from '../guard/node/configured.ts'
import { loadAddressLists } from '../guard/node/load.ts'
import type { Screen } from './deposits.ts'

/**
 * A screen over a guard address screener: flagged when the address is on any list.
 * @example const screen = screenWith(createAddressScreener([{ name: 'ofac', kind: 'sanctions', addresses }]))
 */
export function screenWith(screener: AddressScreener): Screen {
  return (address) => {
    const result = screener.screen(address)
    const flagged = result.lists.length > 0
    return { flagged, reasons: flagged ? result.reasons.map((r) => `${r.code}: ${r.detail}`) : [] }
  }
}

/**
 * Screens against the guard's address lists (shipped OFAC or its refreshed feed, `addresses` feeds,
 * GUARD_ADDRESS_LISTS), rebuilt whenever a feed refresh lands, so no restart is needed.
 * @example const screen = screenFromGuard(config)
 */
export function screenFromGuard(config: GuardListConfig): Screen {
  const screener = configuredScreener(config)
  return async (address) => {
    const s = await screener()
    return s ? screenWith(s)(address) : { flagged: false, reasons: [] }
  }
}

/** Loads GUARD_ADDRESS_LISTS (comma-separated paths or URLs) once and screens against them. */
export async function screenFromLists(sources: string): Promise<Screen> {
  const names = sources
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return screenWith(createAddressScreener(await loadAddressLists(names, 'drainer')))
}
