/**
 * @module What a withdrawal becomes on chain: an EIP-1559 transaction paying the approved
 * destination — native ETH (`to` = destination, `value` = amount) or an ERC-20 `transfer(to,
 * amount)` on the configured token contract. The same function builds the transaction for the hot
 * signer and the offline export, and checks an imported signed transaction against the approved
 * payload (to, value, data, chainId, nonce — and every other field against the exported one).
 */
import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  type TransactionSerializableEIP1559,
} from 'viem'
import { AppError } from '../platform/errors.ts'
import type { WithdrawalRow } from './withdrawals.ts'

const erc20Transfer = [
  {
    type: 'function',
    name: 'transfer',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const

/** Gas limits: a plain transfer, and a generous bound for a token transfer. */
export const GAS_LIMIT = { native: 21_000n, token: 100_000n }

/** `USDT=0x…,USDC=0x…` → asset → contract. */
export function parseTokenContracts(value: string): Map<string, Address> {
  const out = new Map<string, Address>()
  for (const pair of value.split(',').filter(Boolean)) {
    const [asset, contract] = pair.split('=')
    if (asset && contract) out.set(asset, getAddress(contract))
  }
  return out
}

export type Call = { to: Address; value: bigint; data?: Hex }

/** The call that pays a withdrawal. */
export function callFor(
  row: Pick<WithdrawalRow, 'asset' | 'address' | 'amount'>,
  tokens: Map<string, Address>,
): Call {
  const amount = BigInt(row.amount)
  if (row.asset === 'ETH') return { to: getAddress(row.address), value: amount }
  const contract = tokens.get(row.asset)
  if (!contract) {
    throw new AppError(
      'WITHDRAWAL_ASSET_UNAVAILABLE',
      503,
      `${row.asset} withdrawals need the token contract in CUSTODY_EVM_TOKENS.`,
    )
  }
  return {
    to: contract,
    value: 0n,
    data: encodeFunctionData({
      abi: erc20Transfer,
      functionName: 'transfer',
      args: [getAddress(row.address), amount],
    }),
  }
}

export type FeeQuote = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/** The unsigned EIP-1559 transaction for a withdrawal. */
export function buildTransaction(
  row: Pick<WithdrawalRow, 'asset' | 'address' | 'amount'>,
  tokens: Map<string, Address>,
  o: { chainId: number; nonce: number; fees: FeeQuote },
): TransactionSerializableEIP1559 {
  const call = callFor(row, tokens)
  return {
    type: 'eip1559',
    chainId: o.chainId,
    nonce: o.nonce,
    to: call.to,
    value: call.value,
    ...(call.data ? { data: call.data } : {}),
    gas: call.data ? GAS_LIMIT.token : GAS_LIMIT.native,
    maxFeePerGas: o.fees.maxFeePerGas,
    maxPriorityFeePerGas: o.fees.maxPriorityFeePerGas,
  }
}

export const txHashOf = (signed: Hex): Hex => keccak256(signed)

/** The unsigned transaction's bytes (what the offline signer signs, and what import compares). */
export const serializeUnsigned = (tx: TransactionSerializableEIP1559): Hex => serializeTransaction(tx)

/**
 * Checks a signed transaction for a withdrawal: it recovers to `signer`, and without its signature
 * it is byte for byte the unsigned transaction exported for this withdrawal, whose call is the one
 * the approved payload dictates (to, value, data), on the recorded chain and nonce. Returns the
 * problems (empty: acceptable).
 */
export async function checkSignedTransaction(
  signed: Hex,
  row: Pick<WithdrawalRow, 'asset' | 'address' | 'amount' | 'unsigned_tx' | 'chain_id' | 'nonce'>,
  tokens: Map<string, Address>,
  signer: Address,
): Promise<string[]> {
  const problems: string[] = []
  let parsed: ReturnType<typeof parseTransaction>
  try {
    parsed = parseTransaction(signed)
  } catch {
    return ['not a serialized transaction']
  }
  if (parsed.type !== 'eip1559') return ['not an EIP-1559 transaction']
  let from: Address
  try {
    from = await recoverTransactionAddress({ serializedTransaction: signed as never })
  } catch {
    return ['the signature does not recover to any address']
  }
  if (getAddress(from) !== getAddress(signer))
    problems.push(`signed by ${from}, not the cold wallet ${signer}`)
  const call = callFor(row, tokens)
  if (!parsed.to || getAddress(parsed.to) !== call.to) problems.push('pays another address or contract')
  if ((parsed.value ?? 0n) !== call.value) problems.push('moves another value')
  if ((parsed.data ?? undefined) !== (call.data ?? undefined)) problems.push('carries other call data')
  if (parsed.chainId !== row.chain_id) problems.push(`chain ${parsed.chainId}, not ${row.chain_id}`)
  if (parsed.nonce !== row.nonce) problems.push(`nonce ${parsed.nonce}, not ${row.nonce}`)
  const { r: _r, s: _s, v: _v, yParity: _y, ...unsigned } = parsed
  if (row.unsigned_tx && serializeTransaction(unsigned as TransactionSerializableEIP1559) !== row.unsigned_tx)
    problems.push('differs from the exported unsigned transaction (gas or fee fields changed)')
  return problems
}
