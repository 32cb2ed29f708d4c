/**
 * @module Recovery codes: 10 single-use codes of 25 base32 characters in five groups (125 bits each,
 * above the 112 bits under which ASVS 6.5.2 asks for a salted slow hash), shown once, stored as
 * SHA-256 digests. Codes issued before (version 1: 10 characters, 50 bits) are stored the same way and
 * stay usable until the account regenerates its codes. A code is typed with or without its dashes and
 * in any case.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { base32crockford } from '@scure/base'

export const RECOVERY_CODE_COUNT = 10

/** Characters of a code issued now (5 bits each: 125 bits) and of a version-1 code (50 bits). */
export const RECOVERY_CODE_LENGTH = 25
const LEGACY_RECOVERY_CODE_LENGTH = 10

/** Ten fresh codes formatted `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`. */
export function newRecoveryCodes(random: (n: number) => Uint8Array = randomBytes): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 16 random bytes encode to 26 characters; the first 25 carry 125 uniformly random bits.
    const raw = base32crockford.encode(random(16)).slice(0, RECOVERY_CODE_LENGTH)
    return raw.match(/.{5}/g)!.join('-')
  })
}

/** The stored digest of a code, after normalising what a person may type. */
export function recoveryCodeDigest(code: string): string {
  const normal = code.toUpperCase().replace(/[^0-9A-Z]/g, '')
  return bytesToHex(sha256(utf8ToBytes(`bulwark-recovery:${normal}`)))
}

/** Whether the input has the shape of a current or a version-1 code (dashes and spaces ignored). */
export function looksLikeRecoveryCode(code: string): boolean {
  const trimmed = code.trim()
  if (!/^[0-9A-Za-z -]+$/.test(trimmed)) return false
  const length = trimmed.replace(/[ -]/g, '').length
  return length === RECOVERY_CODE_LENGTH || length === LEGACY_RECOVERY_CODE_LENGTH
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}
