/**
 * @module Identity images and extracted fields are sealed at rest with AES-256-GCM under
 * IDENTITY_SEALING_KEY, bound to their row (the verification id and kind are the additional
 * authenticated data), so a database dump shows neither faces nor names, and a sealed image
 * moved to another row does not open. Document numbers are kept only as an HMAC under a key
 * derived from the same secret: equal numbers match, a dump cannot be searched for a number.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16

export type IdentitySealer = {
  seal(plain: Uint8Array, context: string): Uint8Array
  open(sealed: Uint8Array, context: string): Uint8Array
  /** HMAC-SHA256 of `value` (hex), for equality lookups. */
  digest(value: string): string
}

/**
 * A sealer from a 64-hex-digit key; without one, a key derived from the exchange id (demo only:
 * docs/identity.md tells operators to set IDENTITY_SEALING_KEY).
 *
 * @example const s = createIdentitySealer(config.IDENTITY_SEALING_KEY, config.EXCHANGE_ID)
 */
export function createIdentitySealer(keyHex: string | undefined, exchangeId: string): IdentitySealer {
  const secret = keyHex ? hexToBytes(keyHex) : sha256(utf8ToBytes(`bulwark-demo-identity-key:${exchangeId}`))
  const encryptionKey = hkdf(sha256, secret, undefined, utf8ToBytes('bulwark identity sealing v1'), 32)
  const digestKey = hkdf(sha256, secret, undefined, utf8ToBytes('bulwark identity digest v1'), 32)
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
      cipher.setAAD(utf8ToBytes(context))
      const body = Buffer.concat([cipher.update(plain), cipher.final()])
      return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]))
    },
    open(sealed, context) {
      if (sealed[0] !== VERSION || sealed.length < 1 + IV_BYTES + TAG_BYTES) {
        throw new Error('unknown sealed identity data format')
      }
      const iv = sealed.subarray(1, 1 + IV_BYTES)
      const body = sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, iv)
      decipher.setAAD(utf8ToBytes(context))
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]))
    },
    digest(value) {
      return bytesToHex(hmac(sha256, digestKey, utf8ToBytes(value)))
    },
  }
}
