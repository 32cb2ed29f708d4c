/**
 * @module Random secrets and their safe comparison.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { base64urlnopad } from '@scure/base'

/** A URL-safe random token with `bytes` bytes of entropy (default 32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return base64urlnopad.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** Hex SHA-256 of a token: what we store in place of the token. */
export function tokenDigest(token: string): string {
  return bytesToHex(sha256(utf8ToBytes(token)))
}

/** Constant-time string equality (length is not secret here: tokens have fixed length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = utf8ToBytes(a)
  const y = utf8ToBytes(b)
  if (x.length !== y.length) return false
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0
}
