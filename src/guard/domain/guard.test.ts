import { describe, expect, it } from 'vitest'
import { createDomainGuard } from './guard.ts'
import { DomainSet, parseDomainList } from './lists.ts'
import { normalizeHost } from './normalize.ts'

describe('normalizeHost', () => {
  it('sees through userinfo tricks, ports, case, paths and trailing dots', () => {
    const n = normalizeHost('HTTPS://MetaMask.io.@Evil.XYZ.:8443/connect?x=1#a')
    expect(n?.host).toBe('evil.xyz')
    expect(n?.registrable).toBe('evil.xyz')
    expect(n?.tricks[0]).toContain('userinfo')
  })

  it('converts Unicode names to punycode and keeps the Unicode form for display', () => {
    const n = normalizeHost('uniswаp.org') // Cyrillic а
    expect(n?.host).toBe('xn--uniswp-7nf.org')
    expect(n?.unicodeHost).toBe('uniswаp.org')
  })

  it('treats private public suffixes as suffixes, so each vercel.app site is its own registrable domain', () => {
    expect(normalizeHost('a.b.vercel.app')?.registrable).toBe('b.vercel.app')
    expect(normalizeHost('vercel.app')?.registrable).toBeNull()
  })

  it('rejects things that are not hosts', () => {
    expect(normalizeHost('not a domain')).toBeNull()
    expect(normalizeHost('a..b')).toBeNull()
    expect(normalizeHost('')).toBeNull()
  })
})

describe('domain lists', () => {
  it('parses plain lists with comments and hosts-file lines', () => {
    const l = parseDomainList('# header\nevil.xyz\n0.0.0.0 drainer.io\nhttps://x.bad.com/path\n', 'block')
    expect(l.block).toEqual(['evil.xyz', 'drainer.io', 'x.bad.com'])
  })

  it('parses CSV with a domain column wherever it is', () => {
    const l = parseDomainList('first_seen,domain\n2024-01-01,evil.xyz\n2024-01-02,"bad.io"\n', 'block')
    expect(l.block).toEqual(['evil.xyz', 'bad.io'])
  })

  it('parses a MetaMask eth-phishing-detect config, legacy and current keys', () => {
    const legacy = parseDomainList(
      JSON.stringify({
        blacklist: ['evil.xyz'],
        whitelist: ['good.io'],
        fuzzylist: ['metamask.io'],
        tolerance: 2,
      }),
      'block',
    )
    expect(legacy).toMatchObject({ block: ['evil.xyz'], allow: ['good.io'], fuzzy: ['metamask.io'] })
    const current = parseDomainList(JSON.stringify({ blocklist: ['a.xyz'], allowlist: ['b.io'] }), 'block')
    expect(current).toMatchObject({ block: ['a.xyz'], allow: ['b.io'] })
  })

  it('refuses to list a whole public suffix', () => {
    const l = parseDomainList('vercel.app\ncom\nfoo.vercel.app\n', 'block')
    expect(l.block).toEqual(['foo.vercel.app'])
    expect(l.rejected.map((r) => r.entry)).toEqual(['vercel.app', 'com'])
    expect(new DomainSet().add('pages.dev')).toBe(false)
  })

  it('matches subdomains of a listed domain but not siblings on a shared suffix', () => {
    const s = new DomainSet(['foo.vercel.app', 'evil.xyz'])
    expect(s.match('x.y.evil.xyz', 'evil.xyz')).toBe('evil.xyz')
    expect(s.match('a.foo.vercel.app', 'foo.vercel.app')).toBe('foo.vercel.app')
    expect(s.match('bar.vercel.app', 'bar.vercel.app')).toBeNull()
  })
})

describe('domain guard', () => {
  const guard = createDomainGuard({ blocklist: ['listed-drainer.xyz'], allowlist: ['partner.example'] })
  const codes = (d: string) => guard.check(d).reasons.map((r) => r.code)

  it('allows official brand domains and their subdomains', () => {
    expect(guard.check('https://app.uniswap.org/swap').verdict).toBe('allow')
    expect(guard.check('metamask.io').reasons[0]?.code).toBe('OFFICIAL_DOMAIN')
  })

  it('warns, rather than allows, when a feed lists an official domain (a hijacked front end)', () => {
    const g = createDomainGuard({ blocklist: ['app.uniswap.org'] })
    const r = g.check('https://app.uniswap.org/swap')
    expect(r).toMatchObject({ verdict: 'warn', brand: 'Uniswap' })
    expect(r.reasons.map((x) => x.code)).toEqual(['OFFICIAL_DOMAIN_REPORTED'])
    expect(g.check('uniswap.org').verdict).toBe('allow')
    // An operator's own allowlist is a reviewed decision and still wins.
    const reviewed = createDomainGuard({ blocklist: ['app.uniswap.org'], allowlist: ['app.uniswap.org'] })
    expect(reviewed.check('app.uniswap.org').verdict).toBe('allow')
  })

  it('lists the blocklist entries an operator should review, once per guard', () => {
    const g = createDomainGuard({
      blocklist: ['app.uniswap.org', 'bit.ly', 'scam.bit.ly', 'partner.example', 'evil.xyz'],
      allowlist: ['partner.example'],
    })
    expect(g.review()).toEqual({
      officialDomainsListed: [{ entry: 'app.uniswap.org', brand: 'Uniswap' }],
      linkShortenersListed: ['bit.ly'],
      allowlistedEntries: ['partner.example'],
    })
    expect(g.review()).toBe(g.review())
  })

  it('blocks listed domains and their subdomains', () => {
    expect(guard.check('app.listed-drainer.xyz')).toMatchObject({ verdict: 'block' })
    expect(codes('listed-drainer.xyz')).toContain('BLOCKLISTED')
  })

  it('allowlists win over heuristics', () => {
    expect(guard.check('claim.partner.example').verdict).toBe('allow')
  })

  it('blocks homoglyph lookalikes of brands', () => {
    const r = guard.check('metamаsk.io') // Cyrillic а
    expect(r.verdict).toBe('block')
    expect(r.brand).toBe('MetaMask')
    expect(codes('xn--uniswp-7nf.org')).toContain('HOMOGLYPH')
  })

  it('blocks typosquats and TLD swaps of brands', () => {
    expect(codes('metamsk.io')).toContain('TYPOSQUAT')
    expect(codes('pancakeswop.finance')).toContain('TYPOSQUAT')
    expect(codes('uniswap.xyz')).toContain('TLD_SWAP')
  })

  it('only warns about near spellings that no typo or look-alike trick explains', () => {
    // "buffer" is one letter from Puffer, but b→p is neither a neighbouring key nor a look-alike.
    const r = guard.check('buffer.com')
    expect(r.verdict).toBe('warn')
    expect(r.reasons.map((x) => x.code)).toEqual(['SIMILAR_TO_BRAND'])
    // Common words next to a brand's spelling ("finance" and Binance) are not even worth a warning.
    expect(guard.check('notional-finance.xyz').reasons.map((x) => x.code)).not.toContain('SIMILAR_TO_BRAND')
    expect(guard.check('puffear.fi').reasons[0]?.detail).toContain('with an extra letter')
  })

  it('treats link shorteners as shared: a feed entry for the whole service warns, a listed link blocks', () => {
    const g = createDomainGuard({ blocklist: ['cutt.ly', 'drain.tiny.cc'] })
    const whole = g.check('https://cutt.ly/abc')
    expect(whole.verdict).toBe('warn')
    expect(whole.reasons.map((x) => [x.code, x.severity])).toEqual([
      ['BLOCKLISTED', 'warn'],
      ['LINK_SHORTENER', 'warn'],
    ])
    expect(g.check('drain.tiny.cc').verdict).toBe('block')
    expect(g.check('bit.ly').reasons.map((x) => x.code)).toEqual(['LINK_SHORTENER'])
    const custom = createDomainGuard({ blocklist: ['sho.rt'], linkShorteners: ['sho.rt'] })
    expect(custom.check('sho.rt').verdict).toBe('warn')
    expect(createDomainGuard({ blocklist: ['sho.rt'] }).check('sho.rt').verdict).toBe('block')
  })

  it('blocks combosquats, brands in subdomains and fake-TLD tricks', () => {
    expect(guard.check('blast-airdrop.xyz')).toMatchObject({ verdict: 'block', brand: 'Blast' })
    expect(codes('opensea-rewards.com')).toContain('COMBOSQUAT')
    expect(codes('metamask.wallet-verify.io')).toContain('BRAND_IN_SUBDOMAIN')
    expect(codes('jupiter.org-p.pro')).toContain('FAKE_TLD_TRICK')
  })

  it('blocks lure words on throwaway names and misspelled common words', () => {
    expect(codes('claim-zerolendxyz.app').length).toBeGreaterThan(0)
    expect(codes('mytoken-airdrop.sbs')).toContain('LURE_ON_THROWAWAY_HOST')
    expect(codes('thrusturflnance.com')).toContain('MISSPELLED_WORD')
  })

  it('does not flag ordinary sites, generic words or lookalike-free names', () => {
    for (const d of [
      'google.com',
      'curved.com',
      'ledgerinsights.com',
      'bbc.co.uk',
      'foo.vercel.app',
      'safe-browsing.example',
    ]) {
      expect(guard.check(d).verdict, d).toBe('allow')
    }
  })

  it('learns targets that keep reappearing in the blocklist and uses them with lure words', () => {
    const hyped = Array.from({ length: 6 }, (_, i) => `zorblex-app${i}.xyz`)
    const g = createDomainGuard({ blocklist: hyped })
    expect(g.learnedTargets()).toContain('zorblex')
    expect(g.check('claim-zorblex.net').reasons.map((r) => r.code)).toContain('LURE_PATTERN')
    expect(g.check('zorblex.net').verdict).toBe('allow')
  })

  it('warns on a sign-up word glued to a learned target (one signal), but not on the word or a short target alone', () => {
    const hyped = Array.from({ length: 6 }, (_, i) => `zorblex-app${i}.xyz`)
    const g = createDomainGuard({ blocklist: hyped })
    const r = g.check('register-zorblex.com')
    expect(r.verdict).toBe('warn')
    expect(r.reasons.map((x) => x.code)).toEqual(['LURE_PATTERN', 'ONE_SIGNAL_WARNS'])
    expect(r.reasons[0]?.detail).toContain('glues "register" to "zorblex"')
    expect(g.check('register.com').verdict).toBe('allow')
    expect(g.check('zorblex.com').verdict).toBe('allow')
    const short = createDomainGuard({ blocklist: Array.from({ length: 6 }, (_, i) => `flow-app${i}.xyz`) })
    expect(short.check('flow-join.com').verdict).toBe('allow')
  })

  it('warns on a name that opens with a sign-up word, but not on the word alone or later in the name', () => {
    const g = createDomainGuard({ blocklist: ['listed-drainer.xyz'] })
    const r = g.check('register-saga.xyz')
    expect(r.verdict).toBe('warn')
    expect(r.reasons[0]?.detail).toContain('opens with "register"')
    expect(g.check('register.xyz').verdict).toBe('allow')
    expect(g.check('saga-register.xyz').verdict).toBe('allow')
  })

  it('reads a lure used as the TLD like a lure in the name', () => {
    expect(guard.check('normie.claims').reasons.map((x) => x.code)).toContain('LURE_ON_THROWAWAY_HOST')
  })

  it('supports a MetaMask fuzzylist with a tolerance', () => {
    const g = createDomainGuard({ fuzzylist: ['myfavoritewallet.com'], fuzzyTolerance: 2, brands: [] })
    expect(g.check('myfavoritewalet.com').reasons.map((r) => r.code)).toContain('FUZZY_LOOKALIKE')
  })

  it('answers bad input with a warning rather than throwing', () => {
    expect(guard.check('%%%').reasons[0]?.code).toBe('NOT_A_DOMAIN')
  })
})
