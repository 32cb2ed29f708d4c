/**
 * @module Recovery codes: 10 single-use codes of 10 base32 characters (50 bits each), shown once,
 * stored as SHA-256 digests. A code is typed with or without its dash and in any case.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { base32crockford } from '@scure/base'

export const RECOVERY_CODE_COUNT = 10

/** Ten fresh codes formatted `XXXXX-XXXXX`. */
export function newRecoveryCodes(random: (n: number) => Uint8Array = randomBytes): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = base32crockford.encode(random(7)).slice(0, 10)
    return `${raw.slice(0, 5)}-${raw.slice(5)}`
  })
}

/** The stored digest of a code, after normalising what a person may type. */
export function recoveryCodeDigest(code: string): string {
  const normal = code.toUpperCase().replace(/[^0-9A-Z]/g, '')
  return bytesToHex(sha256(utf8ToBytes(`bulwark-recovery:${normal}`)))
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/.test(code.trim())
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}
