/**
 * @module Node-side loading for the guard: reads list files or URLs the operator configures, turns
 * them into guard options, and refreshes them on a schedule. Kept out of the isomorphic core so a
 * browser extension can bundle the detectors without `node:fs`.
 */
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { z } from 'zod'
import type { AddressListSource, ListKind } from '../address/lists.ts'
import { parseAddressList } from '../address/lists.ts'
import type { Brand } from '../domain/brands.ts'
import type { DomainGuardOptions } from '../domain/guard.ts'
import { parseDomainList, splitCsvLine } from '../domain/lists.ts'
import { normalizeHost } from '../domain/normalize.ts'
import type { TokenInfo } from '../token/counterfeit.ts'
import { parseTokenList } from '../token/counterfeit.ts'

/**
 * Appends `items` to `target` one by one. `target.push(...items)` passes every item as an argument
 * and throws "Maximum call stack size exceeded" somewhere above ~100k items, which a real feed has.
 */
export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item)
}

/** Reads a local path or an http(s) URL as text. */
export async function loadText(source: string, fetchFn: typeof fetch = fetch): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const res = await fetchFn(source)
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`)
    return res.text()
  }
  return readFile(source, 'utf8')
}

const brandFile = z.array(
  z.strictObject({
    name: z.string().min(1).max(100),
    tokens: z
      .array(z.string().regex(/^[a-z0-9]{3,40}$/, 'lowercase letters and digits, 3 to 40 of them'))
      .min(1)
      .max(20),
    domains: z
      .array(
        z
          .string()
          .max(253)
          .refine((d) => normalizeHost(d)?.registrable != null, 'a domain with a registrable name'),
      )
      .min(1)
      .max(100),
    generic: z.boolean().optional(),
  }),
)

/**
 * Parses an operator's brand file: a JSON array of `{ name, tokens, domains, generic? }`. A bad file
 * fails as a whole, naming the file and the first bad field, so a typo never half-loads a brand.
 */
export function parseBrandFile(source: string, text: string): Brand[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${source}: brand file is not JSON`)
  }
  const parsed = brandFile.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${source}: brand file ${issue?.path.join('.') || '(root)'}: ${issue?.message}`)
  }
  return parsed.data.map((b) =>
    b.generic === undefined
      ? { name: b.name, tokens: b.tokens, domains: b.domains }
      : { ...b, generic: b.generic },
  )
}

/**
 * Loads blocklists and allowlists (plain, CSV or MetaMask config), extra brand files and extra link
 * shorteners (domains, added to ours) into domain guard options.
 */
export async function loadDomainLists(
  sources: {
    blocklists?: string[]
    allowlists?: string[]
    brands?: string[]
    linkShorteners?: string[]
    /** Tranco-format CSVs (`rank,domain`, header optional) of popular domains. */
    popular?: string[]
  },
  fetchFn: typeof fetch = fetch,
): Promise<DomainGuardOptions & { rejected: number }> {
  const block: string[] = []
  const allow: string[] = []
  const fuzzy: string[] = []
  let tolerance = 0
  let rejected = 0
  for (const [kind, list] of [
    ['block', sources.blocklists ?? []],
    ['allow', sources.allowlists ?? []],
  ] as const) {
    for (const src of list) {
      const text = await loadText(src, fetchFn)
      const parsed = parseDomainList(text, kind)
      // Never `push(...list)`: spreading a million entries as arguments overflows the stack.
      appendAll(block, parsed.block)
      appendAll(allow, parsed.allow)
      appendAll(fuzzy, parsed.fuzzy)
      rejected += parsed.rejected.length
      if (parsed.fuzzy.length > 0) {
        const t = Number((JSON.parse(text) as { tolerance?: unknown }).tolerance ?? 2)
        tolerance = Math.max(tolerance, Number.isFinite(t) ? t : 2)
      }
    }
  }
  const out: DomainGuardOptions & { rejected: number } = { blocklist: block, allowlist: allow, rejected }
  if (fuzzy.length > 0) {
    out.fuzzylist = fuzzy
    out.fuzzyTolerance = tolerance
  }
  if (sources.popular && sources.popular.length > 0) {
    const popular: string[] = []
    for (const src of sources.popular) appendAll(popular, parsePopularList(await loadText(src, fetchFn)))
    out.popular = popular
  }
  if (sources.linkShorteners && sources.linkShorteners.length > 0) {
    const { DEFAULT_LINK_SHORTENERS } = await import('../domain/brands.ts')
    out.linkShorteners = [...DEFAULT_LINK_SHORTENERS, ...sources.linkShorteners]
  }
  if (sources.brands && sources.brands.length > 0) {
    const { DEFAULT_BRANDS } = await import('../domain/brands.ts')
    const extra: Brand[] = []
    for (const src of sources.brands) appendAll(extra, parseBrandFile(src, await loadText(src, fetchFn)))
    // An operator's brand replaces ours of the same name, so they can also correct or narrow it
    // (drop a hijacked domain from the official list so that a feed entry for it blocks again).
    const overridden = new Set(extra.map((b) => b.name.toLowerCase()))
    out.brands = [...DEFAULT_BRANDS.filter((b) => !overridden.has(b.name.toLowerCase())), ...extra]
  }
  return out
}

/**
 * Loads address lists. The list name is the file name; the kind is `sanctions` for files named like
 * the OFAC export (`sanctioned_addresses_*`), otherwise the `kind` given.
 */
export async function loadAddressLists(
  sources: string[],
  kind: ListKind = 'sanctions',
  fetchFn: typeof fetch = fetch,
): Promise<AddressListSource[]> {
  const out: AddressListSource[] = []
  for (const src of sources) {
    const name = basename(src.replace(/[?#].*$/, ''))
    const asset = /sanctioned_addresses_([A-Z0-9]+)\./.exec(name)?.[1]
    out.push({
      name: asset ? `OFAC SDN (${asset})` : name,
      kind: asset ? 'sanctions' : kind,
      addresses: parseAddressList(await loadText(src, fetchFn)),
    })
  }
  return out
}

/** Loads token lists: standard token-list JSON, or CSV with chainId,address,symbol,name columns. */
export async function loadTokenLists(sources: string[], fetchFn: typeof fetch = fetch): Promise<TokenInfo[]> {
  const out: TokenInfo[] = []
  for (const src of sources) {
    const text = await loadText(src, fetchFn)
    if (text.trimStart().startsWith('{') || text.trimStart().startsWith('['))
      appendAll(out, parseTokenList(text))
    else appendAll(out, parseTokenCsv(text))
  }
  return out
}

/**
 * Registrable domains of a Tranco-format list (`rank,domain` per line, header optional; a plain
 * list of domains works too). Public suffixes are dropped: a popular *suffix* protects no one.
 */
export function parsePopularList(text: string): string[] {
  const out: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const cell = line.includes(',') ? line.slice(line.indexOf(',') + 1).split(',')[0] : line
    const n = normalizeHost((cell ?? '').trim())
    if (n?.registrable) out.push(n.registrable)
  }
  return out
}

/** CSV token rows (`chainId,address,symbol,name[,decimals]` in any column order). */
export function parseTokenCsv(text: string): TokenInfo[] {
  const lines = text.split(/\r?\n/)
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase())
  const col = (n: string): number => header.indexOf(n)
  const [ci, ai, si, ni, di] = [col('chainid'), col('address'), col('symbol'), col('name'), col('decimals')]
  if (ai < 0 || si < 0) return []
  const out: TokenInfo[] = []
  for (const line of lines.slice(1)) {
    if (!line) continue
    const c = splitCsvLine(line)
    const address = c[ai]?.trim() ?? ''
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) continue
    const t: TokenInfo = {
      chainId: Number(c[ci] || 1),
      address,
      symbol: c[si] ?? '',
      name: c[ni] ?? c[si] ?? '',
    }
    const d = Number(c[di])
    if (di >= 0 && Number.isInteger(d)) t.decimals = d
    out.push(t)
  }
  return out
}

/**
 * Re-runs `load` every `intervalMs` and hands each result to `apply`; a failed refresh keeps the
 * previous lists and reports the error. Returns a stop function.
 */
export function scheduleRefresh<T>(
  load: () => Promise<T>,
  apply: (value: T) => void,
  intervalMs: number,
  onError: (e: unknown) => void = () => {},
): () => void {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    load()
      .then(apply, onError)
      .finally(() => {
        running = false
      })
  }, intervalMs)
  timer.unref?.()
  return () => clearInterval(timer)
}

/**
 * The per-asset files of an ofac-sanctioned-digital-currency-addresses checkout
 * (`sanctioned_addresses_<ASSET>.<ext>`), every asset the directory holds, in name order: new
 * assets OFAC adds are picked up without a code change.
 * @example const files = sanctionsListFiles('/srv/ofac/lists', 'txt')
 */
export function sanctionsListFiles(dir: string, extension: 'txt' | 'json'): string[] {
  const pattern = new RegExp(`^sanctioned_addresses_[A-Z0-9]+\\.${extension}$`)
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dir, name))
}
