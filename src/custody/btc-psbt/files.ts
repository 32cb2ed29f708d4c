/**
 * @module The files carried to and from the air-gapped signer (unsigned and signed PSBT batches) and the
 * byte helpers the other parts share.
 */
import { base64 } from '@scure/base'
import { Transaction } from '@scure/btc-signer'
import { z } from 'zod'
import type { WithdrawalRow } from '../withdrawals.ts'

const payloadSchema = z.object({
  id: z.string().max(64),
  user: z.string().max(64),
  asset: z.literal('BTC'),
  amount: z.string().regex(/^\d{1,20}$/),
  network: z.string().max(32),
  address: z.string().max(100),
})
const psbtText = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(400_000)
export const psbtUnsignedFileSchema = z.object({
  format: z.literal('bulwark-psbt-unsigned-v1'),
  network: z.enum(['bitcoin', 'bitcoin-testnet']),
  addressType: z.enum(['p2wpkh', 'p2tr']),
  xpub: z.string().max(120),
  feeRate: z.string().regex(/^\d{1,6}$/),
  withdrawals: z
    .array(
      z.object({
        withdrawalId: z.string().max(64),
        payload: payloadSchema,
        payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
        psbt: psbtText,
        feeSats: z.string().regex(/^\d{1,16}$/),
      }),
    )
    .max(500),
})
export type PsbtUnsignedFile = z.infer<typeof psbtUnsignedFileSchema>
export const psbtSignedFileSchema = z.object({
  format: z.literal('bulwark-psbt-signed-v1'),
  withdrawals: z
    .array(
      z.object({
        withdrawalId: z.string().max(64),
        payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
        psbt: psbtText,
      }),
    )
    .max(500),
})
export type PsbtSignedFile = z.infer<typeof psbtSignedFileSchema>

export const btcPayloadOf = (r: WithdrawalRow) => ({
  id: r.id,
  user: r.user_id,
  asset: 'BTC' as const,
  amount: BigInt(r.amount).toString(),
  network: r.network,
  address: r.address,
})

export const decodePsbt = (text: string) => Transaction.fromPSBT(base64.decode(text))
export const encodePsbt = (tx: Transaction) => base64.encode(tx.toPSBT())
export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i])
