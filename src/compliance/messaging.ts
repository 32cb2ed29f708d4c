/**
 * @module The transport of the VASP-to-VASP protocol (messages and signing are in protocol.ts):
 * opening an inbound signed envelope (sender active in our directory, signature by its key,
 * addressed to us, fresh, nonce unseen), sending a signed message, and checking a signed answer.
 */
import { appendAudit } from '../platform/audit.ts'
import { AppError } from '../platform/errors.ts'
import type { TransferRow, TravelRuleContext, VaspRow } from './context.ts'
import {
  checkFreshness,
  envelope,
  type ReplyMessage,
  replyMessage,
  sign,
  verifySignature,
} from './protocol.ts'

/** @example const messaging = vaspMessaging(ctx); const { message, sender } = await messaging.open(body) */
export function vaspMessaging(ctx: TravelRuleContext) {
  const { db, clock, config, me } = ctx

  /** Records a nonce from a VASP; a second sighting is a replay. */
  async function recordNonce(vaspId: string, nonce: string): Promise<void> {
    const inserted = await db
      .insertInto('travel_rule_nonces')
      .values({ vasp_id: vaspId, nonce, seen_at: clock.now() })
      .onConflict((oc) => oc.columns(['vasp_id', 'nonce']).doNothing())
      .returning('nonce')
      .executeTakeFirst()
    if (!inserted)
      throw new AppError(
        'TRAVEL_RULE_REPLAYED',
        409,
        'This message was already received (its nonce was seen before).',
      )
  }

  return {
    /**
     * Opens a signed envelope from another VASP: the sender must be active in our directory, the
     * signature valid for its key, the message addressed to us, fresh and not seen before.
     */
    async open(body: unknown): Promise<{ message: Record<string, unknown>; sender: VaspRow }> {
      const parsed = envelope.safeParse(body)
      if (!parsed.success)
        throw new AppError(
          'TRAVEL_RULE_INVALID_MESSAGE',
          400,
          'Send a signed envelope { message, signature }.',
        )
      const { message, signature } = parsed.data
      const sender = typeof message.from === 'string' ? await ctx.vasp(message.from) : undefined
      if (sender?.status !== 'active')
        throw new AppError(
          'TRAVEL_RULE_UNKNOWN_VASP',
          401,
          'The sending VASP is not in our Travel Rule directory.',
        )
      if (!verifySignature(message, signature, sender.public_key)) {
        await appendAudit(db, {
          actor: `vasp:${sender.id}`,
          action: 'travel_rule.signature_refused',
          target: `vasp:${sender.id}`,
          details: { type: String(message.type ?? '') },
          at: clock.now(),
        })
        throw new AppError(
          'TRAVEL_RULE_BAD_SIGNATURE',
          401,
          'The signature does not verify with the key our directory holds for your VASP.',
        )
      }
      if (message.to !== me)
        throw new AppError(
          'TRAVEL_RULE_WRONG_RECIPIENT',
          400,
          `This message is addressed to ${String(message.to)}, not to ${me}.`,
        )
      checkFreshness(String(message.timestamp ?? ''), clock.now())
      await recordNonce(sender.id, String(message.nonce ?? ''))
      return { message, sender }
    },

    /** Signs `message` with our key and posts it to `target`; the status and the JSON body (or null). */
    async send(
      target: VaspRow,
      path: string,
      message: Parameters<typeof sign>[0],
    ): Promise<{ status: number; body: unknown }> {
      const env = sign(message, ctx.secretKey())
      const response = await ctx.http(`${target.base_url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(env),
        redirect: 'error',
        signal: AbortSignal.timeout(config.TRAVEL_RULE_TIMEOUT_SECONDS * 1000),
      })
      const text = await response.text()
      let body: unknown = null
      try {
        body = JSON.parse(text)
      } catch {
        body = null
      }
      return { status: response.status, body }
    },

    /** The answer as a verified reply, or why it is not one. */
    async verifiedReply(
      target: VaspRow,
      row: TransferRow,
      answer: { status: number; body: unknown },
    ): Promise<ReplyMessage | string> {
      if (answer.status !== 200) {
        const code = (answer.body as { code?: unknown } | null)?.code
        return `HTTP ${answer.status}${typeof code === 'string' ? ` ${code.slice(0, 60)}` : ''}`
      }
      const env = envelope.safeParse(answer.body)
      if (!env.success) return 'the answer is not a signed envelope'
      if (!verifySignature(env.data.message, env.data.signature, target.public_key)) {
        await appendAudit(db, {
          actor: `vasp:${target.id}`,
          action: 'travel_rule.signature_refused',
          target: `travel_rule:${row.id}`,
          details: { type: 'transfer_reply' },
          at: clock.now(),
        })
        return 'the answer’s signature does not verify with the directory key'
      }
      const reply = replyMessage.safeParse(env.data.message)
      if (!reply.success) return 'the answer is not a transfer reply'
      const r = reply.data
      if (r.from !== target.id || r.to !== me || r.transferId !== row.transfer_id)
        return 'the answer is for another transfer'
      try {
        checkFreshness(r.timestamp, clock.now())
        await recordNonce(target.id, r.nonce)
      } catch (error) {
        return error instanceof AppError ? error.code : 'replay check failed'
      }
      return r
    },
  }
}
export type VaspMessaging = ReturnType<typeof vaspMessaging>
