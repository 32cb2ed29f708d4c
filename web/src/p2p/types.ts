/**
 * @module The P2P API's shapes as the web app reads them, and small helpers shared by the pages.
 * The response shapes are the server's own types (type-only imports, erased from the bundle), so
 * the pages cannot drift from what the API sends.
 */
import { useEffect, useState } from 'react'
import type { AdView, OrderView } from '../../../src/p2p/index.ts'
import { get } from '../platform/api.ts'

export type { AdMetrics, Metrics } from '../../../src/p2p/index.ts'
export type Ad = AdView
export type Order = OrderView

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
