/**
 * @module The domain guard: is this site safe to connect a wallet to? Checks, in order: allowlists and
 * the protected brands' official domains (allow), blocklists (block), then what lists miss:
 * homoglyph and typosquat lookalikes of protected brands, TLD swaps, combosquats (`pendle-claim.xyz`),
 * a brand in the subdomain of an unrelated site, and "target + lure" names learned from the loaded
 * blocklist (tokens that keep reappearing in listed phishing domains, such as a newly hyped project,
 * next to a lure word like `claim` or `airdrop`). Pure and synchronous; lists arrive as arguments.
 */
import { isNonAscii, skeleton, visualFold } from '../confusables.ts'
import { NearIndex } from '../levenshtein.ts'
import type { Reason, Verdict } from '../verdict.ts'
import { reason, verdictOf } from '../verdict.ts'
import { type Brand, DEFAULT_BRANDS, DEFAULT_LINK_SHORTENERS, PHISHING_KEYWORDS } from './brands.ts'
import { DomainSet } from './lists.ts'
import { type NormalizedHost, normalizeHost } from './normalize.ts'
import { TYPO_WORDS, typoPath, VISUAL_TYPOS } from './typos.ts'

/**
 * Independent signs that a site is a phishing page. A heuristic blocks only when two of them agree;
 * one alone warns. Lists (blocklists, the fuzzylist) block on their own.
 */
type Signal = 'brand' | 'lure' | 'disguise' | 'free-hosting'

/** The words of a checked name, split once and shared by the rules. */
type NameParts = { flat: string; tokens: string[]; subTokens: string[] }

/** Reasons that come from a list someone curated, not from a heuristic. */
const LIST_CODES = new Set(['BLOCKLISTED', 'FUZZY_LOOKALIKE'])
/** Heuristic reasons that say "this name imitates a brand or a much-impersonated project". */
const BRAND_CODES = new Set([
  'HOMOGLYPH',
  'TYPOSQUAT',
  'TLD_SWAP',
  'COMBOSQUAT',
  'BRAND_IN_SUBDOMAIN',
  'BRAND_SPLIT',
  'OFFICIAL_LOOKALIKE',
  'LURE_PATTERN',
  'FAKE_TLD_TRICK',
])
/** Heuristic reasons that say "this name is written to deceive the eye". */
const DISGUISE_CODES = new Set([
  'HOMOGLYPH',
  'MISSPELLED_WORD',
  'FAKE_TLD_TRICK',
  'BRAND_SPLIT',
  'USERINFO_TRICK',
])

/**
 * Government, military and academic suffixes (`gov`, `gov.uk`, `ac.jp`, `edu.au`, `gouv.fr`,
 * `gob.mx`, `go.jp`, `govt.nz`, `gv.at`, `mil`): registration there is vetted, so a heuristic alone
 * never blocks under them ("migration" and "redeem" are ordinary words on a ministry's site).
 */
const VETTED_SUFFIX = /(^|\.)(gov|mil|edu|ac|gob|gouv|govt|go|gv|mil)(\.|$)/

/** Look-alike letter groups collapsed or expanded one at a time to reach the brand they imitate. */
const GROUP_SWAPS: [string, string][] = [
  ['rn', 'm'],
  ['vv', 'w'],
  ['cl', 'd'],
  ['ii', 'u'],
  ['m', 'rn'],
  ['w', 'vv'],
  ['d', 'cl'],
  ['u', 'ii'],
]

export type DomainCheck = {
  input: string
  verdict: Verdict
  reasons: Reason[]
  /** The protected brand the site imitates, when one was recognised. */
  brand?: string
  /** Canonical host that was checked (absent when the input was not a domain). */
  host?: string
  summary: string
}

export type DomainGuardOptions = {
  blocklist?: Iterable<string>
  allowlist?: Iterable<string>
  /** MetaMask-style fuzzylist: registrable domains whose near misses (edit distance ≤ tolerance) are blocked. */
  fuzzylist?: Iterable<string>
  fuzzyTolerance?: number
  brands?: readonly Brand[]
  keywords?: readonly string[]
  /**
   * Learn "target" tokens from the blocklist (default true). A token that appears in at least
   * `learnMinCount` distinct listed registrable domains and is not a lure word becomes a target.
   */
  learnFromBlocklist?: boolean
  learnMinCount?: number
  /** Run the lookalike and lure heuristics (default true); false leaves list matching only. */
  heuristics?: boolean
  /** Registrable domains of link shorteners (default `DEFAULT_LINK_SHORTENERS`). */
  linkShorteners?: Iterable<string>
  /** Popular registrable domains (GUARD_POPULAR_DOMAINS, Tranco): a heuristic alone never blocks them. */
  popular?: Iterable<string>
}

/**
 * Suffixes where anyone can publish a site in seconds; phishing kits live there. A brand or target
 * on such a host is treated like a brand next to a lure word.
 */
const FREE_HOSTING = new Set([
  'pages.dev',
  'vercel.app',
  'netlify.app',
  'web.app',
  'firebaseapp.com',
  'github.io',
  'gitbook.io',
  'herokuapp.com',
  'glitch.me',
  'workers.dev',
  'onrender.com',
  'replit.app',
  'repl.co',
  'weebly.com',
  'webflow.io',
  'wixsite.com',
  'framer.app',
  'framer.website',
  'surge.sh',
  'fleek.co',
  'on-fleek.app',
  'ipfs.dweb.link',
  'dweb.link',
  'ipfs.io',
  'ipfs.w3s.link',
  'azurewebsites.net',
  'blogspot.com',
  'square.site',
  'godaddysites.com',
  'myshopify.com',
  'gitlab.io',
  'r2.dev',
  'translate.goog',
])

/** Generic words never learned as targets: they name no one in particular. */
const NOT_A_TARGET = new Set([
  'finance',
  'network',
  'protocol',
  'crypto',
  'coin',
  'coins',
  'online',
  'site',
  'world',
  'digital',
  'global',
  'labs',
  'exchange',
  'money',
  'trade',
  'trading',
  'market',
  'home',
  'shop',
  'store',
  'info',
  'group',
  'capital',
  'bank',
  'cash',
  'chain',
  'meta',
  'tech',
  'cloud',
  'game',
  'games',
  'club',
  'fund',
  'invest',
  'blockchain',
  'defi',
  'nfts',
  'www',
  'http',
  'https',
  'index',
  'html',
  'page',
  'pages',
  'mail',
  'news',
  'blog',
  'live',
  'best',
  'center',
  'service',
  'services',
  'help',
  'user',
  'users',
  'account',
  'update',
  'com',
  'net',
  'org',
  'xyz',
  'io',
  'pro',
  'top',
  'vip',
  'fun',
  'foundation',
  'finances',
  'assets',
  'asset',
  'wallet',
  'wallets',
  'official',
  'dashboard',
  'ecosystem',
  'community',
  'project',
  'system',
  'systems',
  'solution',
  'solutions',
  'platform',
  'access',
  'bitcoin',
  'ether',
  'eth',
  'btc',
  'usdt',
  'usdc',
  'first',
  'base',
  'next',
  'gold',
  'link',
  'data',
  'lite',
  'plus',
  'super',
  'smart',
  'digital',
  'cyber',
  'space',
  'land',
  'city',
  'zone',
  'verse',
  'metaverse',
  'dragon',
  'king',
  'moon',
  'star',
  'stars',
  'magic',
  'ethereum',
  'network',
  'mainnet',
  'testnet',
  'beta',
  'alpha',
  'new',
  'open',
  'free',
  'token',
  'tokens',
])

type BrandHit = { brand: Brand; token: string }

export type DomainGuard = {
  check(input: string): DomainCheck
  /** Targets learned from the blocklist (for docs and debugging). */
  learnedTargets(): string[]
  stats(): { blocklist: number; allowlist: number; brands: number; learnedTargets: number }
  /** Blocklist entries an operator should look at (computed once per guard, on first call). */
  review(): ListReview
}

/**
 * Where the loaded blocklists disagree with what else the guard knows: entries naming a protected
 * brand's official domain (a hijack report, or a mistake; they warn), entries naming a whole link
 * shortener (they warn), and entries an allowlist overrides (they allow).
 */
export type ListReview = {
  officialDomainsListed: { entry: string; brand: string }[]
  linkShortenersListed: string[]
  allowlistedEntries: string[]
}

/**
 * Builds a domain guard over normalised lists. Hosts given here should already be normalised
 * (use `parseDomainList`); unparseable entries are skipped.
 */
export function createDomainGuard(options: DomainGuardOptions = {}): DomainGuard {
  const block = new DomainSet(options.blocklist ?? [])
  const allow = new DomainSet(options.allowlist ?? [])
  const brands = options.brands ?? DEFAULT_BRANDS
  const keywords = new Set(options.keywords ?? PHISHING_KEYWORDS)
  const official = new DomainSet()
  const officialBrand = new Map<string, Brand>()
  const brandByToken = new Map<string, Brand>()
  const shorteners = new Set(
    [...(options.linkShorteners ?? DEFAULT_LINK_SHORTENERS)].map((d) => normalizeHost(d)?.registrable ?? d),
  )
  const specific: BrandHit[] = []
  for (const brand of brands) {
    for (const d of brand.domains) {
      const n = normalizeHost(d)
      if (n && official.add(n.host)) officialBrand.set(n.host, brand)
    }
    for (const t of brand.tokens) {
      brandByToken.set(t, brand)
      if (!brand.generic) specific.push({ brand, token: t })
    }
  }
  // Specific brand tokens found anywhere inside a name, with one regular expression (longest first).
  const specificTokens = specific.map((h) => h.token).filter((t) => t.length >= 5 && /^[a-z0-9]+$/.test(t))
  const specificRe =
    specificTokens.length > 0
      ? new RegExp(specificTokens.sort((a, b) => b.length - a.length).join('|'))
      : null
  // The index reaches every name within two edits (a transposition or `rn` for `m` is two
  // Levenshtein edits even for a short name); the typo model then decides which near misses are typos.
  const typoIndex = new NearIndex<Brand>(
    specific.filter((h) => h.token.length >= 5).map((h) => [h.token, h.brand]),
    () => 2,
  )
  /** How far a near miss may be to earn the "spelled much like" warning. */
  const similarWithin = (word: string): number => (word.length >= 9 ? 2 : 1)
  /** Brand tokens near `cand`, including through look-alike letter groups (`rnetamask`). */
  function nearBrands(cand: string): { word: string; value: Brand; distance: number }[] {
    const out = typoIndex.near(cand)
    for (const [from, to] of GROUP_SWAPS) {
      for (let i = cand.indexOf(from); i !== -1; i = cand.indexOf(from, i + 1)) {
        const v = cand.slice(0, i) + to + cand.slice(i + from.length)
        const exact = brandByToken.get(v)
        if (exact && !exact.generic && v.length >= 5) out.push({ word: v, value: exact, distance: 2 })
      }
    }
    return out
  }
  const popular = new Set(options.popular ?? [])
  // Official registrable names by suffix: a name one typo from an official domain on the same suffix
  // (`revke.cash`, `lldo.fi`, `sushl.com`) imitates that site, whatever the brand's tokens are.
  const officialBySuffix = new Map<string, { label: string; domain: string; brand: Brand }[]>()
  for (const brand of brands)
    for (const d of brand.domains) {
      const o = normalizeHost(d)
      if (!o?.registrable || o.label.length < 3) continue
      const list = officialBySuffix.get(o.suffix) ?? []
      list.push({ label: o.label, domain: o.registrable, brand })
      officialBySuffix.set(o.suffix, list)
    }
  // Folds of what names look like: a brand token (five letters or more) or an official name on its
  // own suffix that folds the same as a candidate is written with look-alike letters.
  const foldedBrand = new Map<string, Brand>()
  for (const h of specific) if (h.token.length >= 5) foldedBrand.set(visualFold(h.token), h.brand)
  const foldedOfficial = new Map<string, { domain: string; brand: Brand; label: string }>()
  const dotDropped = new Map<string, { domain: string; brand: Brand }>()
  for (const [suffix, list] of officialBySuffix)
    for (const o of list) {
      foldedOfficial.set(`${suffix} ${visualFold(o.label)}`, { ...o })
      dotDropped.set(`${o.label}${suffix.replace(/\./g, '')}`, o)
    }
  /** The brand or official domain `cand` imitates with look-alike letters, if any. */
  function foldedLookalike(cand: string, suffix: string): { brand: Brand; what: string } | undefined {
    const f = visualFold(cand)
    const b = foldedBrand.get(f)
    if (b && !b.tokens.includes(cand)) return { brand: b, what: `${b.name}'s name` }
    const o = foldedOfficial.get(`${suffix} ${f}`)
    if (o && o.label !== cand) return { brand: o.brand, what: `${o.domain}, ${o.brand.name}'s site` }
    return undefined
  }
  // Per suffix, a deletion index over the official names, so a check costs a few hash lookups
  // however many brands share `.com`.
  type Official = { label: string; domain: string; brand: Brand }
  const officialExact = new Map<string, Official>()
  const officialIndex = new Map<string, NearIndex<Official>>()
  for (const [suffix, list] of officialBySuffix) {
    for (const o of list) officialExact.set(`${suffix} ${o.label}`, o)
    officialIndex.set(
      suffix,
      new NearIndex<Official>(
        list.map((o) => [o.label, o]),
        () => 2,
      ),
    )
  }
  /** The official domain on `suffix` that `label` imitates, with the typo operations. */
  function officialLookalike(
    label: string,
    suffix: string,
  ):
    | { domain: string; brand: Brand; path: ReturnType<typeof typoPath> & object; exact: boolean }
    | undefined {
    const exact = officialExact.get(`${suffix} ${label}`)
    if (exact) return { domain: exact.domain, brand: exact.brand, path: [], exact: true }
    const index = officialIndex.get(suffix)
    if (!index) return undefined
    for (const hit of index.near(label)) {
      const path = typoPath(label, hit.word)
      if (path) return { domain: hit.value.domain, brand: hit.value.brand, path, exact: false }
    }
    // `rn` for `m` is two edits and more: try the look-alike groups.
    for (const [from, to] of GROUP_SWAPS)
      for (let i = label.indexOf(from); i !== -1; i = label.indexOf(from, i + 1)) {
        const o = officialExact.get(`${suffix} ${label.slice(0, i)}${to}${label.slice(i + from.length)}`)
        const path = o ? typoPath(label, o.label) : undefined
        if (o && path) return { domain: o.domain, brand: o.brand, path, exact: false }
      }
    return undefined
  }
  /** An official name on the same suffix one edit from `label` that no typo explains (`3ushi.com`). */
  function officialSimilar(label: string, suffix: string): Official | undefined {
    return officialIndex
      .get(suffix)
      ?.near(label)
      .find((h) => h.distance <= 1 && h.word.length >= 4)?.value
  }
  const fuzzy = [...(options.fuzzylist ?? [])]
    .map((d) => normalizeHost(d))
    .filter((n): n is NormalizedHost => n?.registrable != null)
  const fuzzyTolerance = options.fuzzyTolerance ?? 0
  const fuzzyIndex =
    fuzzy.length > 0 && fuzzyTolerance > 0
      ? new NearIndex<string>(
          fuzzy.map((n) => [n.label, n.registrable as string]),
          () => Math.min(2, fuzzyTolerance),
        )
      : null

  const targets = new Set<string>()
  /** How many listed registrable domains carried each learned target (for the explanation). */
  const targetCounts = new Map<string, number>()
  let maxTargetLength = 0
  const targetHeads = new Set<number>()
  if (options.learnFromBlocklist ?? true) {
    const min = options.learnMinCount ?? 5
    const counts = new Map<string, number>()
    const seen = new Set<string>()
    for (const host of block.values()) {
      const n = normalizeHost(host)
      if (!n?.registrable || seen.has(n.registrable)) continue
      seen.add(n.registrable)
      for (const t of new Set(tokensOf(n))) if (t.length >= 4) counts.set(t, (counts.get(t) ?? 0) + 1)
    }
    for (const [t, c] of counts) {
      if (c >= min && !keywords.has(t) && !NOT_A_TARGET.has(t) && !INFRA_LABELS.has(t) && !/^\d+$/.test(t)) {
        targets.add(t)
        targetCounts.set(t, c)
      }
    }
    for (const t of targets) {
      maxTargetLength = Math.max(maxTargetLength, Math.min(t.length, 14))
      targetHeads.add(head4(t, 0))
    }
  }
  // For the warn-only hints, a target that popular sites carry in their own names (GUARD_POPULAR_DOMAINS)
  // is a general word or a household brand, not a project phishing kits single out: not a hint.
  const hintTargets = new Set(targets)
  if (popular.size > 0 && targets.size > 0)
    for (const d of popular) {
      const label = normalizeHost(d)?.label
      if (!label) continue
      for (const t of label.split(/[-_]+/)) hintTargets.delete(t)
      const flatLabel = label.replace(/[-_]/g, '')
      for (let hit = findInside(flatLabel, hintTargets, targetHeads, 6, maxTargetLength); hit; ) {
        hintTargets.delete(hit)
        hit = findInside(flatLabel, hintTargets, targetHeads, 6, maxTargetLength)
      }
    }

  function check(input: string): DomainCheck {
    const n = normalizeHost(input)
    if (!n) {
      const reasons = [reason('NOT_A_DOMAIN', 'warn', 'This is not a domain name or web address.')]
      return { input, verdict: 'warn', reasons, summary: 'We could not read a web address here.' }
    }
    const reasons: Reason[] = []
    for (const t of n.tricks) {
      if (t.startsWith('userinfo'))
        reasons.push(reason('USERINFO_TRICK', 'warn', `The ${t}; it goes to ${n.host}.`))
    }
    const allowed = allow.match(n.host, n.registrable)
    const own = official.match(n.host, n.registrable)
    if (allowed) {
      // An allowlist (MetaMask's names many official sites) must not hide whose site it is.
      const ownBrand = own ? officialBrand.get(own) : undefined
      return ownBrand
        ? done(
            input,
            n,
            [reason('OFFICIAL_DOMAIN', 'allow', `${own} is an official site of ${ownBrand.name}.`)],
            ownBrand,
          )
        : done(input, n, [reason('ALLOWLISTED', 'allow', `${allowed} is on an allowlist.`)], undefined)
    }
    const listed = block.match(n.host, n.registrable)
    if (own) {
      const brand = officialBrand.get(own)
      // Official front ends do get hijacked (Aerodrome and Velodrome's DNS, November 2023 and 2025),
      // and feeds list them while it lasts: a warning, since a stale entry must not block the real site.
      if (listed)
        return done(
          input,
          n,
          [
            reason(
              'OFFICIAL_DOMAIN_REPORTED',
              'warn',
              `${own} is an official domain of ${brand?.name}, but a phishing feed lists ${listed}: its site may have been hijacked. Check ${brand?.name}'s own announcements before you connect.`,
            ),
          ],
          brand,
        )
      return done(
        input,
        n,
        [reason('OFFICIAL_DOMAIN', 'allow', `${own} is an official site of ${brand?.name}.`)],
        brand,
      )
    }
    if (n.registrable && shorteners.has(n.registrable)) {
      // A listed custom subdomain (`scam.cutt.ly`) is one publisher's; the bare service is everyone's.
      const wholeService = listed === n.registrable || listed === `www.${n.registrable}`
      if (listed)
        reasons.push(
          wholeService
            ? reason(
                'BLOCKLISTED',
                'warn',
                `A phishing feed lists all of ${listed}; it is a link shortener shared by many sites, so that means some links on it led to phishing.`,
              )
            : reason('BLOCKLISTED', 'block', `${listed} is on a phishing blocklist.`),
        )
      reasons.push(
        reason(
          'LINK_SHORTENER',
          'warn',
          `${n.registrable} is a link shortener, which hides where the link really goes; open it only if you trust whoever sent it.`,
        ),
      )
      return done(input, n, reasons, undefined)
    }
    if (listed) reasons.push(reason('BLOCKLISTED', 'block', `${listed} is on a phishing blocklist.`))
    if (n.isIp)
      reasons.push(reason('IP_ADDRESS', 'warn', 'The site is a bare IP address, not a named domain.'))
    const signals = new Set<Signal>()
    const parts: NameParts = { flat: '', tokens: [], subTokens: [] }
    const brand = options.heuristics === false ? undefined : lookalikes(n, reasons, signals, parts)
    if (fuzzyIndex && n.registrable && !listed) {
      const hit = fuzzyIndex.near(n.label)[0]
      if (hit)
        reasons.push(
          reason(
            'FUZZY_LOOKALIKE',
            'block',
            `${n.registrable} is one or two letters away from ${hit.value}.`,
          ),
        )
    }
    const settled = settle(n, reasons, signals)
    if (options.heuristics !== false && !settled.some((r) => r.severity !== 'allow')) hints(n, settled, parts)
    return done(input, n, settled, brand)
  }

  /**
   * Weak signs, each of which only warns, for names no stronger rule explained: a name that earlier
   * phishing domains keep impersonating (learned from the loaded blocklist, so it follows the lists
   * walk-forward), wallet-support and drop vocabulary as whole words, and a chain of server-panel
   * labels (`www.login.cpanel.mail.example.com`) that phishing kits' wildcard DNS produces.
   */
  function hints(n: NormalizedHost, reasons: Reason[], parts: NameParts): void {
    if (!n.registrable || n.isIp || VETTED_SUFFIX.test(n.suffix) || popular.has(n.registrable)) return
    const { flat, tokens, subTokens } = parts
    // A project's own site is usually its bare name (`oasis.app`): the bare name counts only on free
    // hosting or a TLD phishing kits favour; a name with words added (`zerion-io.events`,
    // `celestiatia.xyz`) or in a subdomain counts anywhere.
    const bareOk = FREE_HOSTING.has(n.suffix) || (RISKY_TLDS.has(n.suffix) && !MAINSTREAM_TLDS.has(n.suffix))
    const target =
      (tokens.length > 1 ? tokens.find((t) => t.length >= 5 && hintTargets.has(t)) : undefined) ??
      subTokens.find((t) => t.length >= 6 && hintTargets.has(t)) ??
      (bareOk && hintTargets.has(flat) && flat.length >= 5 ? flat : undefined) ??
      (flat.length > 6
        ? findInside(flat, hintTargets, targetHeads, 6, Math.min(maxTargetLength, flat.length - 1))
        : undefined)
    if (target) {
      reasons.push(
        reason(
          'LEARNED_TARGET',
          'warn',
          `${n.host} carries "${target}", a name ${targetCounts.get(target) ?? 'several'} listed phishing domains have used; no list names this site, so make sure it is the project's own.`,
        ),
      )
      return
    }
    // In the registrable name only: `events.example.com` is how sites name a section.
    const word = tokens.find((t) => WEAK_LURES.has(t))
    if (word) {
      reasons.push(
        reason(
          'WEAK_LURE',
          'warn',
          `${n.host} uses "${word}", a word wallet-draining sites use to pose as support, a mint or a drop; make sure you know who runs it.`,
        ),
      )
      return
    }
    const labels = n.subdomain === '' ? [] : n.subdomain.split('.')
    if (labels.length >= 3 && new Set(labels.filter((l) => INFRA_LABELS.has(l))).size >= 3)
      reasons.push(
        reason(
          'LABEL_CHAIN',
          'warn',
          `${n.host} stacks server-panel names (${labels.slice(0, 4).join(', ')}…) in front of ${n.registrable}, the shape of a throwaway phishing host.`,
        ),
      )
  }

  /**
   * The product rules over the heuristics: lists block; a heuristic alone blocks only when two
   * independent signals agree, never under a government, military or academic suffix, and never a
   * popular domain (GUARD_POPULAR_DOMAINS). Otherwise its block becomes a warning, with a reason
   * naming the rule.
   */
  function settle(n: NormalizedHost, reasons: Reason[], signals: Set<Signal>): Reason[] {
    if (reasons.some((r) => r.severity === 'block' && LIST_CODES.has(r.code))) return reasons
    if (!reasons.some((r) => r.severity === 'block')) return reasons
    for (const r of reasons) {
      if (BRAND_CODES.has(r.code)) signals.add('brand')
      if (DISGUISE_CODES.has(r.code)) signals.add('disguise')
    }
    let rule: Reason | undefined
    if (VETTED_SUFFIX.test(n.suffix))
      rule = reason(
        'VETTED_SUFFIX_WARNS',
        'warn',
        `.${n.suffix} names are vetted (government, military or academic), so no list naming ${n.registrable ?? n.host}, the signs above only warn.`,
      )
    else if (n.registrable && popular.has(n.registrable))
      rule = reason(
        'POPULAR_DOMAIN_WARNS',
        'warn',
        `${n.registrable} is on the popular-domains list, so with no blocklist naming it the signs above only warn.`,
      )
    else if (signals.size < 2)
      rule = reason(
        'ONE_SIGNAL_WARNS',
        'warn',
        'No blocklist names this site and only one kind of warning sign was found, so this is a warning, not a block.',
      )
    if (!rule) return reasons
    const out = reasons.map((r) => (r.severity === 'block' ? { ...r, severity: 'warn' as const } : r))
    out.push(rule)
    return out
  }

  function lookalikes(
    n: NormalizedHost,
    reasons: Reason[],
    signals: Set<Signal>,
    parts: NameParts,
  ): Brand | undefined {
    if (!n.registrable) return undefined
    const uniLabel =
      n.unicodeHost === n.host
        ? n.label
        : (n.unicodeHost
            .slice(0, n.unicodeHost.length - n.suffix.length - 1)
            .split('.')
            .pop() ?? '')
    const skel = skeleton(uniLabel)
    const hasSep = skel.includes('-') || skel.includes('_')
    const flat = hasSep ? skel.replace(/[-_]/g, '') : skel
    const tokens = hasSep ? skel.split(/[-_]+/).filter((t) => t !== '') : [skel]
    const subTokens =
      n.subdomain === ''
        ? []
        : skeleton(n.subdomain)
            .split(/[-_.]+/)
            .filter((t) => t !== '')
    parts.flat = flat
    parts.tokens = tokens
    parts.subTokens = subTokens
    // The registrable name and its `-` words, each once (computed here, not in every rule below).
    const cands = tokens.length === 1 && tokens[0] === flat ? tokens : [...new Set([flat, ...tokens])]
    const freeHost = FREE_HOSTING.has(n.suffix)
    const all = [...tokens, ...subTokens]
    // A lure as the TLD itself (`normie.claims`) reads like one in the name.
    const strongInName =
      tokens.some((t) => STRONG_LURES.has(t)) ||
      tokens.some((t) => hasLureInside(t)) ||
      STRONG_LURES.has(n.suffix)
    // `dapp.example.com` is how many genuine apps name their front end: not a lure in a subdomain.
    const strong = strongInName || subTokens.some((t) => STRONG_LURES.has(t) && t !== 'dapp' && t !== 'dapps')
    const lure = strong || all.some((t) => keywords.has(t))
    const riskyHost = freeHost || RISKY_TLDS.has(n.suffix)
    if (strong) signals.add('lure')
    if (freeHost) signals.add('free-hosting')
    if (n.tricks.some((t) => t.startsWith('userinfo'))) signals.add('disguise')
    // 0. `jupiter.org-p.pro`, `app.com-claim.xyz`: the real-looking name ends at a fake TLD label.
    if (n.subdomain !== '' && FAKE_TLD_START.test(n.label)) {
      reasons.push(
        reason(
          'FAKE_TLD_TRICK',
          'block',
          `${n.host} reads like "${n.subdomain}.${n.label.split('-')[0]}" but the site is really ${n.registrable}.`,
        ),
      )
      return brandIn(subTokens.join(''), subTokens, true)
    }
    // 1. Homoglyphs: the name is written with non-ASCII letters that look like a brand.
    if (isNonAscii(uniLabel)) {
      const b = brandIn(flat, tokens, true)
      if (b) {
        reasons.push(
          reason('HOMOGLYPH', 'block', `"${uniLabel}" uses look-alike letters to imitate ${b.name}.`),
        )
        return b
      }
    }
    // 1a. A brand split by dots (`m.etamask.io`, `meta.mask.io`): joined, the labels spell it.
    if (n.subdomain !== '') {
      const labels = skeleton(n.subdomain).split('.')
      for (let k = 1; k <= Math.min(3, labels.length); k++) {
        const joined = `${labels.slice(-k).join('')}${flat}`.replace(/[-_]/g, '')
        const exact = brandByToken.get(joined)
        const hit =
          exact && !exact.generic
            ? exact
            : (officialExact.get(`${n.suffix} ${joined}`)?.brand ??
              (joined.length >= 5
                ? nearBrands(joined).find((h) => typoPath(joined, h.word))?.value
                : undefined))
        if (hit) {
          reasons.push(
            reason(
              'BRAND_SPLIT',
              'block',
              `${n.host} spells ${hit.name}'s name across a dot, so it reads like ${hit.name} but the site is ${n.registrable}.`,
            ),
          )
          return hit
        }
      }
    }
    // 1b. ASCII look-alike letters (`rnetamask`, `mctamaslc`, `0pensea`), or a non-ASCII name whose
    // skeleton only reads like the brand once folded.
    for (const cand of cands) {
      if (cand.length < 3) continue
      const hit = foldedLookalike(cand, n.suffix)
      if (hit) {
        signals.add('disguise')
        reasons.push(
          reason('HOMOGLYPH', 'block', `"${uniLabel}" uses look-alike letters to imitate ${hit.what}.`),
        )
        return hit.brand
      }
    }
    // `sushicom.com`, `ondofinance.finance`: an official domain with its dot dropped.
    const dropped = dotDropped.get(flat)
    if (dropped) {
      reasons.push(
        reason(
          'TLD_SWAP',
          'block',
          `${n.registrable} is ${dropped.domain}, ${dropped.brand.name}'s site, with the dot dropped, on a domain ${dropped.brand.name} does not own.`,
        ),
      )
      return dropped.brand
    }
    // 2. Typosquats and TLD swaps of specific brands.
    let nearMiss: { cand: string; word: string; value: Brand } | undefined
    for (const cand of cands) {
      const exact = brandByToken.get(cand)
      if (exact && !exact.generic && cand === flat) {
        reasons.push(
          reason(
            'TLD_SWAP',
            'block',
            `${n.registrable} uses ${exact.name}'s name on a domain ${exact.name} does not own.`,
          ),
        )
        return exact
      }
      if (cand.length < 5) continue
      const near = keywords.has(cand) || NOT_A_TARGET.has(cand) ? [] : nearBrands(cand)
      for (const hit of near) {
        const path = typoPath(cand, hit.word)
        if (!path) continue
        if (path.some((op) => VISUAL_TYPOS.has(op))) signals.add('disguise')
        reasons.push(
          reason(
            'TYPOSQUAT',
            'block',
            `"${cand}" is ${hit.value.name}'s name ("${hit.word}") with ${path.map((op) => TYPO_WORDS[op]).join(' and ')}.`,
          ),
        )
        return hit.value
      }
      // Close in spelling but not by any typo or look-alike trick (`buffer` and "puffer"): most such
      // names are words of their own, so this only warns and the later rules still run.
      const similar = near.find((h) => h.distance <= similarWithin(h.word))
      if (similar && !nearMiss) nearMiss = { cand, ...similar }
    }
    // 2b. The whole name one typo (or look-alike letters) from an official domain on the same suffix.
    const near = officialLookalike(skel.replace(/_/g, ''), n.suffix)
    if (near) {
      const disguised = near.exact || near.path.some((op) => VISUAL_TYPOS.has(op))
      if (disguised) signals.add('disguise')
      reasons.push(
        near.exact
          ? reason(
              'HOMOGLYPH',
              'block',
              `"${uniLabel}" uses look-alike letters to imitate ${near.domain}, ${near.brand.name}'s site.`,
            )
          : reason(
              'OFFICIAL_LOOKALIKE',
              'block',
              `${n.registrable} is ${near.domain}, ${near.brand.name}'s official site, with ${near.path.map((op) => TYPO_WORDS[op]).join(' and ')}.`,
            ),
      )
      return near.brand
    }
    const similarOfficial = nearMiss ? undefined : officialSimilar(flat, n.suffix)
    if (similarOfficial)
      reasons.push(
        reason(
          'SIMILAR_TO_BRAND',
          'warn',
          `${n.registrable} is spelled much like ${similarOfficial.domain}, ${similarOfficial.brand.name}'s site; make sure this is the site you meant.`,
        ),
      )
    if (nearMiss)
      reasons.push(
        reason(
          'SIMILAR_TO_BRAND',
          'warn',
          `"${nearMiss.cand}" is spelled much like ${nearMiss.value.name} ("${nearMiss.word}"); make sure this is the site you meant.`,
        ),
      )
    const misspelled = MISSPELLING_RE.exec(flat)?.[0]
    if (misspelled) {
      reasons.push(
        reason(
          'MISSPELLED_WORD',
          'block',
          `${n.registrable} spells "${MISSPELLINGS.get(misspelled)}" as "${misspelled}" with look-alike letters, a trick to pass a quick glance.`,
        ),
      )
      return brandIn(flat, tokens, false)
    }
    // 3. Combosquats: brand plus other words in the registrable name.
    const inName = brandIn(flat, tokens, false)
    if (inName) {
      const wholeWithLure =
        tokens.some((t) => brandByToken.get(t) === inName) && tokens.some((t) => keywords.has(t))
      if (inName.generic ? strong || wholeWithLure : true)
        reasons.push(
          reason(
            'COMBOSQUAT',
            'block',
            `${n.registrable} combines ${inName.name}'s name with ${lure ? 'a lure word' : freeHost ? 'a free hosting service' : 'other words'} on a domain ${inName.name} does not own, a common phishing pattern.`,
          ),
        )
      else if (lure)
        reasons.push(
          reason(
            'BRAND_IN_NAME',
            'warn',
            `${n.registrable} contains ${inName.name}'s name but is not an official ${inName.name} domain.`,
          ),
        )
      if (lure || !inName.generic) return inName
    }
    // 4. A brand in the subdomain of an unrelated site (`metamask.io.evil.xyz`, `uniswap.vercel-app.pro`).
    if (subTokens.length > 0) {
      const sb = brandIn(subTokens.join(''), subTokens, false)
      if (sb) {
        // The brand's full official domain in front (`pendle.finance.claims.xyz`), not just its name.
        const officialInSub = sb.domains.some(
          (d) => n.subdomain === d || n.subdomain.endsWith(`.${d}`) || n.subdomain.includes(`${d}.`),
        )
        reasons.push(
          reason(
            'BRAND_IN_SUBDOMAIN',
            lure || freeHost || officialInSub ? 'block' : 'warn',
            `${n.host} puts ${sb.name}'s name in front of an unrelated domain, ${n.registrable}.`,
          ),
        )
        return sb
      }
    }
    // 5. Learned targets next to a strong lure word or on free hosting; a strong lure on a throwaway host.
    if (targets.size > 0 && (strong || (freeHost && lure))) {
      const t = all.find((x) => targets.has(x)) ?? findInside(flat, targets, targetHeads, 6, maxTargetLength)
      if (t) {
        reasons.push(
          reason(
            'LURE_PATTERN',
            'block',
            `${n.host} pairs "${t}", a name phishing sites often impersonate, with ${strong ? 'a lure word such as "claim" or "airdrop"' : 'a free hosting service'}.`,
          ),
        )
        return undefined
      }
    }
    // `register-zircuit.com`, `join-particle.network`: a sign-up word glued to a much-impersonated
    // name (six letters or more, so short words like "flow" do not count) in the registrable label
    // itself. Genuine projects put sign-up pages under their own domain.
    const signUp = tokens.length > 1 ? tokens.find((t) => SIGN_UP_LURES.has(t)) : undefined
    if (signUp) {
      const t = tokens.find((x) => x !== signUp && x.length >= 6 && targets.has(x))
      if (t) {
        reasons.push(
          reason(
            'LURE_PATTERN',
            'block',
            `${n.registrable} glues "${signUp}" to "${t}", a name phishing sites often impersonate, on a domain of its own.`,
          ),
        )
        return undefined
      }
      // `register-saga.xyz`, `join-manta.pages.dev`: on free hosting or a TLD that phishing kits
      // favour, a name that opens with a sign-up word is a sign-up page posing as whatever follows.
      if (tokens[0] === signUp && riskyHost) {
        reasons.push(
          reason(
            'LURE_ON_THROWAWAY_HOST',
            'block',
            `${n.host} opens with "${signUp}" on ${freeHost ? 'a free hosting service' : `a ".${n.suffix}" domain of its own`}: a sign-up page posing as the project named after it.`,
          ),
        )
        return undefined
      }
    }
    if (strongInName || (strong && riskyHost))
      reasons.push(
        reason(
          'LURE_ON_THROWAWAY_HOST',
          'block',
          `${n.host} advertises a claim, airdrop or reward on ${freeHost ? 'a free hosting service' : `a ".${n.suffix}" domain of its own`} — the usual shape of a wallet drainer.`,
        ),
      )
    else if (strong)
      reasons.push(
        reason(
          'LURE_WORD',
          'warn',
          `${n.host} advertises a claim, airdrop or reward; genuine projects rarely do that on a separate domain.`,
        ),
      )
    return undefined
  }

  /** Finds a brand named in `flat` (concatenated label) or exactly as one of `tokens`. */
  function brandIn(flat: string, tokens: string[], includeGeneric: boolean): Brand | undefined {
    for (const t of tokens) {
      const b = brandByToken.get(t)
      if (b && (includeGeneric || !b.generic || tokens.length > 1)) return b
    }
    const hit = specificRe?.exec(flat)
    if (hit) return brandByToken.get(hit[0])
    if (includeGeneric)
      for (const [token, b] of brandByToken) if (token.length >= 4 && flat.includes(token)) return b
    return undefined
  }

  /**
   * A lure word inside a run-together name counts only as a whole word: what is left around it must
   * itself be a brand, a learned target, a keyword or digits (`claimpendle`, `airdrop2024`), so the
   * "claim" in `disclaimer` or the "redeem" in `redeemer` is no lure.
   */
  function hasLureInside(flat: string): boolean {
    const m = LURES_INSIDE_RE.exec(flat)
    if (!m) return false
    const word = (w: string): boolean =>
      w === '' ||
      /^\d+$/.test(w) ||
      brandByToken.has(w) ||
      targets.has(w) ||
      keywords.has(w) ||
      STRONG_LURES.has(w) ||
      SIGN_UP_LURES.has(w)
    const before = flat.slice(0, m.index)
    if (!word(before)) return false
    // A stem runs on into its word (`eligib` → `eligible`, `migrat` → `migration`); a whole lure
    // word takes a plural or verb ending at most (`claims`, `claiming`), so `redeemer` is no lure.
    const rest = flat.slice(m.index + m[0].length)
    const ending = (STEMS.has(m[0]) ? STEM_ENDING : WORD_ENDING).exec(rest)?.[0] ?? ''
    return word(rest.slice(ending.length)) || word(rest)
  }

  let reviewed: ListReview | undefined
  function review(): ListReview {
    if (reviewed) return reviewed
    const out: ListReview = { officialDomainsListed: [], linkShortenersListed: [], allowlistedEntries: [] }
    for (const entry of block.values()) {
      const n = normalizeHost(entry)
      if (!n) continue
      if (allow.match(n.host, n.registrable)) out.allowlistedEntries.push(entry)
      const own = official.match(n.host, n.registrable)
      const brand = own ? officialBrand.get(own) : undefined
      if (brand) out.officialDomainsListed.push({ entry, brand: brand.name })
      if (
        n.registrable &&
        shorteners.has(n.registrable) &&
        (entry === n.registrable || entry === `www.${n.registrable}`)
      )
        out.linkShortenersListed.push(entry)
    }
    reviewed = out
    return out
  }

  return {
    check,
    review,
    learnedTargets: () => [...targets].sort(),
    stats: () => ({
      blocklist: block.size,
      allowlist: allow.size,
      brands: brands.length,
      learnedTargets: targets.size,
    }),
  }
}

/** Words that on their own say "free money, connect your wallet". */
const STRONG_LURES = new Set([
  'airdrop',
  'airdrops',
  'claim',
  'claims',
  'claiming',
  'reward',
  'rewards',
  'giveaway',
  'eligible',
  'eligibility',
  'checker',
  'allocation',
  'allocations',
  'presale',
  'whitelist',
  'freemint',
  'migrate',
  'migration',
  'rectify',
  'rectification',
  'unstake',
  'restake',
  'redeem',
  'dappfix',
  'bugfix',
  'walletconnect',
  'wallet-connect',
  'dapps',
  'dapp',
  'validate',
  'validation',
  'withdraw',
  'refund',
  'distribution',
  'bonus',
  'giveaways',
  'bonuses',
])

/**
 * Words that only warn, as whole words: the "wallet support" scam (`restore`, `recovery`, `aml`
 * checks, `sync`, `fix`), mints and drops, and `connect` pages. Too common to block on.
 */
const WEAK_LURES = new Set([
  'restore',
  'recover',
  'recovery',
  'aml',
  'amlcheck',
  'sync',
  'fix',
  'issuefix',
  'resolve',
  'verify',
  'verification',
  'connect',
  'mint',
  'minting',
  'drop',
  'drops',
  'portal',
  'wallet',
  'wallets',
  'web3',
  'nft',
  'nfts',
  'memecoin',
  'usdt',
  'event',
  'events',
  'bridge',
  'stake',
  'staking',
  'presales',
])

/** Labels of server panels and mail hosts that wildcard DNS answers for (`cpanel`, `webdisk`, `autoconfig`). */
const INFRA_LABELS = new Set([
  'www',
  'ww1',
  'mail',
  'webmail',
  'login',
  'admin',
  'secure',
  'cpanel',
  'whm',
  'webdisk',
  'autoconfig',
  'autodiscover',
  'cpcalendars',
  'cpcontacts',
  'phpmyadmin',
  'hostmaster',
  'sitemap',
  'sitemaps',
  'imap',
  'pop',
  'pop3',
  'smtp',
  'ftp',
  'vpn',
  'ssh',
  'mysql',
  'cms',
  'test',
  'staging',
  'dev',
  'old',
  'ns1',
  'ns2',
  'aaa',
  'remote',
  'support',
  'auth',
])

/** Sign-up words: not lures on their own (`register.com`), but tell-tale next to an impersonated name. */
const SIGN_UP_LURES = new Set([
  'register',
  'registration',
  'signup',
  'join',
  'enter',
  'participate',
  'enroll',
  'enrollment',
  'apply',
  'login',
  'signin',
])

/** Common crypto words; a deliberately misspelled one (`flnance`, `foundatlon`) is a lookalike trick. */
const MISSPELL_BASE = [
  'allocation',
  'eligible',
  'connect',
  'finance',
  'foundation',
  'protocol',
  'network',
  'exchange',
  'wallet',
  'airdrop',
  'ethereum',
  'bitcoin',
  'official',
  'defi',
  'claim',
  'rewards',
]
const SWAPS: [string, string][] = [
  ['i', 'l'],
  ['l', 'i'],
  ['i', '1'],
  ['l', '1'],
  ['o', '0'],
  ['m', 'rn'],
  ['w', 'vv'],
  ['e', '3'],
  ['a', '4'],
]
const MISSPELLINGS = new Map<string, string>()
for (const word of MISSPELL_BASE) {
  for (const [from, to] of SWAPS) {
    for (let i = word.indexOf(from); i >= 0; i = word.indexOf(from, i + 1)) {
      MISSPELLINGS.set(word.slice(0, i) + to + word.slice(i + from.length), word)
    }
  }
}
// One regular expression over every misspelling, longest first, instead of a substring scan.
const MISSPELLING_RE = new RegExp([...MISSPELLINGS.keys()].sort((a, b) => b.length - a.length).join('|'))

/** Where most projects' own sites live: a learned target's bare name there is likely its own site. */
const MAINSTREAM_TLDS = new Set(['com', 'net', 'org', 'io', 'co', 'app'])

/** TLDs that dominate throwaway phishing registrations (cheap, little verification). */
const RISKY_TLDS = new Set([
  'xyz',
  'top',
  'sbs',
  'cfd',
  'click',
  'site',
  'online',
  'live',
  'shop',
  'store',
  'icu',
  'buzz',
  'rest',
  'bond',
  'lol',
  'cyou',
  'autos',
  'boats',
  'homes',
  'motorcycles',
  'yachts',
  'monster',
  'quest',
  'support',
  'network',
  'events',
  'claims',
  'foundation',
  'gift',
  'pro',
  'fun',
  'space',
  'website',
  'tech',
  'app',
  'io',
  'net',
  'org',
  'com',
  'co',
  'info',
  'in',
  'me',
  'cc',
  'to',
  'vip',
  'ink',
  'run',
  'world',
  'today',
  'digital',
  'finance',
  'cloud',
  'dev',
  'page',
  'one',
  'club',
  'link',
])

/** A registrable label that starts like a TLD followed by a hyphen (`org-p`, `com-f`). */
const FAKE_TLD_START = /^(com|org|net|io|app|xyz|fi|finance|co|gg|ag|exchange|network|foundation)-/

/** Lure words distinctive enough to look for inside concatenated names (`claimpendle`). */
const LURES_INSIDE = [
  'bonus',
  'dappfix',
  'dappsync',
  'walletsync',
  'syncroni',
  'synchroni',
  'walletconnect',
  'airdrop',
  'claim',
  'reward',
  'giveaway',
  'eligib',
  'allocation',
  'presale',
  'whitelist',
  'rectif',
  'migrat',
  'unstake',
  'restake',
  'redeem',
]
const LURES_INSIDE_RE = new RegExp(LURES_INSIDE.join('|'))
/** The entries of LURES_INSIDE that are stems of longer words, and the endings that finish them. */
const STEMS = new Set(['eligib', 'rectif', 'migrat', 'syncroni', 'synchroni', 'dappsync', 'walletsync'])
const STEM_ENDING = /^(ility|ilities|le|ications|ication|y|ions|ion|e|ed|ing|ize|ise|zation|sation|ation)/
const WORD_ENDING = /^(s|ing|ed)/

/**
 * The longest (then leftmost) member of `set` of `min`…`max` letters inside `flat`. `heads` holds the
 * first four letters of every member, so a start position is tried only when it could begin one
 * (one short lookup per position instead of a slice per length and position).
 */
function findInside(
  flat: string,
  set: { has(k: string): boolean },
  heads: { has(k: number): boolean },
  min = 6,
  max = 14,
): string | undefined {
  let best: string | undefined
  for (let i = 0; i + min <= flat.length; i++) {
    if (!heads.has(head4(flat, i))) continue
    for (let len = Math.min(max, flat.length - i); len >= min && len > (best?.length ?? 0); len--) {
      const s = flat.slice(i, i + len)
      if (set.has(s)) {
        best = s
        break
      }
    }
  }
  return best
}

/** The four characters of `s` at `i` as one number (no substring is allocated). */
function head4(s: string, i: number): number {
  return (
    ((s.charCodeAt(i) & 0x7f) << 21) |
    ((s.charCodeAt(i + 1) & 0x7f) << 14) |
    ((s.charCodeAt(i + 2) & 0x7f) << 7) |
    (s.charCodeAt(i + 3) & 0x7f)
  )
}

/** Tokens of a host used for learning: registrable label and subdomain labels, split on - _ . */
function tokensOf(n: NormalizedHost): string[] {
  const s = skeleton(`${n.subdomain}.${n.label}`)
  return s.split(/[-_.]+/).filter((t) => t !== '')
}

function done(input: string, n: NormalizedHost, reasons: Reason[], brand: Brand | undefined): DomainCheck {
  const verdict = verdictOf(reasons)
  const summary =
    verdict === 'block'
      ? `Do not connect your wallet to ${n.unicodeHost}: ${reasons.find((r) => r.severity === 'block')?.detail}`
      : verdict === 'warn'
        ? `Be careful with ${n.unicodeHost}: ${reasons.find((r) => r.severity === 'warn')?.detail}`
        : reasons.some((r) => r.code === 'OFFICIAL_DOMAIN') && brand
          ? `${n.unicodeHost} is an official site of ${brand.name}.`
          : `No known risk found for ${n.unicodeHost}.`
  const out: DomainCheck = { input, verdict, reasons, host: n.host, summary }
  if (brand) out.brand = brand.name
  return out
}
