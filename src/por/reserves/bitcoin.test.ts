import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js'
import { address as btcAddress, script as btcScript, networks, opcodes } from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import {
  bip322MessageHash,
  bip322Transactions,
  bitcoinMessageHash,
  encodeWitness,
  outputScript,
  verifyBip322Simple,
  verifyBitcoinMessage,
  verifyBitcoinMultisig,
} from './bitcoin.ts'

// Published BIP-322 test vectors (bips/bip-0322.mediawiki, "Test vectors").
const BIP322_P2WPKH = 'bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l'
const BIP322_P2TR = 'bc1ppv609nr0vr25u07u95waq5lucwfm6tde4nydujnu8npg4q75mr5sxq8lt3'

const hash160 = (b: Uint8Array) => ripemd160(sha256(b))

/** Signs like Bitcoin Core's `signmessage` (header 31-34 for a compressed key, or `headerBase`). */
function signMessage(secretKey: Uint8Array, message: string, headerBase = 31): string {
  const sig = secp256k1.sign(bitcoinMessageHash(message), secretKey, { prehash: false, format: 'recovered' })
  const out = concatBytes(Uint8Array.of(headerBase + (sig[0] ?? 0)), sig.subarray(1))
  return Buffer.from(out).toString('base64')
}

function key(seed: number): { sk: Uint8Array; pk: Uint8Array } {
  const sk = sha256(Uint8Array.of(seed))
  return { sk, pk: secp256k1.getPublicKey(sk, true) }
}

const p2pkh = (pk: Uint8Array) => btcAddress.toBase58Check(hash160(pk), networks.bitcoin.pubKeyHash)
const p2wpkh = (pk: Uint8Array) => btcAddress.toBech32(hash160(pk), 0, 'bc')

describe('BIP-322 simple', () => {
  it('hashes messages exactly as the published vectors', () => {
    expect(bytesToHex(bip322MessageHash(''))).toBe(
      'c90c269c4f8fcbe6880f72a721ddfbf1914268a794cbb21cfafee13770ae19f1',
    )
    expect(bytesToHex(bip322MessageHash('Hello World'))).toBe(
      'f0eb03b1a75ac6d9847f55c624a99169b5dccba2a31f5b23bea77ba270de0a7a',
    )
  })

  it('builds the to_spend and to_sign transactions of the published vectors', () => {
    const spk = outputScript(BIP322_P2WPKH)!.script
    const empty = bip322Transactions(spk, '')
    expect(empty.toSpend.getId()).toBe('c5680aa69bb8d860bf82d4e9cd3504b55dde018de765a91bb566283c545a99a7')
    expect(empty.toSign.getId()).toBe('1e9654e951a5ba44c8604c4de6c67fd78a27e81dcadcfe1edf638ba3aaebaed6')
    const hello = bip322Transactions(spk, 'Hello World')
    expect(hello.toSpend.getId()).toBe('b79d196740ad5217771c1098fc4a4b51e0535c32236c71f1ea4d61a2d603352b')
    expect(hello.toSign.getId()).toBe('88737ae86f2077145f93cc4b153ae9a1cb8d56afa511988c149c5c8c9d93bddf')
  })

  it('accepts the published P2WPKH signatures and rejects them for another message', () => {
    const empty =
      'AkcwRAIgM2gBAQqvZX15ZiysmKmQpDrG83avLIT492QBzLnQIxYCIBaTpOaD20qRlEylyxFSeEA2ba9YOixpX8z46TSDtS40ASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI='
    const hello =
      'AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI='
    expect(verifyBip322Simple(BIP322_P2WPKH, '', empty)).toMatchObject({ ok: true })
    expect(verifyBip322Simple(BIP322_P2WPKH, 'Hello World', hello)).toMatchObject({ ok: true })
    expect(verifyBip322Simple(BIP322_P2WPKH, 'Hello World', empty)).toEqual({
      ok: false,
      reason: 'BIP-322 ECDSA signature does not verify for this message',
    })
  })

  it('accepts the published P2TR signature and rejects it for another message', () => {
    const sig = 'AUHd69PrJQEv+oKTfZ8l+WROBHuy9HKrbFCJu7U1iK2iiEy1vMU5EfMtjc+VSHM7aU0SDbak5IUZRVno2P5mjSafAQ=='
    expect(verifyBip322Simple(BIP322_P2TR, 'Hello World', sig)).toMatchObject({ ok: true })
    expect(verifyBip322Simple(BIP322_P2TR, 'Hello World!', sig)).toEqual({
      ok: false,
      reason: 'BIP-322 Schnorr signature does not verify for this message',
    })
  })

  it('signs and verifies a fresh taproot key-path signature end to end', () => {
    const sk = sha256(Uint8Array.of(7))
    const xonly = schnorr.getPublicKey(sk)
    // An untweaked output key is still a valid P2TR key path for the purpose of the signature check.
    const addr = btcAddress.toBech32(xonly, 1, 'bc')
    const { toSign } = bip322Transactions(outputScript(addr)!.script, 'round 7')
    const sighash = toSign.hashForWitnessV1(0, [outputScript(addr)!.script], [0n], 0)
    const witness = Buffer.from(encodeWitness([schnorr.sign(sighash, sk)])).toString('base64')
    expect(verifyBip322Simple(addr, 'round 7', witness)).toMatchObject({ ok: true })
    expect(verifyBip322Simple(addr, 'round 8', witness)).toMatchObject({ ok: false })
  })
})

describe('legacy signmessage', () => {
  const alice = key(1)
  const bob = key(2)

  it('verifies a P2PKH signature', () => {
    expect(verifyBitcoinMessage(p2pkh(alice.pk), 'hello', signMessage(alice.sk, 'hello'))).toMatchObject({
      ok: true,
    })
  })

  it('accepts the BIP-137 P2WPKH and P2SH-P2WPKH header variants', () => {
    const nested = btcAddress.toBase58Check(
      hash160(btcScript.compile([opcodes.OP_0, hash160(alice.pk)])),
      networks.bitcoin.scriptHash,
    )
    expect(verifyBitcoinMessage(p2wpkh(alice.pk), 'hi', signMessage(alice.sk, 'hi', 39))).toMatchObject({
      ok: true,
    })
    expect(verifyBitcoinMessage(nested, 'hi', signMessage(alice.sk, 'hi', 35))).toMatchObject({ ok: true })
    // Electrum and Bitcoin Core sign segwit addresses with the plain compressed header (31-34).
    expect(verifyBitcoinMessage(p2wpkh(alice.pk), 'hi', signMessage(alice.sk, 'hi'))).toMatchObject({
      ok: true,
    })
  })

  it('rejects a signature by the wrong key, naming the key that signed', () => {
    const result = verifyBitcoinMessage(p2pkh(alice.pk), 'hello', signMessage(bob.sk, 'hello'))
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toContain(bytesToHex(bob.pk))
  })

  it('rejects a signature over a different message', () => {
    expect(verifyBitcoinMessage(p2pkh(alice.pk), 'round 2', signMessage(alice.sk, 'round 1')).ok).toBe(false)
  })
})

describe('multisig', () => {
  const keys = [key(11), key(12), key(13)]
  const redeem = btcScript.compile([
    opcodes.OP_2,
    ...keys.map((k) => k.pk),
    opcodes.OP_3,
    opcodes.OP_CHECKMULTISIG,
  ])
  const p2sh = btcAddress.toBase58Check(hash160(redeem), networks.bitcoin.scriptHash)
  const p2wsh = btcAddress.toBech32(sha256(redeem), 0, 'bc')
  const hex = bytesToHex(redeem)

  it('accepts 2 of 3 signers for P2SH and P2WSH', () => {
    const sigs = [signMessage(keys[0]!.sk, 'm'), signMessage(keys[2]!.sk, 'm')]
    expect(verifyBitcoinMultisig(p2sh, 'm', sigs, hex)).toEqual({
      ok: true,
      detail: 'P2SH 2-of-3 multisig, 2 signers',
    })
    expect(verifyBitcoinMultisig(p2wsh, 'm', sigs, hex)).toMatchObject({ ok: true })
  })

  it('rejects too few signers, a repeated signer, an outsider and a script of another address', () => {
    const one = [signMessage(keys[0]!.sk, 'm')]
    expect(verifyBitcoinMultisig(p2sh, 'm', one, hex)).toEqual({
      ok: false,
      reason: '1 of the required 2 signers signed (2-of-3)',
    })
    const twice = [signMessage(keys[0]!.sk, 'm'), signMessage(keys[0]!.sk, 'm')]
    expect(verifyBitcoinMultisig(p2sh, 'm', twice, hex).ok).toBe(false)
    const outsider = [signMessage(keys[0]!.sk, 'm'), signMessage(key(99).sk, 'm')]
    expect(verifyBitcoinMultisig(p2sh, 'm', outsider, hex)).toMatchObject({ ok: false })
    const other = p2pkh(keys[0]!.pk)
    expect(verifyBitcoinMultisig(other, 'm', [signMessage(keys[0]!.sk, 'm')], hex)).toMatchObject({
      ok: false,
    })
  })

  it('does not take a bare-pubkey script for multisig', () => {
    const bare = bytesToHex(btcScript.compile([keys[0]!.pk, opcodes.OP_CHECKSIG]))
    const addr = btcAddress.toBase58Check(hash160(hexToBytes(bare)), networks.bitcoin.scriptHash)
    expect(verifyBitcoinMultisig(addr, 'm', [signMessage(keys[0]!.sk, 'm')], bare)).toEqual({
      ok: false,
      reason: 'the script is not an m-of-n OP_CHECKMULTISIG script',
    })
  })
})

describe('BIP-322 legacy', () => {
  it('verifies a P2PKH address with the signmessage format, as the BIP prescribes', () => {
    const k = key(21)
    expect(verifyBip322Simple(p2pkh(k.pk), 'legacy', signMessage(k.sk, 'legacy'))).toMatchObject({ ok: true })
    expect(verifyBip322Simple(p2pkh(k.pk), 'legacy', signMessage(key(22).sk, 'legacy'))).toMatchObject({
      ok: false,
    })
  })
})
