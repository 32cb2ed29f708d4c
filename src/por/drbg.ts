/**
 * @module Deterministic random stream from a 32-byte seed (SHA-256 in counter mode), so bucket choice, shuffles
 * and balance splits are reproducible from the round secret alone and workers need no shared random source.
 */
import type { Sha256 } from './verify/layout.ts'

export class Drbg {
  private readonly sha256: Sha256
  private readonly input: Uint8Array
  private readonly view: DataView
  private counter = 0
  private block = new Uint32Array(0)
  private at = 0

  constructor(sha256: Sha256, seed: Uint8Array, label: string) {
    this.sha256 = sha256
    const l = new TextEncoder().encode(label)
    this.input = new Uint8Array(seed.length + l.length + 8)
    this.input.set(seed, 0)
    this.input.set(l, seed.length)
    this.view = new DataView(this.input.buffer)
  }

  /** Next uniformly random 32-bit unsigned integer. */
  nextU32(): number {
    if (this.at >= this.block.length) {
      this.view.setFloat64(this.input.length - 8, this.counter++)
      const h = this.sha256(this.input)
      this.block = new Uint32Array(Uint8Array.from(h.subarray(0, 32)).buffer)
      this.at = 0
    }
    return this.block[this.at++]!
  }

  /** Uniform integer in [0, n) for n ≤ 2^32 (rejection sampling, no modulo bias). */
  below(n: number): number {
    const limit = Math.floor(4294967296 / n) * n
    for (;;) {
      const x = this.nextU32()
      if (x < limit) return x % n
    }
  }
}
