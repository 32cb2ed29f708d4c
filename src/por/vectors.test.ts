import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { sha256For } from './sha.ts'
import { generateVectors, VECTORS_PATH } from './vectors.ts'
import { decodeProof, fromHex, verifyProof } from './verify/index.ts'

describe('published test vectors', () => {
  const published = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'))

  it('match what the code computes today', () => {
    expect(generateVectors()).toEqual(published)
  })

  it('follow the byte layout of the spec when recomputed by hand from hex strings', () => {
    const h = (hex: string) => Buffer.from(sha256(fromHex(hex))).toString('hex')
    const alice = Buffer.from('alice').toString('hex')
    const p = published.prefixes
    const nonce = h(p.nonce + published.roundSecret + '00000000' + alice)
    const userHash = h(p.uid + nonce + alice)
    // BTC equity 1.5 BTC = 150000000 sat, USDT debt 2500 USDT = 2500000000 units, each u64 big-endian.
    const balances = '0000000008f0d180' + '0000000000000000' + '0000000000000000' + '000000009502f900'
    expect(published.leaf).toMatchObject({ nonce, userHash, balancesBytes: balances })
    expect(published.leaf.leafHash).toBe(h(p.leaf + userHash + balances))
  })

  it('include a proof that the browser verifier accepts against the vector root', () => {
    const result = verifyProof(decodeProof(fromHex(published.tree.proofOfBob)), {
      expectedRoot: fromHex(published.tree.root),
    })
    expect(result.failed).toBeUndefined()
    expect(result.totals.map((t) => t.equity)).toEqual([150_000_001n, 99_000_005n])
  })

  it('hash the same with the builder (OpenSSL) and the verifier (noble) SHA-256', () => {
    const input = fromHex(published.leaf.balancesBytes)
    expect(sha256For('openssl')(input)).toEqual(Buffer.from(sha256(input)))
  })
})
