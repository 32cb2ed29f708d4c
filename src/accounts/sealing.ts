/**
 * @module Secrets the server must read back (TOTP seeds, API key HMAC secrets) are sealed with
 * AES-256-GCM under ACCOUNTS_SEALING_KEY, so a database dump alone does not reveal them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'

export type Sealer = { seal(plain: string): string; open(sealed: string): string }

/**
 * A sealer from a 64-hex-digit key; without one, a key derived from the exchange id (demo only:
 * docs/accounts.md tells operators to set ACCOUNTS_SEALING_KEY).
 */
export function createSealer(keyHex: string | undefined, exchangeId: string): Sealer {
  const key = keyHex ? hexToBytes(keyHex) : sha256(utf8ToBytes(`bulwark-demo-sealing-key:${exchangeId}`))
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `v1.${base64.encode(iv)}.${base64.encode(body)}.${base64.encode(cipher.getAuthTag())}`
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.')
      if (version !== 'v1' || !iv || !body || !tag) throw new Error('unknown sealed secret format')
      const decipher = createDecipheriv('aes-256-gcm', key, base64.decode(iv))
      decipher.setAuthTag(base64.decode(tag))
      return Buffer.concat([decipher.update(base64.decode(body)), decipher.final()]).toString('utf8')
    },
  }
}
