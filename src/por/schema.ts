/**
 * @module HTTP contracts of the proof-of-reserves routes.
 */

import { z } from 'zod'
import { signedTreeHeadSchema } from '../platform/audit-log/tree-head.ts'

export const roundIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'round id: 1-64 of letters, digits, . _ : -')

export const assetViewSchema = z.object({
  symbol: z.string(),
  decimals: z.number().int(),
  equity: z.string(),
  debt: z.string(),
  liabilities: z.string(),
  reserves: z.string().nullable(),
  ratioPercent: z.string().nullable(),
  belowFullReserve: z.boolean().nullable(),
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
})
