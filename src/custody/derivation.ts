/**
 * @module Deposit addresses derived from an operator's extended public key: the server can derive
 * every customer's address but never holds a private key. EVM: the account xpub of
 * `m/44'/60'/0'`, addresses at `…/0/i` (BIP44, as MetaMask and Ledger derive them). Bitcoin: the
 * account xpub (or zpub/tpub/vpub) of `m/84'/0'/0'` for P2WPKH (BIP84), or of `m/86'/0'/0'` for
 * P2TR (BIP86), addresses at `…/0/i`.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import { bech32, bech32m } from '@scure/base'
import { HDKey } from '@scure/bip32'
import { getAddress } from 'viem'

/** Highest non-hardened child index (BIP32). */
export const MAX_INDEX = 2 ** 31 - 1

/**
 * The account xpub of the Hardhat/Foundry test mnemonic ("test test … junk") at `m/44'/60'/0'`.
 * DEMO ONLY: its private keys are public, anything sent to its addresses can be taken by anyone.
 */
export const DEMO_EVM_XPUB =
  'xpub6Ce9NcJvTk36xtLSrJLZqE7wtgA5deCeYs7rSQtreh4cj6ByPtrg9sD7V2FNFLPnf8heNP3FGkeV9qwfzvZNSd54JoNXVsXFYSYwHsnJxqP'
/** The BIP84 test vector account ("abandon … about", `m/84'/0'/0'`). DEMO ONLY, like DEMO_EVM_XPUB. */
export const DEMO_BTC_XPUB =
  'xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V'

// SLIP-132 version bytes of public extended keys; the prefix says mainnet or testnet.
const VERSIONS = {
  xpub: { version: 0x0488b21e, hrp: 'bc' },
  zpub: { version: 0x04b24746, hrp: 'bc' },
  tpub: { version: 0x043587cf, hrp: 'tb' },
  vpub: { version: 0x045f1cf6, hrp: 'tb' },
} as const

export type BtcAddressType = 'p2wpkh' | 'p2tr'

/** Thrown for an extended key that cannot be used (wrong format, a private key, bad checksum). */
export class ExtendedKeyError extends Error {
  override name = 'ExtendedKeyError'
}

export function parseExtendedPublicKey(xpub: string): { key: HDKey; hrp: 'bc' | 'tb' } {
  const prefix = xpub.slice(0, 4)
  if (!Object.hasOwn(VERSIONS, prefix)) {
    throw new ExtendedKeyError(
      `expected an extended public key starting xpub, zpub, tpub or vpub, got "${prefix}…"`,
    )
  }
  const { version, hrp } = VERSIONS[prefix as keyof typeof VERSIONS]
  let key: HDKey
  try {
    key = HDKey.fromExtendedKey(xpub, { public: version, private: 0 })
  } catch (cause) {
    throw new ExtendedKeyError('the extended public key is malformed (checksum or length)', { cause })
  }
  if (key.privateKey) throw new ExtendedKeyError('an extended PRIVATE key was given; give the public one')
  return { key, hrp }
}

function child(key: HDKey, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX)
    throw new RangeError(`derivation index must be an integer 0..${MAX_INDEX}, got ${index}`)
  const pub = key.deriveChild(0).deriveChild(index).publicKey
  if (!pub) throw new Error('derived key has no public key')
  return pub
}

/** An EVM address deriver over an account xpub (`m/44'/60'/0'`). */
export function evmDeriver(xpub: string) {
  const { key } = parseExtendedPublicKey(xpub)
  return {
    /**
     * The checksummed address at `…/0/index`.
     * @example evmDeriver(DEMO_EVM_XPUB).address(0) // '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
     */
    address(index: number): string {
      const uncompressed = secp256k1.Point.fromBytes(child(key, index)).toBytes(false)
      return getAddress(`0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12))}`)
    },
  }
}

/** A Bitcoin address deriver over an account xpub: P2WPKH (BIP84) or P2TR key-path (BIP86). */
export function btcDeriver(xpub: string, type: BtcAddressType = 'p2wpkh') {
  const { key, hrp } = parseExtendedPublicKey(xpub)
  return {
    /** @example btcDeriver(DEMO_BTC_XPUB).address(0) // 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu' */
    address(index: number): string {
      const pub = child(key, index)
      if (type === 'p2wpkh') {
        const program = ripemd160(sha256(pub))
        return bech32.encode(hrp, [0, ...bech32.toWords(program)])
      }
      // BIP86: output key Q = P + H_TapTweak(P.x)·G, with P the even-y point of the internal key.
      const internal = pub.subarray(1)
      const p = schnorr.utils.lift_x(bytesToBigInt(internal))
      const tweak = bytesToBigInt(schnorr.utils.taggedHash('TapTweak', internal))
      const q = p.add(secp256k1.Point.BASE.multiply(tweak))
      const output = schnorr.utils.pointToBytes(q)
      return bech32m.encode(hrp, [1, ...bech32m.toWords(output)])
    },
  }
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${bytesToHex(concatBytes(bytes))}`)
}
