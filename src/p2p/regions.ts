/**
 * @module The country/region rule of an ad: who may take it. Always decided on the taker's
 * KYC-verified country (never the IP address); an empty allowlist means everyone. The same
 * function drives the server's refusal at order placement, the ad list's "disabled because …"
 * and "Show local ads only", so what a user sees and what the server enforces cannot drift apart.
 */
import { AppError } from '../platform/errors.ts'
import { type CountryCode, country, listNames } from './countries.ts'

export type VerifiedIdentity = {
  status: 'pending' | 'verified' | 'rejected'
  country: CountryCode | null
} | null

export type RegionDecision =
  | { ok: true }
  | { ok: false; reason: 'identity_unverified' | 'country_not_allowed'; message: string }

export const REGION_NOT_ALLOWED = 'P2P_REGION_NOT_ALLOWED'

/** The verified country of an identity, or null when there is none (yet). */
export function verifiedCountry(identity: VerifiedIdentity): CountryCode | null {
  return identity?.status === 'verified' ? identity.country : null
}

/**
 * Decides whether someone with `identity` may trade on an ad restricted to `allowed`.
 * @example regionDecision(['DE', 'AT'], { status: 'verified', country: 'FR' }).ok // false
 */
export function regionDecision(allowed: readonly CountryCode[], identity: VerifiedIdentity): RegionDecision {
  if (allowed.length === 0) return { ok: true }
  const where = listNames(allowed)
  const mine = verifiedCountry(identity)
  if (mine === null) {
    return {
      ok: false,
      reason: 'identity_unverified',
      message: `This ad is only for users verified in ${where}, and your country or region is not verified yet. Verify your identity, or choose another ad or show local ads only.`,
    }
  }
  if (allowed.includes(mine)) return { ok: true }
  return {
    ok: false,
    reason: 'country_not_allowed',
    message: `This ad is only for users verified in ${where}; your verified ${country(mine).kind} is ${country(mine).name}. Choose another ad, or show local ads only to see ads you can take.`,
  }
}

/** The refusal as the error the API returns (403 `P2P_REGION_NOT_ALLOWED`). */
export function regionError(allowed: readonly CountryCode[], decision: RegionDecision & { ok: false }) {
  return new AppError(REGION_NOT_ALLOWED, 403, decision.message, {
    details: {
      reason: decision.reason,
      allowedCountries: [...allowed],
      actions: ['choose_another_ad', 'show_local_ads'],
    },
  })
}
