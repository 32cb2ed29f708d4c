/**
 * @module Turns whatever a user pastes (a URL, `user@host` tricks, ports, trailing dots, upper case,
 * Unicode/IDN, `hxxp` defanging) into a canonical ASCII host plus its registrable domain from the
 * Public Suffix List (tldts, private suffixes such as `vercel.app` included, so `foo.vercel.app` is
 * its own site and `vercel.app` itself is a public suffix that is never blocked or allowed as a whole).
 */
import { toASCII, toUnicode } from 'punycode/punycode.es6.js'
import { parse } from 'tldts'

export type NormalizedHost = {
  /** Canonical ASCII (punycode) host, lowercase, no trailing dot. */
  host: string
  /** The host as Unicode (what the user may see in an address bar). */
  unicodeHost: string
  /** Registrable domain (eTLD+1), or null for IPs, bare public suffixes and unknown TLDs. */
  registrable: string | null
  /** Public suffix (ICANN or private). */
  suffix: string
  /** The registrable domain without its suffix (`uniswap` for `app.uniswap.org`). */
  label: string
  /** Labels left of the registrable domain (`app` for `app.uniswap.org`). */
  subdomain: string
  isIp: boolean
  /** Notes on tricks found while normalising (userinfo, IDN, …). */
  tricks: string[]
}

const HOST_CHARS = /^[a-z0-9.-]+$/

/**
 * Normalises a domain or URL. Returns null when no usable host can be found.
 * @example normalizeHost('HTTPS://metamask.io.@evil.xyz:443/x').host === 'evil.xyz'
 */
export function normalizeHost(input: string): NormalizedHost | null {
  const tricks: string[] = []
  // Fast path: most inputs are already a bare ASCII host.
  const plain = plainHost(input)
  if (plain !== null) return finish(plain, tricks, true)
  let s = input.trim()
  if (s === '') return null
  s = s.replace(/^hxxp/i, 'http').replace(/\[\.\]/g, '.')
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(s)
  if (scheme) s = s.slice(scheme[0].length)
  if (s.includes('\\')) s = s.replace(/\\/g, '/')
  const end = s.search(/[/?#]/)
  if (end >= 0) s = s.slice(0, end)
  const at = s.lastIndexOf('@')
  if (at >= 0) {
    tricks.push(`userinfo "${s.slice(0, at)}" before @ is not the site`)
    s = s.slice(at + 1)
  }
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    const ip = s.slice(1, close < 0 ? undefined : close).toLowerCase()
    return ip === '' ? null : ipHost(ip, tricks)
  }
  const colon = s.lastIndexOf(':')
  if (colon >= 0 && /^\d*$/.test(s.slice(colon + 1))) s = s.slice(0, colon)
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s)
    } catch {
      // a malformed %-escape stays literal
    }
  }
  s = s
    .replace(/[。．｡]/g, '.')
    .replace(TRAILING_DOTS, '')
    .toLowerCase()
  if (s === '') return null
  let host = s
  if (/[^\u0000-\u007f]/.test(s)) {
    try {
      host = toASCII(s.normalize('NFC'))
    } catch {
      return null
    }
  }
  return finish(host, tricks)
}

const PARSE_OPTIONS = { allowPrivateDomains: true, extractHostname: false }
const TRAILING_DOTS = /\.+$/

/**
 * The fast path for what most inputs are, a bare ASCII host (`Example.COM.`): one pass over the
 * characters instead of two regular expressions, lowercase, without its trailing dot. Null for
 * anything else (URLs, userinfo, IDN, `..`), which the general path handles.
 */
function plainHost(s: string): string | null {
  const n = s.length
  if (n === 0 || n > 254) return null
  let upper = false
  let dots = 0
  let labelStart = true
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (labelStart) return null
      labelStart = true
      dots++
    } else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) labelStart = false
    else if (c >= 65 && c <= 90) {
      upper = true
      labelStart = false
    } else return null
  }
  const trailing = labelStart
  if (dots - (trailing ? 1 : 0) < 1) return null
  const host = trailing ? s.slice(0, -1) : s
  return upper ? host.toLowerCase() : host
}

function finish(host: string, tricks: string[], charsChecked = false): NormalizedHost | null {
  if (
    host === '' ||
    (!charsChecked && !HOST_CHARS.test(host)) ||
    host.includes('..') ||
    host.startsWith('.') ||
    host.length > 253
  )
    return null
  let unicodeHost = host
  if (host.includes('xn--')) {
    try {
      unicodeHost = toUnicode(host)
    } catch {
      // keep the ASCII form when a label is malformed punycode
    }
  }
  if (unicodeHost !== host) tricks.push(`internationalised name shown as "${unicodeHost}"`)
  const p = parse(host, PARSE_OPTIONS)
  if (p.isIp) return ipHost(host, tricks)
  const suffix = p.publicSuffix ?? ''
  const registrable = p.domain && p.domain !== suffix ? p.domain : null
  return {
    host,
    unicodeHost,
    registrable,
    suffix,
    label: p.domainWithoutSuffix ?? '',
    subdomain: p.subdomain ?? '',
    isIp: false,
    tricks,
  }
}

function ipHost(ip: string, tricks: string[]): NormalizedHost {
  return {
    host: ip,
    unicodeHost: ip,
    registrable: null,
    suffix: '',
    label: '',
    subdomain: '',
    isIp: true,
    tricks,
  }
}

/** True when `host` is itself a public suffix (ICANN or private), e.g. `com`, `co.uk`, `vercel.app`. */
export function isPublicSuffix(host: string): boolean {
  const p = parse(host, { allowPrivateDomains: true, extractHostname: false })
  return p.publicSuffix === host
}
