/**
 * @module The wire protocol between VASPs, in the manner of the Travel Rule Protocol (TRP): a
 * signed envelope `{ message, signature }` where `signature` is Ed25519 over the UTF-8 bytes of the
 * message's canonical JSON (RFC 8785, JCS). Every message names its sender (`from`, the sender's
 * id in the receiver's VASP directory), its receiver (`to`), a random `nonce` and a `timestamp`;
 * the receiver refuses a timestamp outside ±REPLAY_WINDOW_MS and a nonce it has seen from that
 * sender (replay protection, nonces stored in the database). Three messages: `transfer` (IVMS101
 * payload + transfer details, originator → beneficiary VASP), `transfer_reply` (accepted or
 * rejected, the answer to it) and `transfer_broadcast` (the transaction hash, once sent).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import canonicalize from 'canonicalize'
import { z } from 'zod'
import { AppError } from '../platform/errors.ts'
import { identityPayload } from './ivms101.ts'

/** How far a message's timestamp may be from the receiver's clock. */
export const REPLAY_WINDOW_MS = 5 * 60_000
export const PROTOCOL_VERSION = 'bulwark-trp/1'

const vaspId = z.string().min(1).max(64)
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`))
const header = {
  version: z.literal(PROTOCOL_VERSION),
  from: vaspId,
  to: vaspId,
  nonce: hex(16),
  timestamp: z.iso.datetime(),
}

export const transferDetails = z.strictObject({
  asset: z.string().min(1).max(16),
  network: z.string().min(1).max(32),
  /** Decimal string in the asset's unit, e.g. "1.5". */
  amount: z
    .string()
    .max(40)
    .regex(/^\d+(\.\d+)?$/),
  /** The beneficiary's address at the receiving VASP. */
  destination: z.string().min(1).max(128),
})

export const transferMessage = z.strictObject({
  ...header,
  type: z.literal('transfer'),
  transferId: z.uuid(),
  transfer: transferDetails,
  ivms101: identityPayload,
})
export const replyMessage = z.strictObject({
  ...header,
  type: z.literal('transfer_reply'),
  transferId: z.uuid(),
  decision: z.enum(['accepted', 'rejected']),
  reason: z.string().max(200).optional(),
})
export const broadcastMessage = z.strictObject({
  ...header,
  type: z.literal('transfer_broadcast'),
  transferId: z.uuid(),
  txHash: z.string().min(1).max(128),
})

export type TransferMessage = z.infer<typeof transferMessage>
export type ReplyMessage = z.infer<typeof replyMessage>
export type BroadcastMessage = z.infer<typeof broadcastMessage>
export type Message = TransferMessage | ReplyMessage | BroadcastMessage

/** The signed envelope as it travels (the message is checked against its own schema after the signature). */
export const envelope = z.strictObject({
  message: z.record(z.string().max(64), z.unknown()),
  signature: hex(64),
})
export type Envelope = { message: Message; signature: string }

/** RFC 8785 canonical JSON bytes of a message. */
export function canonicalBytes(message: unknown): Uint8Array {
  const json = canonicalize(message)
  if (json === undefined) throw new Error('message cannot be canonicalised')
  return utf8ToBytes(json)
}

/** Signs a message with a 32-byte Ed25519 secret key. */
export function sign(message: Message, secretKey: Uint8Array): Envelope {
  return { message, signature: bytesToHex(ed25519.sign(canonicalBytes(message), secretKey)) }
}

/** True when `signature` (hex) is the key's Ed25519 signature over the message's canonical JSON. */
export function verifySignature(message: unknown, signature: string, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(hexToBytes(signature), canonicalBytes(message), hexToBytes(publicKeyHex))
  } catch {
    // A malformed key or signature is a signature that does not verify.
    return false
  }
}

/** The Ed25519 public key (hex) of a secret key (hex). */
export function publicKeyOf(secretKeyHex: string): string {
  return bytesToHex(ed25519.getPublicKey(hexToBytes(secretKeyHex)))
}

/** A fresh header for a message from `from` to `to` at `now`. */
export function header_(from: string, to: string, now: Date) {
  return {
    version: PROTOCOL_VERSION,
    from,
    to,
    nonce: randomBytes(16).toString('hex'),
    timestamp: now.toISOString(),
  } as const
}

export const newTransferId = () => randomUUID()

/** Refuses a timestamp outside the replay window (the nonce is checked against the database). */
export function checkFreshness(timestamp: string, now: Date): void {
  const skew = Math.abs(Date.parse(timestamp) - now.getTime())
  if (!(skew <= REPLAY_WINDOW_MS))
    throw new AppError(
      'TRAVEL_RULE_STALE_MESSAGE',
      401,
      `The message's timestamp is more than ${REPLAY_WINDOW_MS / 60_000} minutes from our clock; send a fresh message.`,
    )
}
