import { describe, expect, it } from 'vitest'
import { binanceRoot, poseidonHash } from './binance.ts'

describe('Poseidon (circomlib constants)', () => {
  it('matches the circomlib test vector Poseidon(1, 2)', () => {
    expect(poseidonHash([1n, 2n]).toString(16)).toBe(
      '115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a',
    )
  })

  it('places the node by the bits of the account index, least significant first', () => {
    const [leaf, s0, s1] = [11n, 22n, 33n]
    // index 2 = binary 10: left at level 0, right at level 1.
    expect(binanceRoot(leaf, 2, [s0, s1])).toBe(poseidonHash([s1, poseidonHash([leaf, s0])]))
    expect(binanceRoot(leaf, 1, [s0, s1])).toBe(poseidonHash([poseidonHash([s0, leaf]), s1]))
  })
})
