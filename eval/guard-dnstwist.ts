/**
 * @module The lookalike part of `npm run eval:guard`: for the official domain of every non-generic
 * shipped brand, dnstwist (Debian package `dnstwist`) generates the standard permutation classes,
 * and we count how many the domain guard flags (`warn` or `block`) with heuristics only and no
 * lists, per class, split by brand-name length (≥5 letters, shorter). Permutations that are some
 * brand's own official domain are left out. dnstwist runs offline (`--format list` does no DNS).
 * Run alone with `node eval/guard-dnstwist.ts [--misses CLASS]` to list what is missed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_BRANDS } from '../src/guard/domain/brands.ts'
import { createDomainGuard } from '../src/guard/domain/guard.ts'
import { normalizeHost } from '../src/guard/domain/normalize.ts'

export const DNSTWIST_CLASSES = [
  'addition',
  'bitsquatting',
  'cyrillic',
  'homoglyph',
  'hyphenation',
  'insertion',
  'omission',
  'repetition',
  'replacement',
  'subdomain',
  'transposition',
  'vowel-swap',
  'various',
] as const

const DNSTWIST = '/usr/bin/dnstwist'

/** Fails with the install command when dnstwist is missing, rather than skipping the measurement. */
export function requireDnstwist(): void {
  if (!existsSync(DNSTWIST))
    throw new Error(
      'dnstwist is not installed: run `apt-get install -y dnstwist` (Debian package), then retry',
    )
}

const cacheDir = join(tmpdir(), 'bulwark-dnstwist-cache')

/** dnstwist's permutations of `domain` for one class, cached across runs (it is deterministic). */
function permutations(domain: string, fuzzer: string): string[] {
  mkdirSync(cacheDir, { recursive: true })
  const file = join(cacheDir, `${domain}.${fuzzer}.txt`)
  if (!existsSync(file)) {
    let out = ''
    try {
      out = execFileSync(DNSTWIST, ['--format', 'list', '--fuzzers', fuzzer, domain], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (e) {
      // Some classes have nothing to offer for some names (no letter with a Cyrillic twin).
      if (!String((e as { stderr?: string }).stderr).includes('do not generate any permutations')) throw e
    }
    writeFileSync(file, out)
  }
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== domain)
}

export type DnstwistResult = {
  cls: string
  long: { flagged: number; n: number; misses: string[] }
  short: { flagged: number; n: number; misses: string[] }
}

/** Measures every class; `check` is the guard's verdict for a domain. */
export function measureDnstwist(): DnstwistResult[] {
  requireDnstwist()
  const guard = createDomainGuard({})
  const official = new Set(
    DEFAULT_BRANDS.flatMap((b) => b.domains.map((d) => normalizeHost(d)?.registrable ?? d)),
  )
  const targets = DEFAULT_BRANDS.filter((b) => !b.generic).map((b) => b.domains[0] as string)
  const out: DnstwistResult[] = []
  for (const cls of DNSTWIST_CLASSES) {
    const r: DnstwistResult = {
      cls,
      long: { flagged: 0, n: 0, misses: [] },
      short: { flagged: 0, n: 0, misses: [] },
    }
    for (const domain of targets) {
      const label = normalizeHost(domain)?.label ?? domain
      const bucket = label.length >= 5 ? r.long : r.short
      for (const p of permutations(domain, cls)) {
        const n = normalizeHost(p)
        if (!n || (n.registrable && official.has(n.registrable))) continue
        bucket.n++
        if (guard.check(p).verdict !== 'allow') bucket.flagged++
        else bucket.misses.push(p)
      }
    }
    out.push(r)
  }
  return out
}

if (import.meta.main) {
  const which = process.argv.indexOf('--misses')
  const results = measureDnstwist()
  for (const r of results) {
    const f = (x: { flagged: number; n: number }) =>
      `${((100 * x.flagged) / Math.max(1, x.n)).toFixed(1)}% of ${x.n}`
    console.log(`${r.cls.padEnd(14)} ≥5 letters ${f(r.long).padEnd(16)} shorter ${f(r.short)}`)
    if (which > 0 && process.argv[which + 1] === r.cls)
      console.log(`  missed: ${[...r.long.misses, ...r.short.misses].slice(0, 80).join(' ')}`)
  }
}
