/**
 * @module Domain blocklists and allowlists. Parses the three formats operators have: a plain list (one
 * domain or URL per line, `#` comments, hosts-file lines), CSV with a `domain`/`url`/`host` column, and
 * MetaMask's eth-phishing-detect config JSON (`blacklist`/`whitelist`/`fuzzylist` or the newer
 * `blocklist`/`allowlist`). A `DomainSet` matches a host and its parents down to the registrable domain
 * but never a public suffix: an entry like `vercel.app` or `com` is rejected at load time.
 */
import { isPublicSuffix, normalizeHost } from './normalize.ts'

export type ParsedDomainList = {
  block: string[]
  allow: string[]
  /** Domains whose near-misses are suspicious (MetaMask `fuzzylist`). */
  fuzzy: string[]
  /** Entries that were skipped, with why (public suffix, unparseable). */
  rejected: { entry: string; why: string }[]
}

export type ListFormat = 'plain' | 'csv' | 'metamask'

/** Guesses the format of a list file from its content. */
export function detectListFormat(text: string): ListFormat {
  const head = text.trimStart()
  if (head.startsWith('{')) return 'metamask'
  const firstLine = head.slice(0, head.indexOf('\n') >>> 0).toLowerCase()
  if (firstLine.includes(',') && /(^|,)"?(domain|url|host|hostname|name)"?(,|$)/.test(firstLine)) return 'csv'
  return 'plain'
}

/**
 * Parses a list. `kind` says what a plain or CSV list means (`block` or `allow`); a MetaMask config
 * carries both kinds itself.
 */
export function parseDomainList(
  text: string,
  kind: 'block' | 'allow',
  format = detectListFormat(text),
): ParsedDomainList {
  const out: ParsedDomainList = { block: [], allow: [], fuzzy: [], rejected: [] }
  const add = (target: string[], entry: string): void => {
    const n = normalizeHost(entry)
    if (!n) {
      if (entry.trim() !== '') out.rejected.push({ entry, why: 'not a domain or URL' })
      return
    }
    if (n.registrable === null && !n.isIp) {
      out.rejected.push({ entry, why: 'a public suffix is never listed as a whole' })
      return
    }
    target.push(n.host)
  }
  if (format === 'metamask') {
    const cfg = JSON.parse(text) as Record<string, unknown>
    const arr = (k: string): string[] =>
      Array.isArray(cfg[k]) ? (cfg[k] as unknown[]).filter((x) => typeof x === 'string') : []
    for (const d of [...arr('blacklist'), ...arr('blocklist')]) add(out.block, d)
    for (const d of [...arr('whitelist'), ...arr('allowlist')]) add(out.allow, d)
    for (const d of arr('fuzzylist')) add(out.fuzzy, d)
    return out
  }
  const target = kind === 'block' ? out.block : out.allow
  const lines = text.split(/\r?\n/)
  if (format === 'csv') {
    const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase())
    const col =
      ['domain', 'hostname', 'host', 'url', 'name'].map((c) => header.indexOf(c)).find((i) => i >= 0) ?? 0
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]
      if (!line) continue
      const cell = splitCsvLine(line)[col]
      if (cell) add(target, cell)
    }
    return out
  }
  for (const raw of lines) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    // hosts-file lines: "0.0.0.0 evil.xyz"
    const parts = line.split(/\s+/)
    add(target, parts.length > 1 && /^[\d.:]+$/.test(parts[0] ?? '') ? (parts[1] ?? '') : (parts[0] ?? ''))
  }
  return out
}

/** Minimal RFC 4180 line splitter (quoted cells, doubled quotes). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',')
  const cells: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      cells.push(cur)
      cur = ''
    } else cur += c
  }
  cells.push(cur)
  return cells
}

/**
 * A set of hosts matched with their parents: listing `evil.xyz` also matches `app.evil.xyz`, and
 * listing `foo.vercel.app` matches `x.foo.vercel.app` but never `bar.vercel.app`.
 */
export class DomainSet {
  readonly #hosts = new Set<string>()

  constructor(hosts: Iterable<string> = []) {
    for (const h of hosts) this.add(h)
  }

  /** Adds an already normalised host; public suffixes are refused (returns false). */
  add(host: string): boolean {
    if (isPublicSuffix(host)) return false
    this.#hosts.add(host)
    return true
  }

  get size(): number {
    return this.#hosts.size
  }

  /**
   * The listed entry matching `host` or one of its parents, stopping at the registrable domain.
   * `registrable` comes from `normalizeHost`; null (IPs) means only the exact host is tried.
   */
  match(host: string, registrable: string | null): string | null {
    if (this.#hosts.size === 0) return null
    if (this.#hosts.has(host)) return host
    if (registrable === null) return null
    let h = host
    while (h.length > registrable.length) {
      const dot = h.indexOf('.')
      if (dot < 0) return null
      h = h.slice(dot + 1)
      if (this.#hosts.has(h)) return h
    }
    return null
  }

  values(): IterableIterator<string> {
    return this.#hosts.values()
  }
}
