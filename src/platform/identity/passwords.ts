/**
 * @module Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane). Hashing
 * happens outside database transactions; it is deliberately slow.
 */
import { type Algorithm, hash, verify } from '@node-rs/argon2'

/** argon2id per the OWASP Password Storage Cheat Sheet (m=19456 KiB, t=2, p=1). */
export const argon2Parameters = {
  algorithm: 2 as Algorithm, // Argon2id
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Parameters)
}

/** A hash of a random password, verified against when the account does not exist, so that
 * "no such user" costs the same time as "wrong password". */
let decoyHash: Promise<string> | undefined

/**
 * Verifies a password. Pass `null` when there is no account: the check still runs (against a
 * decoy) so timing does not reveal whether the email is registered.
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    decoyHash ??= hashPassword(crypto.randomUUID())
    await verify(await decoyHash, password).catch(() => false)
    return false
  }
  try {
    return await verify(passwordHash, password)
  } catch {
    // A malformed stored hash is a failed check, never a crash.
    return false
  }
}
