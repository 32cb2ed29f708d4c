/**
 * @module Chain-aware address normalisation, so one address always has one spelling in our sets:
 * EVM hex is case-insensitive (EIP-55 case is only a checksum) and becomes lowercase; Bitcoin-family
 * bech32 (`bc1…`, `ltc1…`) and Bitcoin Cash cashaddr are case-insensitive and become lowercase;
 * base58 addresses (legacy Bitcoin, Tron, Litecoin, Dash, Zcash, XRP) and Monero are case-sensitive
 * and are kept exactly.
 */

export type AddressKind = 'evm' | 'bech32' | 'cashaddr' | 'base58' | 'other'

export type NormalizedAddress = { address: string; kind: AddressKind }

const EVM = /^0x[0-9a-fA-F]{40}$/
const BECH32 = /^(bc|tb|bcrt|ltc|tltc)1[02-9ac-hj-np-z]{6,87}$/i
const CASHADDR = /^(bitcoincash:|bchtest:)?[qp][02-9ac-hj-np-z]{41}$/i
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]{25,110}$/

/**
 * Normalises an address; returns null for strings that are not an address of a known shape.
 * Mixed-case bech32 is invalid by BIP-173 and is rejected.
 */
export function normalizeAddress(input: string): NormalizedAddress | null {
  const s = input.trim()
  if (s.length === 42 && EVM.test(s)) return { address: s.toLowerCase(), kind: 'evm' }
  if (BECH32.test(s)) {
    if (s !== s.toLowerCase() && s !== s.toUpperCase()) return null
    return { address: s.toLowerCase(), kind: 'bech32' }
  }
  if (CASHADDR.test(s)) {
    const lower = s.toLowerCase()
    return { address: lower.includes(':') ? lower.slice(lower.indexOf(':') + 1) : lower, kind: 'cashaddr' }
  }
  if (BASE58.test(s)) return { address: s, kind: 'base58' }
  if (/^[0-9a-f]{64}$/i.test(s)) return { address: s.toLowerCase(), kind: 'other' }
  return null
}

/**
 * The part of an address a person compares by eye: EVM without `0x`, bech32 without its
 * human-readable part, Tron without the constant leading `T`. Lowercased where case carries no meaning.
 */
export function visiblePart(n: NormalizedAddress): string {
  switch (n.kind) {
    case 'evm':
      return n.address.slice(2)
    case 'bech32':
      return n.address.slice(n.address.indexOf('1') + 2)
    case 'cashaddr':
      return n.address.slice(1)
    case 'base58':
      return n.address.startsWith('T') ? n.address.slice(1) : n.address
    default:
      return n.address
  }
}
