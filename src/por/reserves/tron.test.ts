import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { createBase58check } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { tronAddress, tronMessageDigests, verifyTronMessage } from './tron.ts'

const sk = sha256(utf8ToBytes('tron reserve key'))
const address = tronAddress(secp256k1.getPublicKey(sk, false))

/** Signs like TronWeb: r ‖ s ‖ v with v = 27 + recovery bit. */
function sign(digest: Uint8Array, key = sk): string {
  const rec = secp256k1.sign(digest, key, { prehash: false, format: 'recovered' })
  return `0x${bytesToHex(concatBytes(rec.subarray(1), Uint8Array.of(27 + (rec[0] ?? 0))))}`
}

describe('TRON ownership', () => {
  it('derives a T-address (base58check, version 0x41) from compressed or uncompressed keys alike', () => {
    expect(address).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/)
    expect(tronAddress(secp256k1.getPublicKey(sk, true))).toBe(address)
  })

  it('uses the same 20 bytes as the Ethereum address of the key', () => {
    const one = new Uint8Array(32)
    one[31] = 1
    const decoded = createBase58check(sha256).decode(tronAddress(secp256k1.getPublicKey(one, false)))
    expect(decoded[0]).toBe(0x41)
    // Ethereum address of private key 1.
    expect(bytesToHex(decoded.subarray(1))).toBe('7e5f4552091a69125d5dfcb7b8c2659029395bdf')
  })

  it('accepts TIP-191 (signMessageV2) and the OKX v1 framing', () => {
    const d = tronMessageDigests('I own this')
    expect(verifyTronMessage(address, 'I own this', sign(d.v2))).toEqual({
      ok: true,
      detail: `TRON v2 signature by ${address}`,
    })
    expect(verifyTronMessage(address, 'I own this', sign(d.v1))).toEqual({
      ok: true,
      detail: `TRON v1 signature by ${address}`,
    })
  })

  it('rejects a signature by another key or over another message', () => {
    const other = sha256(utf8ToBytes('someone else'))
    const d = tronMessageDigests('I own this')
    expect(verifyTronMessage(address, 'I own this', sign(d.v2, other))).toMatchObject({ ok: false })
    expect(verifyTronMessage(address, 'I own that', sign(d.v2))).toMatchObject({ ok: false })
  })
})
