/**
 * @module EVM reserve checks through viem: address ownership by EIP-191 `personal_sign`, contract
 * wallets through their owners (Safe `getOwners`/`getThreshold`, or ERC-1271 `isValidSignature`),
 * and balances at the snapshot block (native `eth_getBalance`, ERC-20 `balanceOf` via `eth_call`).
 * Contract state is always read at the snapshot block, so a wallet whose owners changed after the
 * snapshot is judged by the owners it had then.
 */
import type { Address, Hex, PublicClient } from 'viem'
import { getAddress, hashMessage, isAddress, isAddressEqual, parseAbi, recoverMessageAddress } from 'viem'
import type { OwnershipResult } from './bitcoin.ts'

const SAFE_ABI = parseAbi([
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
])
const ERC1271_ABI = parseAbi([
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
])
const ERC20_ABI = parseAbi(['function balanceOf(address owner) view returns (uint256)'])
const ERC1271_MAGIC = '0x1626ba7e'

/** The slice of a viem client these checks need (easy to satisfy with any transport). */
export type EvmReader = Pick<PublicClient, 'readContract' | 'getBalance' | 'getCode' | 'getBlock'>

function asHex(signature: string): Hex | null {
  return /^0x[0-9a-fA-F]+$/.test(signature) ? (signature as Hex) : null
}

async function recover(message: string, signature: string): Promise<Address | { error: string }> {
  const sig = asHex(signature)
  if (!sig || (sig.length !== 132 && sig.length !== 130))
    return { error: 'signature is not 65 bytes of 0x-hex' }
  try {
    return await recoverMessageAddress({ message, signature: sig })
  } catch (cause) {
    return { error: `no signer can be recovered (${(cause as Error).message.split('\n')[0]})` }
  }
}

/**
 * Verifies an EIP-191 `personal_sign` signature by an externally owned account.
 * @example await verifyEip191('0xAbc…', challengeMessage(c), '0x…') // { ok: true, … }
 */
export async function verifyEip191(
  address: string,
  message: string,
  signature: string,
): Promise<OwnershipResult> {
  if (!isAddress(address, { strict: false }))
    return { ok: false, reason: `"${address}" is not an EVM address` }
  const signer = await recover(message, signature)
  if (typeof signer !== 'string') return { ok: false, reason: signer.error }
  if (!isAddressEqual(signer, address)) {
    return { ok: false, reason: `signature was made by ${signer}, not by ${getAddress(address)}` }
  }
  return { ok: true, detail: `EIP-191 signature by ${signer}` }
}

/**
 * Verifies a Safe-style contract wallet: at the snapshot block, `getThreshold()` distinct owners
 * from `getOwners()` must each have signed the message with EIP-191.
 */
export async function verifySafeOwners(
  client: EvmReader,
  params: { address: string; message: string; signatures: string[]; blockNumber: bigint },
): Promise<OwnershipResult> {
  if (!isAddress(params.address, { strict: false }))
    return { ok: false, reason: `"${params.address}" is not an EVM address` }
  const address = getAddress(params.address)
  let owners: readonly Address[]
  let threshold: bigint
  try {
    const at = { address, blockNumber: params.blockNumber } as const
    owners = await client.readContract({ ...at, abi: SAFE_ABI, functionName: 'getOwners' })
    threshold = await client.readContract({ ...at, abi: SAFE_ABI, functionName: 'getThreshold' })
  } catch (cause) {
    return {
      ok: false,
      reason: `getOwners()/getThreshold() failed at block ${params.blockNumber}: ${(cause as Error).message.split('\n')[0]}`,
    }
  }
  if (threshold < 1n) return { ok: false, reason: `the wallet's threshold is ${threshold}` }
  const signed = new Set<string>()
  for (const [i, signature] of params.signatures.entries()) {
    const signer = await recover(params.message, signature)
    if (typeof signer !== 'string') return { ok: false, reason: `signature ${i + 1}: ${signer.error}` }
    if (!owners.some((o) => isAddressEqual(o, signer))) {
      return {
        ok: false,
        reason: `signature ${i + 1} was made by ${signer}, who is not an owner at block ${params.blockNumber}`,
      }
    }
    if (signed.has(signer)) return { ok: false, reason: `signature ${i + 1} repeats owner ${signer}` }
    signed.add(signer)
  }
  if (BigInt(signed.size) < threshold) {
    return {
      ok: false,
      reason: `${signed.size} of the required ${threshold} owners signed (${threshold}-of-${owners.length})`,
    }
  }
  return {
    ok: true,
    detail: `contract wallet ${threshold}-of-${owners.length}, signed by ${[...signed].join(', ')}`,
  }
}

/**
 * Verifies a contract wallet through ERC-1271: `isValidSignature(hashMessage(message), signature)`
 * must return the magic value at the snapshot block.
 */
export async function verifyErc1271(
  client: EvmReader,
  params: { address: string; message: string; signature: string; blockNumber: bigint },
): Promise<OwnershipResult> {
  if (!isAddress(params.address, { strict: false }))
    return { ok: false, reason: `"${params.address}" is not an EVM address` }
  const sig = asHex(params.signature)
  if (!sig) return { ok: false, reason: 'signature is not 0x-hex' }
  try {
    const result = await client.readContract({
      address: getAddress(params.address),
      abi: ERC1271_ABI,
      functionName: 'isValidSignature',
      args: [hashMessage(params.message), sig],
      blockNumber: params.blockNumber,
    })
    if (result.toLowerCase() !== ERC1271_MAGIC) {
      return {
        ok: false,
        reason: `isValidSignature returned ${result}, not the ERC-1271 magic value ${ERC1271_MAGIC}`,
      }
    }
    return {
      ok: true,
      detail: `ERC-1271 contract wallet accepted the signature at block ${params.blockNumber}`,
    }
  } catch (cause) {
    return {
      ok: false,
      reason: `isValidSignature reverted at block ${params.blockNumber}: ${(cause as Error).message.split('\n')[0]}`,
    }
  }
}

/**
 * Balance at the snapshot block: native coin when `token` is absent, else ERC-20 `balanceOf`.
 * @example await evmBalanceAt(client, { address, blockNumber: 19000000n, token: '0xdAC1…' })
 */
export async function evmBalanceAt(
  client: EvmReader,
  params: { address: string; blockNumber: bigint; token?: string | undefined },
): Promise<bigint> {
  const address = getAddress(params.address)
  if (params.token === undefined || params.token === '') {
    return client.getBalance({ address, blockNumber: params.blockNumber })
  }
  return client.readContract({
    address: getAddress(params.token),
    abi: ERC20_ABI,
    functionName: 'balanceOf',
    args: [address],
    blockNumber: params.blockNumber,
  })
}
