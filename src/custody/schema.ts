/**
 * @module HTTP contracts of the custody API (Zod). Amounts are decimal strings in whole units of
 * their asset (`1.5` ETH), signed where they are ledger entries; ids are UUIDs.
 */
import { z } from 'zod'
import { custodyAssets } from './assets.ts'
import { ACCOUNT_KINDS } from './tables.ts'

export const assetEnum = z.enum(custodyAssets as [string, ...string[]], {
  message: `expected one of ${custodyAssets.join(', ')}`,
})

export const balanceSchema = z.object({
  asset: z.string(),
  /** Free to trade or withdraw. */
  available: z.string(),
  /** In escrow or on hold for an order. */
  locked: z.string(),
  /** Reserved by withdrawals not sent yet. */
  pendingWithdrawal: z.string(),
  /** Deposits under review (not spendable). */
  underReview: z.string(),
})

export const movementSchema = z.object({
  id: z.string(),
  transactionId: z.uuid(),
  at: z.string(),
  kind: z.string(),
  ref: z.string(),
  asset: z.string(),
  account: z.enum(ACCOUNT_KINDS),
  /** Signed: positive into the account, negative out of it. */
  amount: z.string(),
})

export const movementsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** An entry id from the previous page: returns older movements. */
  before: z
    .string()
    .regex(/^[1-9]\d{0,18}$/, { message: 'expected a movement id' })
    .optional(),
})

export const depositAddressSchema = z.object({
  asset: z.string(),
  chain: z.enum(['evm', 'btc']),
  address: z.string(),
  createdAt: z.string(),
})

export const depositSchema = z.object({
  id: z.uuid(),
  asset: z.string(),
  amount: z.string(),
  chain: z.enum(['evm', 'btc']),
  txid: z.string(),
  address: z.string(),
  /** `under_review` covers held deposits and credited deposits a deep reorg put in question. */
  status: z.enum(['pending', 'credited', 'under_review', 'removed']),
  confirmations: z.number().int(),
  requiredConfirmations: z.number().int(),
  seenAt: z.string(),
  creditedAt: z.string().nullable(),
})

export const walletAccountSchema = z.object({
  asset: z.string(),
  kind: z.enum(ACCOUNT_KINDS),
  /** The ledger balance, signed (wallet and clearing accounts are negative: see docs/custody.md). */
  balance: z.string(),
})
