/**
 * @module HTTP contracts of the proof-of-reserves routes.
 */

import { z } from 'zod'
import { signedTreeHeadSchema } from '../platform/audit-log/tree-head.ts'

/**
 * A round id: 1-64 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit, so no id
 * is `.`, `..` or a hidden file name (a round's files live in a folder named after its id).
 */
export const ROUND_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/
export const ROUND_ID_FORMAT = '1-64 of letters, digits, . _ : - starting with a letter or digit'

export const roundIdSchema = z.string().regex(ROUND_ID_PATTERN, `round id: ${ROUND_ID_FORMAT}`)

export const assetViewSchema = z.object({
  symbol: z.string(),
  decimals: z.number().int(),
  equity: z.string(),
  debt: z.string(),
  liabilities: z.string(),
  reserves: z.string().nullable(),
  ratioPercent: z.string().nullable(),
  belowFullReserve: z.boolean().nullable(),
  insuranceFund: z.string().nullable(),
})

export const walletCheckSchema = z.object({
  line: z.number().int(),
  chain: z.string(),
  address: z.string(),
  asset: z.string(),
  token: z.string().nullable(),
  ok: z.boolean(),
  detail: z.string(),
  declared: z.string(),
  onChain: z.string().nullable(),
  block: z.number().int().nullable(),
})

export const roundReservesSchema = z.object({
  status: z.enum(['verified', 'declared', 'unverified', 'none']),
  note: z.string().nullable(),
  problem: z.string().nullable(),
  checkedAt: z.string().nullable(),
  wallets: z.array(walletCheckSchema),
  snapshotBlocks: z.record(z.string(), z.object({ height: z.number().int(), hash: z.string() })),
  challenge: z.object({ message: z.string(), snapshots: z.record(z.string(), z.number().int()) }).nullable(),
})

export const insuranceFundSchema = z.object({
  at: z.string(),
  assets: z.array(z.object({ symbol: z.string(), units: z.string(), amount: z.string() })),
})

/** Snapshot block height per chain id, as the reserve challenge takes it. */
export const challengeBodySchema = z.object({
  snapshots: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'chain id: lowercase letters, digits and -'),
      z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    )
    .refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= 32, {
      message: 'name 1 to 32 chains',
    }),
})

export const exemptionBodySchema = z.object({
  reason: z.string().trim().min(1).max(500),
})

export const roundSchema = z.object({
  id: z.string(),
  status: z.enum(['created', 'imported', 'built', 'reviewed', 'published']),
  createdAt: z.string(),
  builtAt: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  root: z.string().nullable(),
  depth: z.number().int().nullable(),
  users: z.number().int().nullable(),
  assets: z.array(assetViewSchema),
  /** The signed audit tree head the round was published under: the log of every step up to then. */
  auditHead: signedTreeHeadSchema.nullable(),
  /** What the server verified about the reserves when it built the round, wallet by wallet. */
  reserves: roundReservesSchema,
  /** The insurance fund per asset from the custody ledger when the round was built. */
  insuranceFund: insuranceFundSchema.nullable(),
})
