/**
 * @module TRON address ownership (USDT-TRC20 reserves): secp256k1 signatures over TRON's signed
 * message digests, recovered to a key whose TRON address (base58check of 0x41 ‖ last 20 bytes of
 * keccak256(uncompressed key)) must be the claimed address. Two framings exist in the wild:
 * - v2 (TIP-191, TronWeb `signMessageV2`): keccak256("\x19TRON Signed Message:\n" ‖ len ‖ message);
 * - v1 (as OKX's verifier hashes it): keccak256("\x19TRON Signed Message:\n32" ‖ keccak256(message)).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { createBase58check } from '@scure/base'
import type { OwnershipResult } from './bitcoin.ts'

const base58check = createBase58check(sha256)
const PREFIX = '\x19TRON Signed Message:\n'

/** TRON address of a public key (compressed or uncompressed). */
export function tronAddress(publicKey: Uint8Array): string {
  const full = secp256k1.Point.fromBytes(publicKey).toBytes(false)
  return base58check.encode(concatBytes(Uint8Array.of(0x41), keccak_256(full.subarray(1)).subarray(12)))
}

/** The two message digests TRON wallets sign, v2 (TIP-191) first. */
export function tronMessageDigests(message: string): { v2: Uint8Array; v1: Uint8Array } {
  const msg = utf8ToBytes(message)
  return {
    v2: keccak_256(concatBytes(utf8ToBytes(`${PREFIX}${msg.length}`), msg)),
    v1: keccak_256(concatBytes(utf8ToBytes(`${PREFIX}32`), keccak_256(msg))),
  }
}

/** Verifies a 65-byte hex signature (r ‖ s ‖ v, v = 27/28 or 0/1) by the owner of a TRON address. */
export function verifyTronMessage(address: string, message: string, signature: string): OwnershipResult {
  const hex = signature.trim().replace(/^0x/, '')
  if (!/^[0-9a-fA-F]{130}$/.test(hex)) return { ok: false, reason: 'signature is not 65 bytes of hex' }
  const sig = hexToBytes(hex.toLowerCase())
  const v = sig[64] ?? 0
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1)
    return { ok: false, reason: `signature recovery byte ${v} is not 0, 1, 27 or 28` }
  const recovered: string[] = []
  for (const [variant, digest] of Object.entries(tronMessageDigests(message))) {
    try {
      const point = secp256k1.Signature.fromBytes(
        concatBytes(Uint8Array.of(recid), sig.subarray(0, 64)),
        'recovered',
      ).recoverPublicKey(digest)
      const addr = tronAddress(point.toBytes(false))
      if (addr === address) return { ok: true, detail: `TRON ${variant} signature by ${addr}` }
      recovered.push(addr)
    } catch {
      // not a valid signature under this framing; try the other one
    }
  }
  return { ok: false, reason: `signature recovers ${recovered[0] ?? 'no key'}, not ${address}` }
}
