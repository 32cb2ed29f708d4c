/**
 * @module Bounded edit distance and a symmetric-deletion index, used for brand typosquats and token
 * symbol lookalikes. The index answers "which protected words are within edit distance 2 of this
 * token" with a handful of hash lookups instead of one dynamic-programming run per protected word,
 * which keeps domain checks well above 200k/s with a hundred brands.
 */

/** Levenshtein distance, or `max + 1` as soon as the distance is known to exceed `max`. */
export function boundedLevenshtein(a: string, b: string, max: number): number {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > max) return max + 1
  let prev = new Array<number>(b.length + 1)
  let cur = new Array<number>(b.length + 1)
  for (let j = 0; j <= b.length; j++) prev[j] = j
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    let rowMin = i
    const ca = a.charCodeAt(i - 1)
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      cur[j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
    const t = prev
    prev = cur
    cur = t
  }
  const d = prev[b.length] as number
  return d > max ? max + 1 : d
}

function deletions1(word: string): string[] {
  const out: string[] = []
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1))
  return out
}

/**
 * Symmetric-deletion index over a fixed vocabulary. `near(q)` returns every word `w` with
 * `levenshtein(q, w) <= maxFor(w)` where `maxFor` is at most 2. Words and their one-deletion variants
 * are indexed; the query and its one-deletion variants are looked up, which finds every pair within
 * one edit and most within two, then each candidate is verified exactly.
 */
export class NearIndex<T> {
  readonly #index = new Map<string, Set<string>>()
  /** First and last three characters of every key: most queries share neither, so most deletion keys need not be built. */
  readonly #heads = new Set<string>()
  readonly #tails = new Set<string>()
  readonly #payload = new Map<string, T>()
  readonly #maxFor: (word: string) => number
  #minLen = Number.POSITIVE_INFINITY
  #maxLen = 0

  constructor(entries: Iterable<[string, T]>, maxFor: (word: string) => number) {
    this.#maxFor = maxFor
    for (const [word, value] of entries) {
      this.#payload.set(word, value)
      this.#minLen = Math.min(this.#minLen, word.length)
      this.#maxLen = Math.max(this.#maxLen, word.length)
      for (const key of [word, ...deletions1(word)]) {
        const set = this.#index.get(key) ?? new Set<string>()
        this.#index.set(key, set)
        set.add(word)
        this.#heads.add(key.slice(0, 3))
        this.#tails.add(key.slice(-3))
      }
    }
  }

  /** Words within their allowed distance of `query`, excluding an exact match, with the distance. */
  near(query: string): { word: string; value: T; distance: number }[] {
    const out: { word: string; value: T; distance: number }[] = []
    // No word can be within two edits of a query whose length differs by more than two.
    if (query.length < this.#minLen - 2 || query.length > this.#maxLen + 2) return out
    // This runs for every name checked and almost always finds nothing, so the deletion keys are
    // built one at a time and the de-duplicating set only once there is a hit.
    // Deleting a character at i >= 3 keeps the query's first three characters, and at i <= L - 4 its
    // last three: a key can only match if the index holds that head (tail). For queries of four or
    // more characters this skips building nearly every deletion key.
    const L = query.length
    const headOk = L < 4 || this.#heads.has(query.slice(0, 3))
    const tailOk = L < 4 || this.#tails.has(query.slice(-3))
    // From six characters on every deletion position is covered by one of the two tests.
    if (!headOk && !tailOk && L >= 6) return out
    let seen: Set<string> | undefined
    for (let i = -1; i < L; i++) {
      if (i < 0 ? !(headOk && tailOk) : (i >= 3 && !headOk) || (i <= L - 4 && !tailOk)) continue
      const key = i < 0 ? query : query.slice(0, i) + query.slice(i + 1)
      const hits = this.#index.get(key)
      if (!hits) continue
      seen ??= new Set<string>()
      for (const word of hits) {
        if (seen.has(word) || word === query) continue
        seen.add(word)
        const max = this.#maxFor(word)
        const d = boundedLevenshtein(query, word, max)
        if (d <= max) out.push({ word, value: this.#payload.get(word) as T, distance: d })
      }
    }
    return out
  }
}
