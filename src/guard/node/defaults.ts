/**
 * @module The lists the guard ships with, so a fresh install protects before an operator configures
 * anything: MetaMask's eth-phishing-detect config (npm `eth-phishing-detect`), the Uniswap default
 * token list (npm `@uniswap/default-token-list`) and OFAC's sanctioned digital-currency addresses
 * (a generated file in `src/guard/shipped/`, refreshed by `bulwark guard update`). Each is read at run
 * time from its installed package or file, never copied into Bulwark's code, and reported with its
 * source, licence and date.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { AddressListSource } from '../address/lists.ts'
import { parseDomainList } from '../domain/lists.ts'
import type { GuardLists, ListSourceInfo } from '../service.ts'
import { parseTokenList } from '../token/counterfeit.ts'

const require = createRequire(import.meta.url)

/** Version and licence from an installed package's package.json. */
function packageInfo(name: string): { version: string; license: string; dir: string } {
  const file = require.resolve(`${name}/package.json`)
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string; license?: string }
  return { version: pkg.version, license: pkg.license ?? 'not stated', dir: dirname(file) }
}

export const OFAC_FILE = join(import.meta.dirname, '../shipped/ofac-sanctioned-addresses.json')

type OfacFile = { source: string; retrieved: string; licence: string; assets: Record<string, string[]> }

/** The shipped OFAC file as one address list per asset (`OFAC SDN (ETH)`, …). */
export function parseOfacFile(text: string): { meta: OfacFile; lists: AddressListSource[] } {
  const meta = JSON.parse(text) as OfacFile
  const lists = Object.entries(meta.assets).map(([asset, addresses]) => ({
    name: `OFAC SDN (${asset})`,
    kind: 'sanctions' as const,
    addresses,
  }))
  return { meta, lists }
}

/**
 * Loads the shipped default lists. Synchronous and local (no network): they are installed files.
 * @example const { domains, tokens, addresses, sources } = loadDefaultLists()
 */
export function loadDefaultLists(): Required<Pick<GuardLists, 'tokens' | 'addresses' | 'sources'>> & {
  domains: { blocklist: string[]; allowlist: string[]; fuzzylist: string[]; fuzzyTolerance: number }
} {
  const mm = packageInfo('eth-phishing-detect')
  const mmText = readFileSync(join(mm.dir, 'src/config.json'), 'utf8')
  const parsed = parseDomainList(mmText, 'block', 'metamask')
  const tolerance = Number((JSON.parse(mmText) as { tolerance?: unknown }).tolerance ?? 2)

  const tl = packageInfo('@uniswap/default-token-list')
  const tlText = readFileSync(join(tl.dir, 'build/uniswap-default.tokenlist.json'), 'utf8')
  const tokens = parseTokenList(tlText)
  const tlDate = (JSON.parse(tlText) as { timestamp?: string }).timestamp?.slice(0, 10) ?? 'unknown'

  const ofac = parseOfacFile(readFileSync(OFAC_FILE, 'utf8'))
  const ofacCount = ofac.lists.reduce((n, l) => n + (l.addresses as string[]).length, 0)

  const sources: ListSourceInfo[] = [
    {
      name: 'MetaMask eth-phishing-detect',
      kind: 'domains',
      source: `npm eth-phishing-detect@${mm.version}`,
      licence: mm.license,
      date: `package ${mm.version}`,
      entries: parsed.block.length + parsed.allow.length,
      shipped: true,
    },
    {
      name: 'Uniswap default token list',
      kind: 'tokens',
      source: `npm @uniswap/default-token-list@${tl.version}`,
      licence: tl.license,
      date: tlDate,
      entries: tokens.length,
      shipped: true,
    },
    {
      name: 'OFAC sanctioned digital currency addresses',
      kind: 'addresses',
      source: ofac.meta.source,
      licence: ofac.meta.licence,
      date: ofac.meta.retrieved,
      entries: ofacCount,
      shipped: true,
    },
  ]
  return {
    domains: {
      blocklist: parsed.block,
      allowlist: parsed.allow,
      fuzzylist: parsed.fuzzy,
      fuzzyTolerance: Number.isFinite(tolerance) ? Math.min(tolerance, 2) : 2,
    },
    tokens,
    addresses: ofac.lists,
    sources,
  }
}
