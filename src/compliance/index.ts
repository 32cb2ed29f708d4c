/**
 * @module Compliance's public surface: the Travel Rule service, the withdrawal step and the deposit
 * check custody asks, and the IVMS101 schemas.
 */
export { TRAVEL_RULE_DATA_MISSING, travelRuleDepositCheck } from './deposit-check.ts'
export { ownershipMessage } from './destinations.ts'
export { type IdentityPayload, identityPayload, isValidLei } from './ivms101.ts'
export { createTravelRule, type TravelRule } from './travel-rule.ts'
