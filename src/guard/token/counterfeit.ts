/**
 * @module Counterfeit tokens. Canonical tokens come from token lists in the standard token-list JSON
 * format (`{ name, tokens: [{ chainId, address, symbol, name, decimals }] }`), from sources the
 * operator configures. A token is counterfeit when its symbol or name *looks* like a canonical
 * token's (same text, or the same after removing invisible characters and mapping Unicode
 * lookalikes: "USDТ" with a Cyrillic Т, "B᠎N᠎B" with Mongolian vowel separators) but its contract is
 * not the canonical one on that chain.
 */
import { hasInvisible, isNonAscii, skeleton } from '../confusables.ts'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, short, verdictOf } from '../verdict.ts'

export type TokenInfo = { chainId: number; address: string; symbol: string; name: string; decimals?: number }

/** Parses a token-list JSON document (or a bare array of tokens). Invalid entries are skipped. */
export function parseTokenList(text: string): TokenInfo[] {
  const doc = JSON.parse(text) as unknown
  const arr = Array.isArray(doc) ? doc : ((doc as { tokens?: unknown })?.tokens ?? [])
  if (!Array.isArray(arr)) return []
  const out: TokenInfo[] = []
  for (const t of arr as Record<string, unknown>[]) {
    if (typeof t?.address !== 'string' || typeof t.symbol !== 'string') continue
    const chainId = Number(t.chainId ?? 1)
    if (!Number.isInteger(chainId)) continue
    const info: TokenInfo = {
      chainId,
      address: t.address,
      symbol: t.symbol,
      name: typeof t.name === 'string' ? t.name : t.symbol,
    }
    if (typeof t.decimals === 'number') info.decimals = t.decimals
    out.push(info)
  }
  return out
}

export type TokenCheckInput = { chainId: number; address: string; symbol: string; name?: string }

export type TokenCheck = {
  verdict: Verdict
  impersonates?: { symbol: string; name: string; address: string; chainId: number }
  reasons: Reason[]
  summary: string
}

export type TokenGuard = {
  check(input: TokenCheckInput): TokenCheck
  /** Canonical token at an address, if any (for summaries: "all your USDC"). */
  canonical(chainId: number, address: string): TokenInfo | undefined
  size(): number
}

/** Visual key of a symbol: skeleton, uppercase, without spaces and `$` prefixes. */
export function symbolKey(symbol: string): string {
  return skeleton(symbol).replace(/[\s$]/g, '').toUpperCase()
}

/**
 * Stablecoins and the most traded assets: a decorated copy of one of these (`USDT-ERC20`, `xUSDC`,
 * `USDC.e` off its listed contracts) blocks; a decorated copy of any other listed symbol warns.
 */
const HIGH_VALUE = new Set([
  'USDT',
  'USDC',
  'DAI',
  'USDE',
  'USDS',
  'PYUSD',
  'FDUSD',
  'TUSD',
  'BUSD',
  'FRAX',
  'LUSD',
  'GHO',
  'RLUSD',
  'ETH',
  'WETH',
  'BTC',
  'WBTC',
  'CBBTC',
  'BNB',
  'WBNB',
  'SOL',
  'POL',
  'MATIC',
  'ARB',
  'OP',
  'LINK',
  'UNI',
  'AAVE',
  'LDO',
  'STETH',
  'WSTETH',
  'SHIB',
  'PEPE',
  'TON',
  'TRX',
  'AVAX',
  'DOGE',
  'XRP',
  'ADA',
  'DOT',
])
/** Chain, bridge and version tags scammers glue to a symbol (`USDT-ERC20`, `USDC.e`, `ETH2`). */
const TAG_SUFFIX =
  /^(.{2,12}?)[-._ ]?(ERC-?20|TRC-?20|BEP-?20|BSC|ETH|ARB|OP|POLY|POS|E|V2|V3|NEW|OLD|[0-9])$/
/** Symbols every pool of a DEX carries. */
const LP_SYMBOLS = new Set(['UNI-V2', 'UNI-V3', 'CAKE-LP', 'SLP', 'BPT', 'G-UNI', 'ARRAKIS'])
/** A one-letter prefix on a symbol (`xUSDC`); only checked for high-value symbols. */
const ONE_LETTER_PREFIX = /^[A-Z]([A-Z]{3,12})$/

function nameKey(name: string): string {
  return skeleton(name).replace(/[^a-z0-9]/g, '')
}

/** Builds the guard over canonical tokens (deduplicated by chain and address). */
export function createTokenGuard(canonicalTokens: Iterable<TokenInfo>): TokenGuard {
  const byAddress = new Map<string, TokenInfo>()
  const bySymbol = new Map<string, TokenInfo[]>()
  const byName = new Map<string, TokenInfo[]>()
  for (const t of canonicalTokens) {
    const key = `${t.chainId}:${t.address.toLowerCase()}`
    if (byAddress.has(key)) continue
    byAddress.set(key, t)
    const sk = symbolKey(t.symbol)
    if (sk !== '') bySymbol.set(sk, [...(bySymbol.get(sk) ?? []), t])
    const nk = nameKey(t.name)
    if (nk.length >= 4) byName.set(nk, [...(byName.get(nk) ?? []), t])
  }
  const pick = (list: TokenInfo[] | undefined, chainId: number): TokenInfo | undefined =>
    list?.find((t) => t.chainId === chainId) ?? list?.[0]

  function check(input: TokenCheckInput): TokenCheck {
    const addr = input.address.toLowerCase()
    const own = byAddress.get(`${input.chainId}:${addr}`)
    if (own) {
      return {
        verdict: 'allow',
        reasons: [
          reason(
            'CANONICAL_TOKEN',
            'allow',
            `${own.symbol} at ${short(input.address)} is the canonical contract on chain ${input.chainId}.`,
          ),
        ],
        summary: `This is the real ${own.symbol}.`,
      }
    }
    const reasons: Reason[] = []
    const tricks = hasInvisible(input.symbol) || isNonAscii(input.symbol.replace(/\s/g, ''))
    if (hasInvisible(input.symbol))
      reasons.push(
        reason('INVISIBLE_CHARACTERS', 'warn', `The symbol "${input.symbol}" hides invisible characters.`),
      )
    const sk = symbolKey(input.symbol)
    const sym = pick(bySymbol.get(sk), input.chainId)
    let target = sym
    if (sym) {
      reasons.push(
        reason(
          tricks ? 'LOOKALIKE_SYMBOL' : 'COUNTERFEIT_SYMBOL',
          'block',
          tricks
            ? `"${input.symbol}" is written with look-alike characters to pass as ${sym.symbol}; the real ${sym.symbol} is ${short(sym.address)}.`
            : `This token calls itself ${sym.symbol}, but the real ${sym.symbol} on chain ${sym.chainId} is ${short(sym.address)}.`,
        ),
      )
    } else if (input.name) {
      const nm = pick(byName.get(nameKey(input.name)), input.chainId)
      if (nm) {
        target = nm
        reasons.push(
          reason(
            'COUNTERFEIT_NAME',
            'warn',
            `This token is named "${input.name}" like ${nm.name} (${short(nm.address)}), but it is a different contract.`,
          ),
        )
      }
    }
    if (!target) {
      // A canonical symbol wearing a tag or a prefix, at an address no list knows.
      const raw = skeleton(input.symbol).replace(/[\s$]/g, '').toUpperCase()
      // Liquidity-pool shares are named after their DEX on every pair (`UNI-V2`): not an affix.
      if (LP_SYMBOLS.has(raw)) return finish(input, reasons, undefined)
      const tagged = TAG_SUFFIX.exec(raw)?.[1]
      const prefixed = ONE_LETTER_PREFIX.exec(raw)?.[1]
      const base =
        tagged && bySymbol.has(tagged)
          ? tagged
          : prefixed && HIGH_VALUE.has(prefixed) && bySymbol.has(prefixed)
            ? prefixed
            : undefined
      const real = base ? pick(bySymbol.get(base), input.chainId) : undefined
      if (real && base) {
        target = real
        const high = HIGH_VALUE.has(base)
        reasons.push(
          reason(
            'AFFIXED_SYMBOL',
            high || tricks ? 'block' : 'warn',
            `"${input.symbol}" is ${real.symbol} with a tag or prefix added, at a contract no loaded list knows; the real ${real.symbol} on chain ${real.chainId} is ${short(real.address)}.`,
          ),
        )
      }
    }
    if (!target && tricks && isNonAscii(input.symbol))
      reasons.push(
        reason('NON_ASCII_SYMBOL', 'warn', `The symbol "${input.symbol}" uses non-Latin look-alike letters.`),
      )
    return finish(input, reasons, target)
  }
  return {
    check,
    canonical: (chainId, address) => byAddress.get(`${chainId}:${address.toLowerCase()}`),
    size: () => byAddress.size,
  }
}

/** The verdict, summary and imitated token of a check. */
function finish(_input: TokenCheckInput, reasons: Reason[], target: TokenInfo | undefined): TokenCheck {
  const verdict = verdictOf(reasons)
  const out: TokenCheck = {
    verdict,
    reasons,
    summary: target
      ? `Counterfeit: this is not the real ${target.symbol}. Ignore it and never approve or swap it.`
      : verdict === 'allow'
        ? 'Not a known token, and it does not imitate one.'
        : 'Suspicious token symbol.',
  }
  if (target)
    out.impersonates = {
      symbol: target.symbol,
      name: target.name,
      address: target.address,
      chainId: target.chainId,
    }
  return out
}
