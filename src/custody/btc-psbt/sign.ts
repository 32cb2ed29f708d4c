/**
 * @module Signing on the air-gapped machine (no database, no network): an account xprv or a WIF key signs
 * the inputs it owns.
 */
import { HDKey } from '@scure/bip32'
import { type Transaction, WIF } from '@scure/btc-signer'
import type { BTC_NETWORK } from '@scure/btc-signer/utils.js'
import { parseExtendedPublicKey } from '../derivation.ts'
import { payloadHash } from '../withdrawals.ts'
import { decodePsbt, encodePsbt, type PsbtSignedFile, type PsbtUnsignedFile, sameBytes } from './files.ts'
import { btcColdWallet, scriptOf } from './wallet.ts'

const PRIVATE_VERSIONS: Record<string, { private: number; public: number }> = {
  xprv: { private: 0x0488ade4, public: 0x0488b21e },
  zprv: { private: 0x04b2430c, public: 0x04b24746 },
  tprv: { private: 0x04358394, public: 0x043587cf },
  vprv: { private: 0x045f18bc, public: 0x045f1cf6 },
}

/** A signing key read from a key file: the account xprv of the cold wallet, or one WIF key. */
export type BtcSigningKey = { kind: 'xprv'; key: HDKey } | { kind: 'wif'; privateKey: Uint8Array }

/** Reads a key file's text: an account xprv/zprv/tprv/vprv, or a compressed WIF private key. */
export function parseSigningKey(text: string, network: BTC_NETWORK): BtcSigningKey {
  const value = text.trim()
  const versions = PRIVATE_VERSIONS[value.slice(0, 4)]
  if (versions) {
    let key: HDKey
    try {
      key = HDKey.fromExtendedKey(value, versions)
    } catch (cause) {
      throw new Error('the extended private key is malformed (checksum or length)', { cause })
    }
    if (!key.privateKey) throw new Error('the key file holds a public key; the signer needs the private one')
    return { kind: 'xprv', key }
  }
  try {
    return { kind: 'wif', privateKey: WIF(network).decode(value) }
  } catch (cause) {
    throw new Error('the key file must hold an account xprv/zprv/tprv/vprv or a compressed WIF key', {
      cause,
    })
  }
}

/**
 * Signs every PSBT of an export and finalises it. Refuses the whole file when the key is not the
 * file's wallet, a payload does not match its hash, a PSBT does not pay its payload exactly, pays
 * anything but the payload and the wallet's own change, or has an input the key cannot sign.
 */
export function signPsbtFile(file: PsbtUnsignedFile, keyText: string): PsbtSignedFile {
  const wallet = btcColdWallet(file.xpub, file.addressType)
  const key = parseSigningKey(keyText, wallet.network)
  if (key.kind === 'xprv') {
    const account = parseExtendedPublicKey(file.xpub).key
    if (
      !sameBytes(key.key.publicKey ?? undefined, account.publicKey ?? undefined) ||
      !sameBytes(key.key.chainCode ?? undefined, account.chainCode ?? undefined)
    )
      throw new Error(`this xprv is not the account key of ${file.xpub}`)
  }
  const withdrawals: PsbtSignedFile['withdrawals'] = []
  for (const w of file.withdrawals) {
    const where = `withdrawal ${w.withdrawalId}`
    if (payloadHash(w.payload) !== w.payloadHash)
      throw new Error(`${where}: the payload does not match its hash`)
    const tx = decodePsbt(w.psbt)
    const pay = tx.getOutput(0)
    if (
      !sameBytes(pay.script, scriptOf(wallet, w.payload.address)) ||
      pay.amount !== BigInt(w.payload.amount)
    )
      throw new Error(
        `${where}: the first output does not pay ${w.payload.amount} sat to ${w.payload.address}`,
      )
    for (let i = 1; i < tx.outputsLength; i++) {
      const out = tx.getOutput(i)
      const path = out.bip32Derivation?.[0]?.[1].path ?? out.tapBip32Derivation?.[0]?.[1].der.path
      if (path?.length !== 2 || path[0] !== 1 || !sameBytes(out.script, wallet.at(1, path[1]!).script))
        throw new Error(`${where}: output ${i} is not this wallet's change`)
    }
    // @scure/bip32's HDKey types publicKey as nullable; a key parsed from an xprv always has one.
    const signer = (key.kind === 'xprv' ? key.key : key.privateKey) as Parameters<Transaction['signIdx']>[0]
    let signed = 0
    for (let i = 0; i < tx.inputsLength; i++) {
      try {
        if (tx.signIdx(signer, i)) signed++
      } catch (cause) {
        throw new Error(`${where}: input ${i} cannot be signed with this key`, { cause })
      }
    }
    if (signed !== tx.inputsLength) throw new Error(`${where}: signed ${signed} of ${tx.inputsLength} inputs`)
    tx.finalize()
    withdrawals.push({ withdrawalId: w.withdrawalId, payloadHash: w.payloadHash, psbt: encodePsbt(tx) })
  }
  return { format: 'bulwark-psbt-signed-v1', withdrawals }
}
