import { describe, expect, it } from 'vitest'
import { regionDecision, regionError } from './regions.ts'

describe('the country/region rule of an ad', () => {
  it('lets everyone take an ad without restrictions, verified or not', () => {
    expect(regionDecision([], null)).toEqual({ ok: true })
    expect(regionDecision([], { status: 'pending', country: null })).toEqual({ ok: true })
  })

  it('lets a user verified in an allowed country take the ad', () => {
    expect(regionDecision(['DE', 'AT'], { status: 'verified', country: 'AT' })).toEqual({ ok: true })
  })

  it('refuses a user verified elsewhere and says where the ad is open and what to do', () => {
    const decision = regionDecision(['DE', 'AT'], { status: 'verified', country: 'FR' })
    expect(decision.ok).toBe(false)
    if (decision.ok) return
    expect(decision.reason).toBe('country_not_allowed')
    expect(decision.message).toContain('Austria and Germany')
    expect(decision.message).toContain('France')
    expect(decision.message).toMatch(/choose another ad, or show local ads only/i)
    const error = regionError(['DE', 'AT'], decision)
    expect(error.code).toBe('P2P_REGION_NOT_ALLOWED')
    expect(error.status).toBe(403)
  })

  it('refuses unverified users on restricted ads, even when they claimed an allowed country', () => {
    const pending = regionDecision(['DE'], { status: 'pending', country: null })
    expect(pending).toMatchObject({ ok: false, reason: 'identity_unverified' })
    expect(regionDecision(['DE'], null)).toMatchObject({ ok: false, reason: 'identity_unverified' })
    expect(regionDecision(['DE'], { status: 'rejected', country: null })).toMatchObject({ ok: false })
  })

  it('calls Taiwan a region in the refusal', () => {
    const decision = regionDecision(['DE'], { status: 'verified', country: 'TW' })
    expect(decision.ok === false && decision.message).toContain('verified region is Taiwan')
  })
})
