/**
 * @module Offline (cold-wallet) signing. `exportUnsigned` assigns each approved offline withdrawal a
 * cold-wallet nonce, records its unsigned EIP-1559 transaction and writes them to a file with each
 * approved payload and its hash. `signFile` runs on the air-gapped machine: no database, no network,
 * just the file and the key. `importSigned` accepts a signature only if it recovers to
 * CUSTODY_COLD_WALLET_ADDRESS and the transaction is exactly the exported one for the approved
 * payload (to, value, data, chainId, nonce, gas and fees); the broadcaster then sends it.
 * Bitcoin withdrawals take the same three steps with PSBTs instead (btc-psbt.ts).
 */

import {
  type Address,
  getAddress,
  type Hex,
  parseTransaction,
  type TransactionSerializableEIP1559,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { z } from 'zod'
import type { Clock } from '../platform/clock.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import { feeQuote, nextNonce, rpcClient } from './broadcast.ts'
import { buildTransaction, callFor, checkSignedTransaction, serializeUnsigned, txHashOf } from './signing.ts'
import { payloadHash, type WithdrawalRow, type Withdrawals } from './withdrawals.ts'

const hex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/)
  .max(20_000)
const payload = z.object({
  id: z.string(),
  user: z.string(),
  asset: z.string(),
  amount: z.string(),
  network: z.string(),
  address: z.string(),
})
export const unsignedFileSchema = z.object({
  format: z.literal('bulwark-unsigned-v1'),
  from: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  chainId: z.number().int(),
  transactions: z
    .array(z.object({ withdrawalId: z.string(), payload, payloadHash: z.string(), unsignedTx: hex }))
    .max(1000),
})
export type UnsignedFile = z.infer<typeof unsignedFileSchema>
export const signedFileSchema = z.object({
  format: z.literal('bulwark-signed-v1'),
  from: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  chainId: z.number().int(),
  transactions: z
    .array(z.object({ withdrawalId: z.string(), payloadHash: z.string(), signedTx: hex }))
    .max(1000),
})
export type SignedFile = z.infer<typeof signedFileSchema>

const payloadOf = (r: WithdrawalRow) => ({
  id: r.id,
  user: r.user_id,
  asset: r.asset,
  amount: BigInt(r.amount).toString(),
  network: r.network,
  address: r.address,
})

export type OfflineDeps = {
  db: Db
  clock: Pick<Clock, 'now'>
  rpcUrl: string
  coldWallet: Address
  tokens: Map<string, Address>
  withdrawals: Withdrawals
}

/**
 * Assigns nonces to approved offline withdrawals and returns the file to carry to the signer.
 * Withdrawals exported before and not yet signed are exported again with the same transaction.
 */
export async function exportUnsigned(deps: OfflineDeps): Promise<UnsignedFile> {
  const client = rpcClient(deps.rpcUrl)
  const chainId = await client.getChainId()
  const ready = await deps.db
    .selectFrom('custody_withdrawals')
    .select('id')
    .where('status', '=', 'approved')
    .where('signing_mode', '=', 'offline')
    // Bitcoin withdrawals leave as PSBTs (btc-psbt.ts), never as EVM transactions.
    .where('asset', '!=', 'BTC')
    .orderBy('approved_at')
    .limit(500)
    .execute()
  if (ready.length > 0) {
    const fees = await feeQuote(client)
    for (const { id } of ready) {
      const nonce = await nextNonce(deps.db, client, 'offline', chainId, deps.coldWallet)
      await deps.withdrawals
        .transition(id, ['approved'], 'cli', async (_tx, row) => {
          const tx = buildTransaction(row, deps.tokens, { chainId, nonce, fees })
          return {
            status: 'signing',
            set: { chain_id: chainId, nonce, unsigned_tx: serializeUnsigned(tx) },
            step: {
              step: 'signing',
              verdict: 'review',
              detail: `exported for offline signing, nonce ${nonce}`,
            },
            audit: { nonce, coldWallet: deps.coldWallet },
          }
        })
        .catch((error: unknown) => {
          if (!(error instanceof AppError && error.code === 'WITHDRAWAL_STATE')) throw error
        })
    }
  }
  const rows = (await deps.db
    .selectFrom('custody_withdrawals')
    .selectAll()
    .where('status', '=', 'signing')
    .where('signing_mode', '=', 'offline')
    .where('signed_tx', 'is', null)
    .where('chain_id', '=', chainId)
    .orderBy('nonce')
    .execute()) as WithdrawalRow[]
  return {
    format: 'bulwark-unsigned-v1',
    from: deps.coldWallet,
    chainId,
    transactions: rows.map((r) => ({
      withdrawalId: r.id,
      payload: payloadOf(r),
      payloadHash: r.payload_hash,
      unsignedTx: r.unsigned_tx!,
    })),
  }
}

/**
 * Signs every transaction of an export with the cold key (air-gapped: no database, no network).
 * Refuses a file for another wallet and any entry whose payload hash does not match its payload.
 */
export async function signFile(file: UnsignedFile, key: Hex): Promise<SignedFile> {
  const account = privateKeyToAccount(key)
  if (getAddress(account.address) !== getAddress(file.from))
    throw new Error(`this key is for ${account.address}, the file is for ${file.from}`)
  const transactions: SignedFile['transactions'] = []
  for (const t of file.transactions) {
    if (payloadHash(t.payload) !== t.payloadHash)
      throw new Error(`withdrawal ${t.withdrawalId}: the payload does not match its hash`)
    const parsed = parseTransaction(t.unsignedTx as Hex) as TransactionSerializableEIP1559
    if (parsed.chainId !== file.chainId) throw new Error(`withdrawal ${t.withdrawalId}: another chain`)
    // The signer checks what it signs pays the payload: recipient and amount (a token's contract
    // address is checked again on import, against CUSTODY_EVM_TOKENS).
    const tokens = new Map(parsed.to ? [[t.payload.asset, getAddress(parsed.to)]] : [])
    const call = callFor(t.payload, tokens)
    if (
      !parsed.to ||
      getAddress(parsed.to) !== call.to ||
      (parsed.value ?? 0n) !== call.value ||
      (parsed.data ?? undefined) !== (call.data ?? undefined)
    )
      throw new Error(`withdrawal ${t.withdrawalId}: the transaction does not pay the payload`)
    transactions.push({
      withdrawalId: t.withdrawalId,
      payloadHash: t.payloadHash,
      signedTx: await account.signTransaction({ ...parsed, type: 'eip1559' }),
    })
  }
  return { format: 'bulwark-signed-v1', from: file.from, chainId: file.chainId, transactions }
}

export type ImportResult = {
  accepted: string[]
  refused: { withdrawalId: string; problems: string[] }[]
}

/** Verifies each signed transaction against its approved payload and queues it for broadcast. */
export async function importSigned(
  deps: Omit<OfflineDeps, 'rpcUrl'>,
  file: SignedFile,
): Promise<ImportResult> {
  const out: ImportResult = { accepted: [], refused: [] }
  for (const t of file.transactions) {
    const row = (await deps.db
      .selectFrom('custody_withdrawals')
      .selectAll()
      .where('id', '=', t.withdrawalId)
      .executeTakeFirst()) as WithdrawalRow | undefined
    if (!row) {
      out.refused.push({ withdrawalId: t.withdrawalId, problems: ['no such withdrawal'] })
      continue
    }
    const problems: string[] = []
    if (row.status !== 'signing' || row.signing_mode !== 'offline' || row.signed_tx !== null)
      problems.push(`the withdrawal is ${row.status}, not waiting for an offline signature`)
    if (payloadHash({ ...payloadOf(row) }) !== row.payload_hash || t.payloadHash !== row.payload_hash)
      problems.push('the payload hash is not the approved one')
    problems.push(...(await checkSignedTransaction(t.signedTx as Hex, row, deps.tokens, deps.coldWallet)))
    if (problems.length > 0) {
      out.refused.push({ withdrawalId: t.withdrawalId, problems })
      continue
    }
    await deps.withdrawals.transition(row.id, ['signing'], 'cli', async (_tx, locked) => {
      if (locked.signed_tx !== null) throw new AppError('WITHDRAWAL_STATE', 409, 'Already imported.')
      return {
        status: 'signing',
        set: { signed_tx: t.signedTx, tx_hash: txHashOf(t.signedTx as Hex) },
        step: { step: 'signing', verdict: 'pass', detail: 'cold wallet signature verified' },
        audit: { txHash: txHashOf(t.signedTx as Hex), signer: deps.coldWallet },
      }
    })
    out.accepted.push(row.id)
  }
  return out
}
