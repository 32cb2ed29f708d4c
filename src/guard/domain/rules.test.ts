import { describe, expect, it } from 'vitest'
import { createDomainGuard } from './guard.ts'

const guard = createDomainGuard({})
const verdict = (d: string) => guard.check(d).verdict
const codes = (d: string) => guard.check(d).reasons.map((r) => r.code)

describe('lookalike classes the typo model explains are reached', () => {
  it('catches rn for m, swapped letters and a short brand written with look-alike letters', () => {
    for (const d of ['rnetamask.io', 'metarnask.io', 'metamaks.io', 'opensae.io', 'lldo.fi'])
      expect(verdict(d), d).not.toBe('allow')
    // Look-alike letters next to the brand are two signals: a block.
    expect(verdict('rnetamask.io')).toBe('block')
    expect(verdict('metarnask.io')).toBe('block')
  })

  it('joins a brand split across a dot before matching', () => {
    expect(codes('m.etamask.io')).toContain('BRAND_SPLIT')
    expect(codes('meta.mask.io')).toContain('BRAND_SPLIT')
    expect(codes('su.shi.com')).toContain('BRAND_SPLIT')
  })

  it('reads ASCII look-alike letter groups as the letter they imitate', () => {
    expect(codes('mctamaslc.io')).toContain('HOMOGLYPH')
    expect(codes('c0irbase.com')).toContain('HOMOGLYPH')
    expect(verdict('mctamaslc.io')).toBe('block')
  })

  it('flags a name one typo from an official domain on the same suffix', () => {
    expect(codes('revke.cash')).toContain('OFFICIAL_LOOKALIKE')
    expect(codes('sushicom.com')).toContain('TLD_SWAP')
  })
})

describe('false-block product rules', () => {
  it('warns, never blocks, on one heuristic signal and names the rule', () => {
    const r = guard.check('metamaks.io')
    expect(r.verdict).toBe('warn')
    expect(r.reasons.at(-1)?.code).toBe('ONE_SIGNAL_WARNS')
  })

  it('blocks when two independent signals agree (a brand and a lure word)', () => {
    expect(verdict('metamask-claim.xyz')).toBe('block')
  })

  it('matches a lure word as a whole word, not inside an ordinary word', () => {
    expect(verdict('disclaimer-news.com')).toBe('allow')
    expect(verdict('redeemer-church.org')).toBe('allow')
    expect(verdict('claimpendle.xyz')).toBe('block')
  })

  it('never heuristic-blocks under a government, military or academic suffix', () => {
    for (const d of [
      'metamask-claim.gov.uk',
      'uniswap-airdrop.ac.jp',
      'metamask-claim.edu',
      'airdrop-migration.gouv.fr',
    ]) {
      const r = guard.check(d)
      expect(r.verdict, d).not.toBe('block')
    }
    expect(codes('metamask-claim.gov.uk')).toContain('VETTED_SUFFIX_WARNS')
  })

  it('never heuristic-blocks a popular domain, but its blocklist entry still blocks', () => {
    const g = createDomainGuard({ popular: ['metamask-claim.xyz'] })
    expect(g.check('metamask-claim.xyz').verdict).toBe('warn')
    expect(g.check('metamask-claim.xyz').reasons.at(-1)?.code).toBe('POPULAR_DOMAIN_WARNS')
    const listed = createDomainGuard({ popular: ['metamask-claim.xyz'], blocklist: ['metamask-claim.xyz'] })
    expect(listed.check('metamask-claim.xyz').verdict).toBe('block')
  })

  it('says an official domain is the official site of its brand, even when an allowlist names it too', () => {
    const allowed = createDomainGuard({ allowlist: ['uniswap.org'] }).check('app.uniswap.org')
    expect(allowed.summary).toBe('app.uniswap.org is an official site of Uniswap.')
    const r = guard.check('https://app.uniswap.org/swap')
    expect(r.verdict).toBe('allow')
    expect(r.summary).toBe('app.uniswap.org is an official site of Uniswap.')
  })

  it('never blocks a whole public suffix', () => {
    expect(verdict('vercel.app')).not.toBe('block')
  })
})

describe('weak signs only warn, and only where no stronger rule spoke', () => {
  const hyped = Array.from({ length: 6 }, (_, i) => `zorblex-app${i}.xyz`)
  const learned = createDomainGuard({ blocklist: hyped, popular: ['nft-restore.com'] })
  const hint = (d: string) => learned.check(d).reasons.map((r) => `${r.code}:${r.severity}`)

  it('warns on a name earlier phishing domains kept using, with words added or in a subdomain', () => {
    expect(hint('zorblex-io.events')).toEqual(['LEARNED_TARGET:warn'])
    expect(hint('zorblexdrop.com')).toEqual(['LEARNED_TARGET:warn'])
    expect(hint('app.zorblex.finance')).toEqual(['LEARNED_TARGET:warn'])
    expect(learned.check('zorblex-io.events').reasons[0]?.detail).toContain('6 listed phishing domains')
  })

  it('leaves the bare learned name on a mainstream TLD alone (it is likely the project) but not on a throwaway one', () => {
    expect(learned.check('zorblex.com').verdict).toBe('allow')
    expect(learned.check('zorblex.io').verdict).toBe('allow')
    expect(hint('zorblex.xyz')).toEqual(['LEARNED_TARGET:warn'])
  })

  it('warns on wallet-support and drop words only as whole words', () => {
    expect(codes('wallet-restore.com')).toEqual(['WEAK_LURE'])
    expect(codes('aml-check.net')).toEqual(['WEAK_LURE'])
    expect(verdict('restorationhardware.com')).toBe('allow')
    expect(verdict('amlogic.com')).toBe('allow')
  })

  it('warns on a chain of server-panel labels in front of a domain, not on one or two', () => {
    expect(codes('www.login.cpanel.mail.example.com')).toEqual(['LABEL_CHAIN'])
    expect(verdict('www.mail.example.com')).toBe('allow')
  })

  it('drops a learned name from the hints once popular sites carry it in their own names', () => {
    const known = createDomainGuard({ blocklist: hyped, popular: ['zorblexbank.com'] })
    expect(known.check('zorblex-io.events').verdict).toBe('allow')
    expect(known.learnedTargets()).toContain('zorblex')
    expect(known.check('claim-zorblex.net').reasons.map((r) => r.code)).toContain('LURE_PATTERN')
  })

  it('gives no weak sign on popular domains or vetted suffixes', () => {
    expect(codes('nft-restore.com')).toEqual(['WEAK_LURE'])
    expect(learned.check('nft-restore.com').verdict).toBe('allow')
    expect(verdict('recovery.gov.uk')).toBe('allow')
  })
})
