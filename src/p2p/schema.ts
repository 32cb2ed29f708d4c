/**
 * @module HTTP contracts of the P2P API (Zod): amounts and prices are decimal strings, ids UUIDs,
 * countries ISO 3166 alpha-2 codes.
 */
import { z } from 'zod'
import { paymentMethods } from './ads.ts'
import { assets, fiats } from './money.ts'

const decimal = z
  .string()
  .trim()
  .max(80)
  .regex(/^(0|[1-9]\d*)(\.\d+)?$/, { message: 'expected a decimal number like 12.50' })
const countryCode = z.string().regex(/^[A-Z]{2}$/, { message: 'expected an ISO 3166 alpha-2 code like DE' })
export const idParams = z.object({ id: z.uuid({ message: 'expected an id (UUID)' }) })
const assetEnum = z.enum(Object.keys(assets) as [keyof typeof assets, ...(keyof typeof assets)[]])
const fiatEnum = z.enum(Object.keys(fiats) as [keyof typeof fiats, ...(keyof typeof fiats)[]])

export const adInputSchema = z.object({
  side: z.enum(['buy', 'sell']),
  asset: assetEnum,
  fiat: fiatEnum,
  priceType: z.enum(['fixed', 'floating']),
  fixedPrice: decimal.nullish(),
  marginBps: z.number().int().min(-9_999).max(100_000).nullish(),
  minOrder: decimal,
  maxOrder: decimal,
  availableAmount: decimal,
  paymentMethods: z.array(z.enum(paymentMethods)).min(1).max(paymentMethods.length),
  terms: z.string().max(2000),
  allowedCountries: z.array(countryCode).max(249),
  paymentWindowMinutes: z.number().int().min(5).max(180).optional(),
})

export const eligibilitySchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), code: z.string(), reason: z.string() }),
])

export const adSchema = z.object({
  id: z.string(),
  side: z.enum(['buy', 'sell']),
  asset: z.string(),
  fiat: z.string(),
  priceType: z.enum(['fixed', 'floating']),
  price: z.string().nullable(),
  marginBps: z.number().nullable(),
  minOrder: z.string(),
  maxOrder: z.string(),
  availableAmount: z.string(),
  paymentMethods: z.array(z.string()),
  terms: z.string(),
  allowedCountries: z.array(z.string()),
  paymentWindowMinutes: z.number(),
  status: z.enum(['active', 'paused', 'closed']),
  version: z.number(),
  advertiser: z.object({ id: z.string(), displayName: z.string(), country: z.string().nullable() }),
  eligibility: eligibilitySchema,
  updatedAt: z.string(),
})

const counts = {
  views: z.number(),
  blocked: z.number(),
  orders: z.number(),
  open: z.number(),
  completed: z.number(),
  cancelled: z.number(),
  expired: z.number(),
  appealed: z.number(),
  refunded: z.number(),
  abnormal: z.number(),
  completionRate: z.string().nullable(),
  conversion: z.string().nullable(),
}
export const metricsSchema = z.object(counts)
export const adMetricsSchema = z.object({
  ...counts,
  adId: z.string(),
  byAllowlist: z.array(
    z.object({
      ...counts,
      allowlistVersion: z.number(),
      allowedCountries: z.array(z.string()),
      since: z.string(),
    }),
  ),
})

export const orderSchema = z.object({
  id: z.string(),
  adId: z.string(),
  adVersion: z.number(),
  role: z.enum(['buyer', 'seller', 'staff']),
  buyer: z.object({ id: z.string(), displayName: z.string() }),
  seller: z.object({ id: z.string(), displayName: z.string() }),
  asset: z.string(),
  fiat: z.string(),
  amount: z.string(),
  price: z.string(),
  fiatAmount: z.string(),
  terms: z.object({
    side: z.enum(['buy', 'sell']),
    price: z.string(),
    priceType: z.enum(['fixed', 'floating']),
    marginBps: z.number().nullable(),
    paymentMethods: z.array(z.string()),
    terms: z.string(),
    minOrderFiat: z.string(),
    maxOrderFiat: z.string(),
    allowedCountries: z.array(z.string()),
    paymentWindowMinutes: z.number(),
  }),
  status: z.enum(['pending_payment', 'paid', 'released', 'cancelled', 'expired', 'refunded']),
  createdAt: z.string(),
  expiresAt: z.string(),
  paidAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  appealableAt: z.string().nullable(),
  appealOpen: z.boolean(),
  appeal: z.object({ at: z.string(), by: z.string(), reason: z.string() }).nullable(),
  resolution: z.enum(['release', 'refund']).nullable(),
})

export const identitySchema = z.object({
  userId: z.string(),
  status: z.enum(['pending', 'verified', 'rejected']),
  claimedCountry: z.string(),
  country: z.string().nullable(),
  note: z.string(),
  submittedAt: z.string(),
  reviewedAt: z.string().nullable(),
})

export const placeOrderSchema = z
  .object({
    amount: decimal.optional(),
    fiatAmount: decimal.optional(),
    idempotencyKey: z.string().min(8).max(100).optional(),
  })
  .refine((b) => (b.amount === undefined) !== (b.fiatAmount === undefined), {
    message: 'give either amount (crypto) or fiatAmount',
  })

export const secondFactorSchema = z.object({
  totpCode: z.string().trim().max(20).optional(),
  passkeyResponse: z.record(z.string(), z.unknown()).optional(),
})
