/**
 * @module Zod contracts of the guard's inputs and outputs, shared by the CLI (JSON Lines) and the HTTP
 * routes, so a line the CLI accepts is exactly a body the API accepts.
 */
import { z } from 'zod'

/**
 * An amount as wallets send it: a decimal string, a JSON integer, or a hex quantity (`"0x0"`,
 * `"0xde0b6b3a7640000"`, as in `eth_sendTransaction`); always handed on as a decimal string.
 */
const quantity = z
  .union([
    z.string().regex(/^\d{1,78}$/, 'a non-negative integer in smallest units'),
    z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'a hex quantity'),
    z.number().int().nonnegative(),
  ])
  .transform((v) => BigInt(v).toString())

const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'hex bytes starting with 0x')

export const reasonSchema = z.object({ code: z.string(), detail: z.string() })
export const verdictSchema = z.enum(['allow', 'warn', 'block'])

export const domainInputSchema = z.object({ input: z.string().min(1).max(2048) })
export const domainOutputSchema = z.object({
  input: z.string(),
  verdict: verdictSchema,
  reasons: z.array(reasonSchema),
  brand: z.string().optional(),
  summary: z.string(),
})

export const addressInputSchema = z.object({
  to: z.string().min(1).max(200),
  known: z.array(z.string().max(200)).max(10_000).default([]),
  chain: z.string().max(40).optional(),
})
export const addressOutputSchema = z.object({
  to: z.string(),
  verdict: verdictSchema,
  lookalikeOf: z.string().optional(),
  reasons: z.array(reasonSchema),
  summary: z.string(),
})

export const transferInputSchema = z.object({
  chainId: z.coerce.number().int().positive(),
  token: z.string().min(1).max(200),
  symbol: z.string().max(100).default(''),
  from: z.string().min(1).max(200),
  to: z.string().min(1).max(200),
  value: quantity,
  known: z.array(z.string().max(200)).max(10_000).default([]),
  decimals: z.number().int().min(0).max(77).optional(),
})
export const transferOutputSchema = z.object({
  verdict: verdictSchema,
  poisoning: z.enum(['zero_value', 'dust', 'counterfeit_token', 'lookalike']).nullable(),
  lookalikeOf: z.string().optional(),
  reasons: z.array(reasonSchema),
  summary: z.string(),
})

export const tokenInputSchema = z.object({
  chainId: z.coerce.number().int().positive(),
  address: z.string().min(1).max(200),
  symbol: z.string().max(100),
  name: z.string().max(200).optional(),
})
export const tokenOutputSchema = z.object({
  verdict: verdictSchema,
  impersonates: z
    .object({ symbol: z.string(), name: z.string(), address: z.string(), chainId: z.number() })
    .optional(),
  reasons: z.array(reasonSchema),
  summary: z.string(),
})

export const txInputSchema = z.union([
  z.object({
    typedData: z.union([z.string().max(200_000), z.record(z.string(), z.unknown())]),
    from: z.string().max(200).optional(),
    chainId: z.coerce.number().int().positive().optional(),
  }),
  z.object({
    method: z.literal('eth_sign'),
    message: z.string().max(10_000).optional(),
    from: z.string().max(200).optional(),
  }),
  z.object({
    chainId: z.coerce.number().int().positive().optional(),
    from: z.string().max(200).optional(),
    to: z.string().min(1).max(200),
    data: hexData.max(200_000).default('0x'),
    value: quantity.default('0'),
  }),
])
export const txOutputSchema = z.object({
  verdict: verdictSchema,
  summary: z.string(),
  reasons: z.array(reasonSchema),
})

export const bytecodeInputSchema = z.object({ code: hexData.max(100_000) })
export const bytecodeOutputSchema = z.object({
  verdict: verdictSchema,
  summary: z.string(),
  reasons: z.array(reasonSchema),
  selectors: z.array(z.string()),
})

export const sanctionsInputSchema = z.object({ address: z.string().min(1).max(200) })
export const sanctionsOutputSchema = z.object({
  address: z.string(),
  verdict: verdictSchema,
  lists: z.array(z.string()),
  reasons: z.array(reasonSchema),
})

const reviewSample = <T extends z.ZodType>(entry: T) =>
  z.object({ count: z.number().int(), entries: z.array(entry).describe('at most 200; count is complete') })

/** `GET /api/guard/lists` and `bulwark guard lists`: what is loaded and what to review. */
export const listsReportSchema = z.object({
  loadedAt: z.string().nullable().describe('when the configured lists were last loaded; null = none yet'),
  domains: z.object({
    blocklist: z.number().int(),
    allowlist: z.number().int(),
    brands: z.number().int(),
    learnedTargets: z.number().int(),
    officialDomainsListed: reviewSample(z.object({ entry: z.string(), brand: z.string() })),
    linkShortenersListed: reviewSample(z.string()),
    allowlistedEntries: reviewSample(z.string()),
  }),
  tokens: z.number().int().describe('canonical tokens loaded'),
  addresses: z.number().int().describe('listed addresses loaded (sanctions, drainers, others)'),
  sources: z
    .array(
      z.object({
        name: z.string(),
        kind: z.enum(['domains', 'tokens', 'addresses']),
        source: z.string(),
        licence: z.string(),
        date: z.string(),
        entries: z.number().int().nullable(),
        shipped: z.boolean(),
      }),
    )
    .describe('where each loaded list came from: shipped defaults, downloaded feeds, configured files'),
})
