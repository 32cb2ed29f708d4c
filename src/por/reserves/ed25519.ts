/**
 * @module Ed25519 reserve ownership (Solana, Aptos, Sui and any chain whose address is the key):
 * the signature must verify over the challenge text, and the public key must derive the address
 * with the chain's own rule, so a signature by some other key can't be attached to the address.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { blake2b } from '@noble/hashes/blake2.js'
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base58, base64 } from '@scure/base'
import type { OwnershipResult } from './bitcoin.ts'

/** Addresses a public key owns on a chain (all accepted spellings). */
export function ed25519Addresses(chain: string, publicKey: Uint8Array): string[] {
  if (chain === 'solana') return [base58.encode(publicKey)]
  if (chain === 'aptos') {
    // Aptos single-key account: sha3-256(pubkey || 0x00 scheme byte).
    const full = `0x${bytesToHex(sha3_256(concatBytes(publicKey, Uint8Array.of(0))))}`
    return [full, full.replace(/^0x0+/, '0x')]
  }
  if (chain === 'sui')
    return [`0x${bytesToHex(blake2b(concatBytes(Uint8Array.of(0), publicKey), { dkLen: 32 }))}`]
  return [bytesToHex(publicKey), `0x${bytesToHex(publicKey)}`]
}

function decode(text: string): Uint8Array | null {
  const t = text.trim().replace(/^0x/, '')
  if (/^([0-9a-fA-F]{2})+$/.test(t)) return hexToBytes(t)
  try {
    return /^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) ? base64.decode(text.trim()) : null
  } catch {
    return null
  }
}

/**
 * Verifies an Ed25519 signature (hex or base64) over the UTF-8 message, and that `publicKeyHex`
 * owns `address` on `chain`.
 */
export function verifyEd25519(
  chain: string,
  address: string,
  message: string,
  signature: string,
  publicKeyHex: string,
): OwnershipResult {
  const pk = decode(publicKeyHex)
  if (pk?.length !== 32) return { ok: false, reason: 'public key is not 32 bytes of hex' }
  const sig = decode(signature)
  if (sig?.length !== 64) return { ok: false, reason: 'signature is not 64 bytes (hex or base64)' }
  const owned = ed25519Addresses(chain, pk)
  if (!owned.some((a) => a.toLowerCase() === address.toLowerCase())) {
    return {
      ok: false,
      reason: `public key ${bytesToHex(pk)} derives ${owned[0]} on ${chain}, not ${address}`,
    }
  }
  let valid = false
  try {
    valid = ed25519.verify(sig, utf8ToBytes(message), pk)
  } catch {
    valid = false
  }
  return valid
    ? { ok: true, detail: `Ed25519 signature by ${bytesToHex(pk)}` }
    : { ok: false, reason: 'Ed25519 signature does not verify for this message and key' }
}
