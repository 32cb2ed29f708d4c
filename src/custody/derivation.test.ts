/**
 * Deposit address derivation against published test vectors: Hardhat's default accounts (BIP44
 * `m/44'/60'/0'/0/i` of the "test … junk" mnemonic), BIP84 (P2WPKH) and BIP86 (P2TR).
 */

import { pbkdf2 } from '@noble/hashes/pbkdf2.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { HDKey } from '@scure/bip32'
import { describe, expect, it } from 'vitest'
import { btcDeriver, DEMO_BTC_XPUB, DEMO_EVM_XPUB, ExtendedKeyError, evmDeriver } from './derivation.ts'

const ABANDON =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'
/** BIP39 seed of a mnemonic without a passphrase (PBKDF2-HMAC-SHA512, 2048 rounds). */
const mnemonicToSeedSync = (mnemonic: string) => pbkdf2(sha512, mnemonic, 'mnemonic', { c: 2048, dkLen: 64 })
const accountXpub = (mnemonic: string, path: string) =>
  HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic)).derive(path).publicExtendedKey

describe('deposit address derivation', () => {
  it('derives the Hardhat default accounts from the demo EVM xpub (BIP44 m/44h/60h/0h/0/i)', () => {
    const evm = evmDeriver(DEMO_EVM_XPUB)
    expect(evm.address(0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    expect(evm.address(1)).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    expect(DEMO_EVM_XPUB).toBe(
      accountXpub('test test test test test test test test test test test junk', "m/44'/60'/0'"),
    )
  })

  it('derives BIP84 P2WPKH addresses from the xpub and from the same key written as a zpub', () => {
    const zpub =
      'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs'
    expect(btcDeriver(DEMO_BTC_XPUB).address(0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')
    expect(btcDeriver(zpub).address(0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')
    expect(btcDeriver(zpub).address(1)).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g')
  })

  it('derives BIP86 P2TR addresses', () => {
    const xpub = accountXpub(ABANDON, "m/86'/0'/0'")
    expect(btcDeriver(xpub, 'p2tr').address(0)).toBe(
      'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
    )
    expect(btcDeriver(xpub, 'p2tr').address(1)).toBe(
      'bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh',
    )
  })

  it('refuses an extended private key, a malformed key and an out-of-range index', () => {
    const xprv = HDKey.fromMasterSeed(mnemonicToSeedSync(ABANDON)).privateExtendedKey
    expect(() => evmDeriver(xprv)).toThrow(ExtendedKeyError)
    expect(() => evmDeriver(`${DEMO_EVM_XPUB.slice(0, -1)}A`)).toThrow(/malformed/)
    expect(() => evmDeriver(DEMO_EVM_XPUB).address(2 ** 31)).toThrow(RangeError)
  })
})
