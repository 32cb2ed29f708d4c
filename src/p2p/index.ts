/**
 * @module The P2P marketplace's public surface: identity countries, ads with country/region
 * restrictions, orders with escrow (on the custody ledger, through the `EscrowLedger` the caller
 * passes in: `p2pEscrow` in src/custody), disputes and metrics. Other domains import from here only.
 */
import { createAds } from './ads.ts'
import type { P2pDeps } from './deps.ts'
import { createIdentities } from './identity.ts'
import { adMetrics } from './metrics.ts'
import { createOrders } from './orders.ts'

export type { AdFilters, AdInput, AdView, Eligibility } from './ads.ts'
export { paymentMethods } from './ads.ts'
export { countries, country, isCountryCode } from './countries.ts'
export type { P2pDeps, SecondFactor, SecondFactorInput } from './deps.ts'
export type { DocumentCountryInput, IdentityView } from './identity.ts'
export { recordDocumentCountry } from './identity.ts'
export type { Balance, EscrowLedger, Movement } from './ledger.ts'
export type { AdMetrics, Metrics } from './metrics.ts'
export { migrations } from './migrations.ts'
export { assets, fiats, formatUnits, parseUnits } from './money.ts'
export type { OrderView, PlaceOrderInput } from './orders.ts'
export { APPEAL_AFTER_MS, MAX_UNPAID_ORDERS } from './orders.ts'
export { REGION_NOT_ALLOWED, regionDecision } from './regions.ts'
export type { P2pTables } from './tables.ts'

/**
 * The P2P service with its dependencies bound.
 * @example const p2p = createP2p({ db, clock, events, ledger: p2pEscrow({ db, clock }), secondFactor, outflow })
 */
export function createP2p(deps: P2pDeps) {
  return {
    deps,
    identities: createIdentities(deps),
    ads: createAds(deps),
    orders: createOrders(deps),
    metrics: (adIds?: string[]) => adMetrics(deps.db, adIds),
  }
}
export type P2p = ReturnType<typeof createP2p>
