/**
 * @module Open-addressing table of 64-bit keys to a 32-bit value (plus an optional float value), held in typed
 * arrays so ten million users cost ~200 MB instead of a JavaScript Map's gigabytes. Keys are a fast non-crypto
 * hash of the user id; callers confirm a key match against the real id, so collisions are never trusted.
 */

/** 64-bit key of `bytes[start, end)` and a small salt (the piece number), as two 32-bit halves. */
export function hash64(bytes: Uint8Array, start: number, end: number, salt: number): [number, number] {
  let h1 = 0x811c9dc5 ^ salt
  let h2 = 0x01000193 ^ Math.imul(salt, 0x9e3779b1)
  for (let i = start; i < end; i++) {
    const b = bytes[i]!
    h1 = Math.imul(h1 ^ b, 0x01000193)
    h2 = Math.imul(h2 ^ b, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35)
  h2 ^= h2 >>> 16
  return [h1 >>> 0, (h2 | 1) >>> 0]
}

/**
 * Table slots: [keyLo, keyHi, value] in a Uint32Array; keyHi is never 0 for a used slot (hash64 sets bit 0).
 * `extra` carries a second value per slot (e.g. the byte offset of the row, which can exceed 2^32).
 */
export class KeyTable {
  slots: Uint32Array
  extra: Float64Array | undefined
  mask: number
  size = 0
  constructor(capacityHint: number, withExtra = false) {
    let n = 1024
    while (n < capacityHint * 1.6) n *= 2
    this.slots = new Uint32Array(n * 3)
    this.extra = withExtra ? new Float64Array(n) : undefined
    this.mask = n - 1
  }

  /** Slot indexes whose key equals (lo, hi), in probe order. */
  find(lo: number, hi: number): number[] {
    const out: number[] = []
    for (let s = lo & this.mask; ; s = (s + 1) & this.mask) {
      const h = this.slots[s * 3 + 1]!
      if (h === 0) return out
      if (h === hi && this.slots[s * 3] === lo) out.push(s)
    }
  }

  /** Adds an entry (duplicates allowed) and returns its slot. */
  insert(lo: number, hi: number, value: number, extra = 0): number {
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow()
    let s = lo & this.mask
    while (this.slots[s * 3 + 1] !== 0) s = (s + 1) & this.mask
    this.slots[s * 3] = lo
    this.slots[s * 3 + 1] = hi
    this.slots[s * 3 + 2] = value
    if (this.extra) this.extra[s] = extra
    this.size++
    return s
  }

  value(slot: number): number {
    return this.slots[slot * 3 + 2]!
  }

  private grow() {
    const old = this.slots
    const oldExtra = this.extra
    const n = (this.mask + 1) * 2
    this.slots = new Uint32Array(n * 3)
    this.extra = oldExtra ? new Float64Array(n) : undefined
    this.mask = n - 1
    this.size = 0
    for (let s = 0; s < old.length / 3; s++) {
      if (old[s * 3 + 1] !== 0) this.insert(old[s * 3]!, old[s * 3 + 1]!, old[s * 3 + 2]!, oldExtra?.[s] ?? 0)
    }
  }
}
