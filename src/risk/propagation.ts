/**
 * @module Risk propagation over a transaction graph. Seed labels (sanctions, drainer and phishing
 * lists) give addresses a risk of 1; risk then flows along the money for up to N hops: an address
 * inherits `decay × share × risk` from each address that paid it (share = that payer's fraction of
 * its inflow) and, more weakly, from addresses it paid. The result is an exposure score in [0, 1]
 * per address with the hop count and the path back to the seed, so a reason can name it.
 */

export type SeedLabel = { label: string; source: string }
export type Edge = { from: string; to: string; value: number }

export type AddressExposure = {
  score: number
  /** 0 for a listed address, else the number of transfers to the nearest seed on the best path. */
  hops: number
  seed: string
  label: string
  /** Addresses from this one back to the seed (inclusive), best path. */
  path: string[]
}

export type PropagationOptions = {
  /** Maximum hops from a seed (default 3). */
  maxHops?: number
  /** Multiplier per hop on inflow from a risky payer (default 0.6). */
  inflowDecay?: number
  /** Multiplier per hop on payments made to a risky address (default 0.3). */
  outflowDecay?: number
  /** Scores below this are dropped (default 0.01). */
  minScore?: number
}

export type TransactionGraph = ReturnType<typeof createTransactionGraph>

/** Normalises EVM-style addresses so lists and transactions match regardless of checksum case. */
export function normaliseAddress(address: string): string {
  return address.startsWith('0x') || address.startsWith('0X') ? address.toLowerCase() : address
}

/**
 * A growing directed graph of value transfers, aggregated per (from, to) pair.
 * @example const g = createTransactionGraph(); g.addTransfer('0xa', '0xb', 1.5)
 */
export function createTransactionGraph() {
  const out = new Map<string, Map<string, number>>()
  const inn = new Map<string, Map<string, number>>()
  const inflow = new Map<string, number>()
  let edges = 0
  return {
    get edgeCount() {
      return edges
    },
    get nodeCount() {
      return new Set([...out.keys(), ...inn.keys()]).size
    },
    addTransfer(fromRaw: string, toRaw: string, value: number) {
      const from = normaliseAddress(fromRaw)
      const to = normaliseAddress(toRaw)
      if (from === to) return
      const v = Math.max(value, 0)
      let o = out.get(from)
      if (!o) {
        o = new Map()
        out.set(from, o)
      }
      if (!o.has(to)) edges++
      o.set(to, (o.get(to) ?? 0) + v)
      let n = inn.get(to)
      if (!n) {
        n = new Map()
        inn.set(to, n)
      }
      n.set(from, (n.get(from) ?? 0) + v)
      inflow.set(to, (inflow.get(to) ?? 0) + v)
    },
    payersOf: (a: string) => inn.get(a) ?? new Map<string, number>(),
    payeesOf: (a: string) => out.get(a) ?? new Map<string, number>(),
    inflowOf: (a: string) => inflow.get(a) ?? 0,
  }
}

/**
 * Propagates seed risk through the graph (breadth-first by hop, keeping the best score per address).
 * @example const exposure = propagateRisk(graph, new Map([['0xbad', { label: 'sanctioned', source: 'ofac' }]]))
 */
export function propagateRisk(
  graph: TransactionGraph,
  seeds: ReadonlyMap<string, SeedLabel>,
  options: PropagationOptions = {},
): Map<string, AddressExposure> {
  const maxHops = options.maxHops ?? 3
  const inflowDecay = options.inflowDecay ?? 0.6
  const outflowDecay = options.outflowDecay ?? 0.3
  const minScore = options.minScore ?? 0.01
  const result = new Map<string, AddressExposure>()
  let frontier: string[] = []
  for (const [raw, s] of seeds) {
    const a = normaliseAddress(raw)
    result.set(a, { score: 1, hops: 0, seed: a, label: s.label, path: [a] })
    frontier.push(a)
  }
  for (let hop = 1; hop <= maxHops && frontier.length > 0; hop++) {
    const next = new Set<string>()
    for (const a of frontier) {
      const src = result.get(a)!
      // Money flowing out of a risky address taints its recipients in proportion to their inflow share.
      for (const [to, value] of graph.payeesOf(a)) {
        const total = graph.inflowOf(to)
        const share = total > 0 ? value / total : 1
        offer(to, src.score * inflowDecay * Math.max(share, 0.05), hop, src)
      }
      // Paying a risky address (a drainer, a sanctioned mixer) is weaker evidence.
      for (const from of graph.payersOf(a).keys()) offer(from, src.score * outflowDecay, hop, src)
    }
    frontier = [...next]
    function offer(addr: string, score: number, h: number, src: AddressExposure) {
      if (score < minScore) return
      const cur = result.get(addr)
      if (cur && cur.score >= score) return
      result.set(addr, { score, hops: h, seed: src.seed, label: src.label, path: [addr, ...src.path] })
      next.add(addr)
    }
  }
  return result
}
