/**
 * @module The guard's engines held together so lists can be swapped atomically when a refresh
 * finishes: requests in flight keep the engines they started with, new requests see the new lists.
 */
import { type AddressListSource, type AddressScreener, createAddressScreener } from './address/lists.ts'
import { createDomainGuard, type DomainGuard, type DomainGuardOptions } from './domain/guard.ts'
import { createTokenGuard, type TokenGuard, type TokenInfo } from './token/counterfeit.ts'

/** Where a loaded list came from, shown by `bulwark guard lists` and on the guard page. */
export type ListSourceInfo = {
  name: string
  kind: 'domains' | 'tokens' | 'addresses'
  /** Package, file or URL it was read from. */
  source: string
  licence: string
  /** When the data was published or fetched (YYYY-MM-DD), or the package version. */
  date: string
  /** Entries read; null for an operator's list (counted in the totals only). */
  entries: number | null
  /** True for the lists Bulwark ships (GUARD_DEFAULT_LISTS). */
  shipped: boolean
}

export type GuardLists = {
  domains?: DomainGuardOptions
  tokens?: TokenInfo[]
  addresses?: AddressListSource[]
  sources?: ListSourceInfo[]
}

export type GuardEngines = {
  domains: DomainGuard
  tokens: TokenGuard
  screener: AddressScreener
  loadedAt: Date | null
  sources: ListSourceInfo[]
}

export type GuardService = {
  engines(): GuardEngines
  /** Rebuilds the engines from new lists (all at once, so they never disagree). */
  replace(lists: GuardLists, at: Date): void
}

/**
 * Joins two sets of lists (the shipped defaults and the operator's): entries add up, operator
 * brands and link shorteners win (they already include ours), the larger fuzzy tolerance is kept.
 */
export function mergeLists(a: GuardLists, b: GuardLists): GuardLists {
  const da = a.domains ?? {}
  const db = b.domains ?? {}
  const cat = <T>(x: Iterable<T> | undefined, y: Iterable<T> | undefined): T[] => {
    const out: T[] = []
    for (const v of x ?? []) out.push(v)
    for (const v of y ?? []) out.push(v)
    return out
  }
  const domains: DomainGuardOptions = {
    ...da,
    ...db,
    blocklist: cat(da.blocklist, db.blocklist),
    allowlist: cat(da.allowlist, db.allowlist),
  }
  const fuzzy = cat(da.fuzzylist, db.fuzzylist)
  if (fuzzy.length > 0) {
    domains.fuzzylist = fuzzy
    domains.fuzzyTolerance = Math.max(da.fuzzyTolerance ?? 0, db.fuzzyTolerance ?? 0)
  }
  return {
    domains,
    tokens: cat(a.tokens, b.tokens),
    addresses: cat(a.addresses, b.addresses),
    sources: cat(a.sources, b.sources),
  }
}

/** Builds the service; with no lists it still runs every heuristic (brands, lookalikes, decoding). */
export function createGuardService(lists: GuardLists = {}): GuardService {
  const build = (l: GuardLists, at: Date | null): GuardEngines => ({
    domains: createDomainGuard(l.domains ?? {}),
    tokens: createTokenGuard(l.tokens ?? []),
    screener: createAddressScreener(l.addresses ?? []),
    loadedAt: at,
    sources: l.sources ?? [],
  })
  let current = build(lists, null)
  return {
    engines: () => current,
    replace(l, at) {
      const next = build(l, at)
      // The list review walks every blocklist entry (~0.2 s for 290k); do it here, with the load,
      // rather than inside whichever GET /api/guard/lists request comes first.
      next.domains.review()
      current = next
    },
  }
}
