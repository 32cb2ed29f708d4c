import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { concatByteList, rootCommitment } from './layout.ts'

describe('layout byte concatenation', () => {
  it('commits to a round with the largest asset count a u16 allows without overflowing the stack', () => {
    const assets = Array.from({ length: 65_535 }, (_, i) => ({ symbol: `A${i}`, decimals: 8 }))
    const top = new Uint8Array(32).fill(7)
    const a = rootCommitment(sha256, 'r1', 3, assets, top)
    const b = rootCommitment(sha256, 'r1', 3, [...assets.slice(0, -1), { symbol: 'X', decimals: 8 }], top)
    expect(a).toHaveLength(32)
    expect(a).not.toEqual(b)
  })

  it('concatenates a list of 300,000 parts in order', () => {
    const parts = Array.from({ length: 300_000 }, (_, i) => Uint8Array.of(i & 255))
    const out = concatByteList(parts)
    expect(out).toHaveLength(300_000)
    expect(out[256]).toBe(0)
    expect(out[299_999]).toBe(299_999 & 255)
  })
})
