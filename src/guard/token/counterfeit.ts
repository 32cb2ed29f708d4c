/**
 * @module Counterfeit tokens. Canonical tokens come from token lists in the standard token-list JSON
 * format (`{ name, tokens: [{ chainId, address, symbol, name, decimals }] }`), from sources the
 * operator configures. A token is counterfeit when its symbol or name *looks* like a canonical
 * token's (same text, or the same after removing invisible characters and mapping Unicode
 * lookalikes: "USDТ" with a Cyrillic Т, "B᠎N᠎B" with Mongolian vowel separators) but its contract is
 * not the canonical one on that chain.
 */
import { hasInvisible, isNonAscii, skeleton, stripInvisible } from '../confusables.ts'
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
  /^(.{2,12}?)([-._ ]?)(ERC-?20|TRC-?20|BEP-?20|BSC|ETH|ARB|OP|POLY|POS|E|V2|V3|NEW|OLD|[0-9])$/
/** Symbols every pool of a DEX carries. */
const LP_SYMBOLS = new Set(['UNI-V2', 'UNI-V3', 'CAKE-LP', 'SLP', 'BPT', 'G-UNI', 'ARRAKIS'])
/** A one-letter prefix on a symbol (`xUSDC`); only checked for high-value symbols. */
const ONE_LETTER_PREFIX = /^[A-Z]([A-Z]{3,12})$/

function nameKey(name: string): string {
  return skeleton(name).replace(/[^a-z0-9]/g, '')
}

/**
 * Latin letters mixed with non-Latin look-alikes in one symbol (`USDТ` with a Cyrillic Т): a
 * disguise. A symbol written wholly in another script, or with emoji, is someone's own name.
 */
function mixedScript(symbol: string): boolean {
  const letters = stripInvisible(symbol).replace(/[^\p{L}]/gu, '')
  return /[A-Za-z]/.test(letters) && /[^A-Za-z]/.test(letters) && skeleton(letters) !== letters.toLowerCase()
}

/** Words a counterfeit adds to a copied name to look official; they name no issuer. */
const DECOY_WORDS = new Set(
  'token coin wrapped bridged bridge new old official erc20 trc20 bep20 usd dollar stablecoin stable v2 v3 ether ethereum bitcoin btc eth the on of from pos'.split(
    ' ',
  ),
)

/**
 * True when an affixed token's name carries a word of its own (an issuer: `Fluid`, `Instadapp`),
 * not only the listed token's words, its ticker or decoy words.
 */
function ownIssuer(input: TokenCheckInput, listed: TokenInfo): boolean {
  if (!input.name) return false
  const theirs = new Set(skeleton(listed.name).split(/[^a-z0-9]+/))
  const ticker = skeleton(listed.symbol)
  return skeleton(input.name)
    .split(/[^a-z0-9]+/)
    .some((w) => w.length >= 3 && !theirs.has(w) && !DECOY_WORDS.has(w) && !w.includes(ticker))
}

/** True when a token's name is the listed token's name (compared by visual key, at least 4 letters). */
function claimsName(input: TokenCheckInput, listed: TokenInfo): boolean {
  const k = input.name ? nameKey(input.name) : ''
  return k.length >= 4 && k === nameKey(listed.name)
}

/** Builds the guard over canonical tokens (deduplicated by chain and address). */
export function createTokenGuard(canonicalTokens: Iterable<TokenInfo>): TokenGuard {
  const byAddress = new Map<string, TokenInfo>()
  const bySymbol = new Map<string, TokenInfo[]>()
  const byName = new Map<string, TokenInfo[]>()
  const chains = new Set<number>()
  for (const t of canonicalTokens) {
    const key = `${t.chainId}:${t.address.toLowerCase()}`
    if (byAddress.has(key)) continue
    byAddress.set(key, t)
    chains.add(t.chainId)
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
    let target: TokenInfo | undefined
    if (sym && tricks) {
      target = sym
      reasons.push(
        reason(
          'LOOKALIKE_SYMBOL',
          'block',
          `"${input.symbol}" is written with look-alike characters to pass as ${sym.symbol}; the real ${sym.symbol} is ${short(sym.address)}.`,
        ),
      )
    } else if (
      sym &&
      ((HIGH_VALUE.has(sk) && chains.has(input.chainId)) ||
        (sym.chainId === input.chainId && claimsName(input, sym)))
    ) {
      // A plain copy of a ticker matters where it protects: a stablecoin or top asset, or a token
      // that also takes the name of the token listed on its own chain. Thousands of unrelated tokens
      // (and every bridged copy of a project) share tickers across chains. On a chain no loaded list
      // covers, the lists cannot tell a bridged stablecoin from a fake: that is said, not flagged.
      target = sym
      const here = sym.chainId === input.chainId
      reasons.push(
        reason(
          'COUNTERFEIT_SYMBOL',
          here && HIGH_VALUE.has(sk) ? 'block' : 'warn',
          here
            ? `This token calls itself ${sym.symbol}, but the real ${sym.symbol} on chain ${sym.chainId} is ${short(sym.address)}.`
            : `This token calls itself ${sym.symbol}; the loaded lists do not name ${sym.symbol}'s contract on chain ${input.chainId} (on chain ${sym.chainId} it is ${short(sym.address)}).`,
        ),
      )
    } else if (sym) {
      reasons.push(
        reason(
          'SHARED_SYMBOL',
          'allow',
          chains.has(input.chainId)
            ? `Other contracts also use the ticker ${sym.symbol} (a listed one is ${short(sym.address)} on chain ${sym.chainId}); this one does not copy its name.`
            : `The loaded token lists cover no token on chain ${input.chainId}, so they cannot say whether this ${sym.symbol} is the real one; check its contract with the issuer.`,
        ),
      )
    } else if (input.name) {
      const nm = pick(
        byName.get(nameKey(input.name))?.filter((t) => HIGH_VALUE.has(symbolKey(t.symbol))),
        input.chainId,
      )
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
    if (!sym) {
      // A canonical symbol wearing a tag or a prefix, at an address no list knows (a ticker the
      // lists already hold, such as Ankr's `aETH`, is not a decorated copy of another one).
      const raw = skeleton(input.symbol).replace(/[\s$]/g, '').toUpperCase()
      // Liquidity-pool shares are named after their DEX on every pair (`UNI-V2`): not an affix.
      if (LP_SYMBOLS.has(raw)) return finish(input, reasons, undefined)
      const tag = TAG_SUFFIX.exec(raw)
      // A tag glued on without a separator (`HOPE`, `HIV3`) spells a new word unless the base is a
      // stablecoin or top asset (`USDC2`, `ETHE`).
      const tagged = tag?.[1] && (tag[2] !== '' || HIGH_VALUE.has(tag[1])) ? tag[1] : undefined
      const prefixed = ONE_LETTER_PREFIX.exec(raw)?.[1]
      const base =
        tagged && bySymbol.has(tagged)
          ? tagged
          : prefixed && HIGH_VALUE.has(prefixed) && bySymbol.has(prefixed)
            ? prefixed
            : undefined
      const real = base ? pick(bySymbol.get(base), input.chainId) : undefined
      if (real && base && !tricks && ownIssuer(input, real)) {
        // `fWETH` "Fluid Wrapped Ether", `iUSDC` "Instadapp USDC": a wrapper or receipt that names
        // its issuer. Counterfeits copy the real name (or none); this one says whose it is.
        reasons.push(
          reason(
            'AFFIX_NAMES_ISSUER',
            'allow',
            `"${input.symbol}" is ${real.symbol} with a tag or prefix, and its name "${input.name}" names its own issuer; it is not the real ${real.symbol} (${short(real.address)} on chain ${real.chainId}).`,
          ),
        )
      } else if (real && base) {
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
    if (!target && (hasInvisible(input.symbol) || mixedScript(input.symbol)) && isNonAscii(input.symbol))
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
        ? reasons.some((r) => r.code === 'SHARED_SYMBOL')
          ? 'Not a listed token; it shares a ticker with listed tokens but does not copy a stablecoin, a top asset or their name.'
          : 'Not a known token, and it does not imitate one.'
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
