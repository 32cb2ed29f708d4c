/**
 * @module The P2P API's shapes as the web app reads them, and small helpers shared by the pages.
 */
import { useEffect, useState } from 'react'
import { get } from '../platform/api.ts'

export type Eligibility = { ok: true } | { ok: false; code: string; reason: string }

export type Ad = {
  id: string
  side: 'buy' | 'sell'
  asset: string
  fiat: string
  priceType: 'fixed' | 'floating'
  price: string | null
  marginBps: number | null
  minOrder: string
  maxOrder: string
  availableAmount: string
  paymentMethods: string[]
  terms: string
  allowedCountries: string[]
  paymentWindowMinutes: number
  status: 'active' | 'paused' | 'closed'
  version: number
  advertiser: { id: string; displayName: string; country: string | null }
  eligibility: Eligibility
  updatedAt: string
}

export type Metrics = {
  views: number
  blocked: number
  orders: number
  open: number
  completed: number
  cancelled: number
  expired: number
  appealed: number
  refunded: number
  abnormal: number
  completionRate: string | null
  conversion: string | null
}

export type AdMetrics = Metrics & {
  adId: string
  byAllowlist: Array<Metrics & { allowlistVersion: number; allowedCountries: string[]; since: string }>
}

export type Order = {
  id: string
  adId: string
  adVersion: number
  role: 'buyer' | 'seller' | 'staff'
  buyer: { id: string; displayName: string }
  seller: { id: string; displayName: string }
  asset: string
  fiat: string
  amount: string
  price: string
  fiatAmount: string
  terms: {
    side: 'buy' | 'sell'
    price: string
    paymentMethods: string[]
    terms: string
    minOrderFiat: string
    maxOrderFiat: string
    allowedCountries: string[]
    paymentWindowMinutes: number
  }
  status: 'pending_payment' | 'paid' | 'released' | 'cancelled' | 'expired' | 'refunded'
  createdAt: string
  expiresAt: string
  paidAt: string | null
  completedAt: string | null
  appealableAt: string | null
  appealOpen: boolean
  appeal: { at: string; by: string; reason: string } | null
  resolution: 'release' | 'refund' | null
}

export type Country = { code: string; name: string; kind: 'country' | 'region' }
export type Reference = { countries: Country[]; paymentMethods: string[]; assets: string[]; fiats: string[] }

let cached: Promise<Reference> | null = null

/** Countries/regions, payment methods, assets and fiats (loaded once). */
export function useReference(): Reference | null {
  const [reference, setReference] = useState<Reference | null>(null)
  useEffect(() => {
    cached ??= get<Reference>('/api/p2p/reference')
    cached.then(setReference).catch(() => {
      cached = null
    })
  }, [])
  return reference
}

export function countryName(reference: Reference | null, code: string | null): string {
  if (!code) return 'not verified'
  return reference?.countries.find((c) => c.code === code)?.name ?? code
}

export function restrictionText(reference: Reference | null, codes: string[]): string {
  if (codes.length === 0) return 'Everyone'
  return codes
    .map((c) => countryName(reference, c))
    .sort((a, b) => a.localeCompare(b, 'en'))
    .join(', ')
}

export const percent = (ratio: string | null) =>
  ratio === null ? '–' : `${(Number(ratio) * 100).toFixed(1)} %`

export const statusLabel: Record<Order['status'], string> = {
  pending_payment: 'Waiting for payment',
  paid: 'Paid, waiting for release',
  released: 'Completed',
  cancelled: 'Cancelled',
  expired: 'Expired',
  refunded: 'Refunded to seller',
}
