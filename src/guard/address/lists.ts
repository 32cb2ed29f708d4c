/**
 * @module Address lists: OFAC sanctions (the ofac-sanctioned-digital-currency-addresses files, one
 * `.txt` per asset with an address per line or the `.json` array beside it), drainer and phishing
 * address lists (plain, CSV with an `address` column, or JSON arrays/objects of addresses). Lookups
 * normalise the query by chain rules and hit a hash set: well over a million lookups per second.
 */
import { splitCsvLine } from '../domain/lists.ts'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, short, verdictOf } from '../verdict.ts'
import { normalizeAddress } from './normalize.ts'

export type ListKind = 'sanctions' | 'drainer' | 'phishing' | 'custom'

export type AddressListSource = { name: string; kind: ListKind; addresses: Iterable<string> }

/**
 * Extracts addresses from a list file's text: JSON (array of strings, array of objects with an
 * `address` field, or an object whose keys or string values are addresses), CSV with an `address`
 * column, or one address per line. Anything that is not an address is ignored.
 */
export function parseAddressList(text: string): string[] {
  const t = text.trim()
  if (t.startsWith('[') || t.startsWith('{')) {
    const out: string[] = []
    const visit = (v: unknown, depth: number): void => {
      if (depth > 4) return
      if (typeof v === 'string') {
        if (normalizeAddress(v)) out.push(v)
      } else if (Array.isArray(v)) for (const x of v) visit(x, depth + 1)
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (normalizeAddress(k)) out.push(k)
          visit(x, depth + 1)
        }
      }
    }
    visit(JSON.parse(t), 0)
    return out
  }
  const lines = t.split(/\r?\n/)
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase())
  const col = header.findIndex((h) => h === 'address' || h === 'addr' || h === 'wallet')
  if (col >= 0)
    return lines
      .slice(1)
      .map((l) => (splitCsvLine(l)[col] ?? '').trim())
      .filter((a) => normalizeAddress(a))
  return lines.map((l) => l.replace(/#.*/, '').trim()).filter((a) => normalizeAddress(a) !== null)
}

export type AddressScreen = {
  address: string
  verdict: Verdict
  lists: string[]
  reasons: Reason[]
  error?: string
}

/** A screening set over many named lists. */
export type AddressScreener = {
  /** Fast path: names of lists containing the address (empty array when clean, null when invalid). */
  lookup(address: string): readonly string[] | null
  screen(address: string): AddressScreen
  size(): number
}

const NONE: readonly string[] = Object.freeze([])

/** Builds a screener; sanctions hits block, drainer/phishing hits block, custom lists warn. */
export function createAddressScreener(sources: readonly AddressListSource[]): AddressScreener {
  const index = new Map<string, string[]>()
  const kinds = new Map<string, ListKind>()
  for (const src of sources) {
    kinds.set(src.name, src.kind)
    for (const a of src.addresses) {
      const n = normalizeAddress(a)
      if (!n) continue
      const names = index.get(n.address)
      if (!names) index.set(n.address, [src.name])
      else if (!names.includes(src.name)) names.push(src.name)
    }
  }
  function lookup(address: string): readonly string[] | null {
    // Hot path: EVM addresses are the common case; skip the general normaliser.
    if (address.length === 42 && address.charCodeAt(0) === 48 && address.charCodeAt(1) === 120) {
      const lower = address.toLowerCase()
      if (/^0x[0-9a-f]{40}$/.test(lower)) return index.get(lower) ?? NONE
    }
    const n = normalizeAddress(address)
    if (!n) return null
    return index.get(n.address) ?? NONE
  }
  function screen(address: string): AddressScreen {
    const lists = lookup(address)
    if (lists === null) {
      return {
        address,
        verdict: 'warn',
        lists: [],
        reasons: [reason('NOT_AN_ADDRESS', 'warn', `"${address}" is not a recognised address.`)],
        error: 'not an address',
      }
    }
    const reasons = lists.map((name) => {
      const kind = kinds.get(name) ?? 'custom'
      const sev: Verdict = kind === 'custom' ? 'warn' : 'block'
      const what =
        kind === 'sanctions'
          ? 'is on a sanctions list'
          : kind === 'drainer'
            ? 'belongs to a wallet drainer'
            : kind === 'phishing'
              ? 'is a known phishing address'
              : 'is on a watch list'
      return reason(
        kind === 'sanctions' ? 'SANCTIONED' : kind === 'custom' ? 'WATCHLISTED' : 'MALICIOUS_ADDRESS',
        sev,
        `${short(address)} ${what} (${name}).`,
      )
    })
    return { address, verdict: verdictOf(reasons), lists: [...lists], reasons }
  }
  return { lookup, screen, size: () => index.size }
}
