/**
 * @module The risk event schema, version 1: one JSON shape per thing the engine watches (sign-ins,
 * security changes, deposits, withdrawal requests, P2P orders, API calls, on-chain transactions).
 * Producers in-process pass the parsed (output) type; HTTP batches and JSON Lines files are parsed
 * here. Amounts travel as decimal strings of the asset's smallest unit and become `bigint`.
 * `valueUsd` is an optional approximate fiat value used only for risk features (baselines must
 * compare like with like across assets); it never moves money. Documented in docs/risk.md.
 */
import { z } from 'zod'

/** The schema version this engine reads and writes. Bump on any incompatible change. */
export const EVENT_SCHEMA_VERSION = 1

const id = z.string().min(1).max(128)
const text = z.string().max(256)
const address = z.string().min(1).max(128)
const amount = z
  .union([z.bigint(), z.string().regex(/^[0-9]{1,78}$/, 'amount must be a decimal integer string')])
  .transform((v) => (typeof v === 'bigint' ? v : BigInt(v)))
/** ISO 8601 date-time or epoch milliseconds; normalised to whole epoch milliseconds. */
const at = z
  .union([z.iso.datetime({ offset: true }), z.number().nonnegative().max(8.64e15)])
  .transform((v) => (typeof v === 'number' ? Math.floor(v) : Date.parse(v)))

const base = {
  v: z.literal(EVENT_SCHEMA_VERSION).default(EVENT_SCHEMA_VERSION),
  id,
  at,
  account: id.optional(),
}
const network = { device: text.optional(), ip: text.optional(), country: z.string().length(2).optional() }
const money = { asset: z.string().min(1).max(32), amount, valueUsd: z.number().nonnegative().optional() }

export const riskEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('signin'), ...network }),
  z.object({ ...base, type: z.literal('signin_failed'), ...network, reason: text.optional() }),
  z.object({ ...base, type: z.literal('second_factor_failed'), ...network, method: text.optional() }),
  z.object({ ...base, type: z.literal('device_new'), ...network }),
  z.object({ ...base, type: z.literal('password_changed'), ...network }),
  z.object({ ...base, type: z.literal('second_factor_changed'), ...network }),
  z.object({ ...base, type: z.literal('email_changed'), ...network }),
  z.object({
    ...base,
    type: z.literal('whitelist_changed'),
    ...network,
    change: z.enum(['added', 'removed']),
    address: address.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('api_key_created'),
    ...network,
    permissions: z.array(text).max(32).optional(),
  }),
  z.object({ ...base, type: z.literal('api_call'), ...network, endpoint: text }),
  z.object({
    ...base,
    type: z.literal('deposit'),
    ...money,
    from: address.optional(),
    txHash: text.optional(),
  }),
  z.object({ ...base, type: z.literal('withdrawal_requested'), ...network, ...money, to: address }),
  z.object({
    ...base,
    type: z.literal('p2p_order'),
    ...network,
    ...money,
    side: z.enum(['buy', 'sell']),
    counterparty: id,
    paymentMethod: text.optional(),
  }),
  /** Identity verification found this account's document (or face) on another account. */
  z.object({
    ...base,
    type: z.literal('identity_duplicate'),
    kind: z.enum(['document', 'face']),
    otherAccount: id,
  }),
  z.object({
    ...base,
    type: z.literal('chain_tx'),
    chain: z.string().min(1).max(32),
    hash: text,
    from: address,
    to: address,
    ...money,
    block: z.number().int().nonnegative().optional(),
  }),
])

/** A parsed, validated risk event (amounts are bigint, `at` is epoch milliseconds). */
export type RiskEvent = z.output<typeof riskEventSchema>
/** The JSON shape producers send (amounts as strings, `at` as ISO text or epoch ms). */
export type RiskEventInput = z.input<typeof riskEventSchema>
export type RiskEventType = RiskEvent['type']

export const RISK_EVENT_TYPES = [
  'signin',
  'signin_failed',
  'second_factor_failed',
  'device_new',
  'password_changed',
  'second_factor_changed',
  'email_changed',
  'whitelist_changed',
  'api_key_created',
  'api_call',
  'deposit',
  'withdrawal_requested',
  'p2p_order',
  'chain_tx',
  'identity_duplicate',
] as const satisfies readonly RiskEventType[]

/** Event types that are account security changes (they start the "recent security change" clock). */
export const SECURITY_CHANGE_TYPES: ReadonlySet<RiskEventType> = new Set([
  'password_changed',
  'second_factor_changed',
  'email_changed',
  'whitelist_changed',
  'api_key_created',
])

export const decisionSchema = z.object({
  eventId: id,
  account: id.optional(),
  decision: z.enum(['allow', 'review', 'block']),
  score: z.number().min(0).max(1),
  reasons: z.array(z.object({ code: z.string(), text: z.string(), score: z.number() })),
  rulesVersion: z.string(),
  models: z.record(z.string(), z.string()),
})
export type Decision = z.output<typeof decisionSchema>
export type Reason = Decision['reasons'][number]

/**
 * Parses one event from JSON (HTTP body item, JSON Lines row).
 * @example parseRiskEvent({ id: 'e1', at: '2026-01-01T00:00:00Z', account: 'a1', type: 'signin' })
 */
export function parseRiskEvent(input: unknown): RiskEvent {
  return riskEventSchema.parse(input)
}

/** Serialises an event back to its JSON shape (bigint amounts as strings, `at` as ISO text). */
export function riskEventToJson(event: RiskEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event, at: new Date(event.at).toISOString() }
  if ('amount' in event) out.amount = event.amount.toString()
  return out
}
