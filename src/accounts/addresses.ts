/**
 * @module Withdrawal address validation per network, with libraries only: EVM addresses by viem
 * (EIP-55 checksum: a mixed-case address must carry a valid checksum), Bitcoin base58check by
 * bitcoinjs-lib and segwit bech32 (v0) / bech32m (v1+, BIP 350) by @scure/base. The canonical form
 * is what the whitelist stores and compares: EIP-55 for EVM, lower case for bech32, as typed for base58.
 */
import { bech32, bech32m } from '@scure/base'
import { address as btcAddress, networks as btcNetworks } from 'bitcoinjs-lib'
import { getAddress, isAddress } from 'viem'
import { AppError } from '../platform/errors.ts'

export const evmNetworks = ['ethereum', 'polygon', 'bsc', 'arbitrum', 'optimism', 'base'] as const
export const bitcoinNetworks = ['bitcoin', 'bitcoin-testnet'] as const
export const withdrawalNetworks = [...evmNetworks, ...bitcoinNetworks] as const
export type WithdrawalNetwork = (typeof withdrawalNetworks)[number]

export function isWithdrawalNetwork(value: string): value is WithdrawalNetwork {
  return (withdrawalNetworks as readonly string[]).includes(value)
}

export type AddressCheck = { ok: true; canonical: string } | { ok: false; reason: string }

/**
 * Validates `address` for `network` and returns its canonical form.
 * @example canonicalAddress('ethereum', '0x52908400098527886E0F7030069857D2E4169EE7')
 */
export function canonicalAddress(network: string, address: string): AddressCheck {
  const value = address.trim()
  if ((evmNetworks as readonly string[]).includes(network)) {
    // strict: a mixed-case address must match its EIP-55 checksum (catches one-character typos).
    if (!isAddress(value, { strict: true })) {
      return {
        ok: false,
        reason: 'not a valid EVM address (0x + 40 hex digits, with a correct EIP-55 checksum)',
      }
    }
    return { ok: true, canonical: getAddress(value) }
  }
  if (network === 'bitcoin' || network === 'bitcoin-testnet') {
    const params = network === 'bitcoin' ? btcNetworks.bitcoin : btcNetworks.testnet
    return bitcoinAddress(value, params)
  }
  return { ok: false, reason: `unknown network "${network}"` }
}

/**
 * The canonical form of `address` on `network`, or a 400 `ADDRESS_INVALID` naming what is wrong
 * (for a route's input: the whitelist, a withdrawal, a Travel Rule destination).
 */
export function requireCanonicalAddress(network: string, address: string): string {
  const check = canonicalAddress(network, address)
  if (!check.ok)
    throw new AppError('ADDRESS_INVALID', 400, `Not a valid ${network} address: ${check.reason}.`, {
      details: { field: 'address' },
    })
  return check.canonical
}

function bitcoinAddress(value: string, params: typeof btcNetworks.bitcoin): AddressCheck {
  const lower = value.toLowerCase()
  if (lower.startsWith(`${params.bech32}1`)) {
    // bech32 is case-insensitive but must not mix cases (BIP 173).
    if (value !== lower && value !== value.toUpperCase())
      return { ok: false, reason: 'mixed-case bech32 address' }
    return segwit(lower, params.bech32)
  }
  try {
    const decoded = btcAddress.fromBase58Check(value)
    if (decoded.version !== params.pubKeyHash && decoded.version !== params.scriptHash) {
      return { ok: false, reason: 'a base58 address of another network' }
    }
    return { ok: true, canonical: value }
  } catch {
    return { ok: false, reason: 'not a valid Bitcoin address (bad base58check or bech32 checksum)' }
  }
}

function segwit(lower: string, hrp: string): AddressCheck {
  const bad = {
    ok: false as const,
    reason: 'not a valid segwit address (bad bech32/bech32m checksum or program)',
  }
  for (const codec of [bech32, bech32m]) {
    let decoded: { prefix: string; words: number[] }
    try {
      decoded = codec.decode(lower as `${string}1${string}`)
    } catch {
      continue
    }
    const [version, ...rest] = decoded.words
    if (decoded.prefix !== hrp || version === undefined || version > 16) return bad
    // BIP 350: version 0 uses bech32, versions 1-16 use bech32m.
    if ((version === 0) !== (codec === bech32)) return bad
    let program: Uint8Array
    try {
      program = codec.fromWords(rest)
    } catch {
      return bad
    }
    if (program.length < 2 || program.length > 40) return bad
    if (version === 0 && program.length !== 20 && program.length !== 32) return bad
    return { ok: true, canonical: lower }
  }
  return bad
}
