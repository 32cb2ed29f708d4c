/**
 * @module Compliance's public surface: the Travel Rule service, the withdrawal step and the deposit
 * check custody asks, and the IVMS101 schemas.
 */
export { TRAVEL_RULE_DATA_MISSING, travelRuleDepositCheck } from './deposit-check.ts'
export { type IdentityPayload, identityPayload, isValidLei } from './ivms101.ts'
export { createTravelRule, ownershipMessage, type TravelRule } from './travel-rule.ts'
