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
