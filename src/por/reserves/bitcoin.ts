/**
 * @module Bitcoin address ownership proofs for reserve addresses:
 * - the legacy `signmessage` format (BIP-137 headers; P2PKH, and the segwit header variants that
 *   wallets emit for P2SH-P2WPKH and P2WPKH),
 * - BIP-322 "simple" signatures for P2WPKH and P2TR (key path),
 * - P2SH / P2WSH / P2SH-P2WSH m-of-n multisig: the redeem script must hash to the address and at
 *   least m distinct keys of the script must each sign the message.
 * Transactions and scripts come from bitcoinjs-lib, curve arithmetic from @noble/curves.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { equalBytes } from '@noble/curves/utils.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base64 as b64 } from '@scure/base'
import type { Network } from 'bitcoinjs-lib'
import { address as btcAddress, script as btcScript, networks, opcodes, Transaction } from 'bitcoinjs-lib'

/** Outcome of an ownership check: `ok`, or the specific reason it failed. */
export type OwnershipResult = { ok: true; detail: string } | { ok: false; reason: string }

const NETWORKS: Network[] = [networks.bitcoin, networks.testnet, networks.regtest]

function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data))
}

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n)
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8)
  const b = new Uint8Array(5)
  b[0] = 0xfe
  new DataView(b.buffer).setUint32(1, n, true)
  return b
}

/** The double-SHA256 digest that Bitcoin Core's `signmessage` signs. */
export function bitcoinMessageHash(message: string): Uint8Array {
  const prefix = utf8ToBytes('Bitcoin Signed Message:\n')
  const msg = utf8ToBytes(message)
  return sha256(sha256(concatBytes(varint(prefix.length), prefix, varint(msg.length), msg)))
}

/** Resolves an address to its output script and network, or `null` when no known network parses it. */
export function outputScript(address: string): { script: Uint8Array; network: Network } | null {
  for (const network of NETWORKS) {
    try {
      return { script: btcAddress.toOutputScript(address, network), network }
    } catch {
      // not an address of this network; try the next one
    }
  }
  // bitcoinjs-lib only encodes taproot outputs once an ECC library is registered globally; the
  // witness program is all a verifier needs, and the Schnorr check validates the key itself.
  try {
    const decoded = btcAddress.fromBech32(address)
    const network = NETWORKS.find((n) => n.bech32 === decoded.prefix)
    if (network && decoded.version === 1 && decoded.data.length === 32) {
      return { script: btcScript.compile([opcodes.OP_1, decoded.data]), network }
    }
  } catch {
    // not bech32 either
  }
  return null
}

function base64(text: string): Uint8Array | null {
  const t = text.trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return null
  try {
    return b64.decode(t)
  } catch {
    return null
  }
}

/** Recovers the signer's public key from a 65-byte `signmessage` signature, or a reason. */
export function recoverMessageKey(
  message: string,
  signatureBase64: string,
): { pubkey: Uint8Array; header: number } | { error: string } {
  const sig = base64(signatureBase64)
  if (sig?.length !== 65) return { error: 'signature is not 65 bytes of base64' }
  const header = sig[0] ?? 0
  if (header < 27 || header > 42) return { error: `signature header byte ${header} is outside 27-42` }
  const recid = (header - 27) & 3
  const compressed = header >= 31
  try {
    const point = secp256k1.Signature.fromBytes(
      concatBytes(Uint8Array.of(recid), sig.subarray(1)),
      'recovered',
    ).recoverPublicKey(bitcoinMessageHash(message))
    return { pubkey: point.toBytes(compressed), header }
  } catch (cause) {
    return { error: `no public key can be recovered (${(cause as Error).message})` }
  }
}

/** Output scripts a single key can own: P2PKH, and for compressed keys P2WPKH and P2SH-P2WPKH. */
function singleKeyScripts(pubkey: Uint8Array): { kind: string; script: Uint8Array }[] {
  const h = hash160(pubkey)
  const p2pkh = btcScript.compile([
    opcodes.OP_DUP,
    opcodes.OP_HASH160,
    h,
    opcodes.OP_EQUALVERIFY,
    opcodes.OP_CHECKSIG,
  ])
  if (pubkey.length !== 33) return [{ kind: 'P2PKH', script: p2pkh }]
  const p2wpkh = btcScript.compile([opcodes.OP_0, h])
  const p2shP2wpkh = btcScript.compile([opcodes.OP_HASH160, hash160(p2wpkh), opcodes.OP_EQUAL])
  return [
    { kind: 'P2PKH', script: p2pkh },
    { kind: 'P2WPKH', script: p2wpkh },
    { kind: 'P2SH-P2WPKH', script: p2shP2wpkh },
  ]
}

/**
 * Verifies a legacy `signmessage` signature for a single-key address. Accepts the header variants
 * wallets use for segwit (BIP-137 31-42, and Electrum-style 31-34 for segwit) as long as the key
 * recovered from the signature owns the address.
 */
export function verifyBitcoinMessage(address: string, message: string, signature: string): OwnershipResult {
  const target = outputScript(address)
  if (!target) return { ok: false, reason: `"${address}" is not a Bitcoin address` }
  const rec = recoverMessageKey(message, signature)
  if ('error' in rec) return { ok: false, reason: rec.error }
  const match = singleKeyScripts(rec.pubkey).find((s) => equalBytes(s.script, target.script))
  if (!match) {
    const p2pkh = btcAddress.fromOutputScript(singleKeyScripts(rec.pubkey)[0]!.script, target.network)
    return {
      ok: false,
      reason: `signature was made by key ${bytesToHex(rec.pubkey)} (${p2pkh}), which does not own ${address}`,
    }
  }
  return { ok: true, detail: `signmessage by ${match.kind} key ${bytesToHex(rec.pubkey)}` }
}

function taggedHash(tag: string, data: Uint8Array): Uint8Array {
  const t = sha256(utf8ToBytes(tag))
  return sha256(concatBytes(t, t, data))
}

/** BIP-322 message hash: tagged SHA256 with tag `BIP0322-signed-message`. */
export function bip322MessageHash(message: string): Uint8Array {
  return taggedHash('BIP0322-signed-message', utf8ToBytes(message))
}

/** The BIP-322 `to_spend` and (unsigned) `to_sign` transactions for an output script. */
export function bip322Transactions(
  scriptPubKey: Uint8Array,
  message: string,
): { toSpend: Transaction; toSign: Transaction } {
  const toSpend = new Transaction()
  toSpend.version = 0
  toSpend.locktime = 0
  toSpend.addInput(
    new Uint8Array(32),
    0xffffffff,
    0,
    btcScript.compile([opcodes.OP_0, bip322MessageHash(message)]),
  )
  toSpend.addOutput(scriptPubKey, 0n)
  const toSign = new Transaction()
  toSign.version = 0
  toSign.locktime = 0
  toSign.addInput(toSpend.getHash(), 0, 0)
  toSign.addOutput(btcScript.compile([opcodes.OP_RETURN]), 0n)
  return { toSpend, toSign }
}

function readWitness(data: Uint8Array): Uint8Array[] | null {
  let pos = 0
  const readVarint = (): number | null => {
    const first = data[pos]
    if (first === undefined) return null
    pos += 1
    if (first < 0xfd) return first
    const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8
    if (pos + size > data.length || size === 8) return null
    let n = 0
    for (let i = size - 1; i >= 0; i--) n = n * 256 + (data[pos + i] ?? 0)
    pos += size
    return n
  }
  const count = readVarint()
  if (count === null || count > 100) return null
  const items: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const len = readVarint()
    if (len === null || pos + len > data.length) return null
    items.push(data.subarray(pos, pos + len))
    pos += len
  }
  return pos === data.length ? items : null
}

/** Encodes a witness stack the way BIP-322 "simple" signatures carry it (before base64). */
export function encodeWitness(items: Uint8Array[]): Uint8Array {
  return concatBytes(varint(items.length), ...items.flatMap((i) => [varint(i.length), i]))
}

/**
 * Verifies a BIP-322 "simple" signature (base64 witness stack) for a P2WPKH or P2TR address.
 * Follows the BIP: rebuild `to_spend`/`to_sign`, then check the witness against the sighash.
 */
export function verifyBip322Simple(address: string, message: string, signature: string): OwnershipResult {
  const target = outputScript(address)
  if (!target) return { ok: false, reason: `"${address}" is not a Bitcoin address` }
  const raw = base64(signature)
  const spk = target.script
  // BIP-322 "legacy": P2PKH addresses keep the signmessage format.
  if (spk.length === 25 && spk[0] === opcodes.OP_DUP && raw?.length === 65) {
    return verifyBitcoinMessage(address, message, signature)
  }
  const witness = raw ? readWitness(raw) : null
  if (!witness) {
    return { ok: false, reason: 'signature is not a base64-encoded witness stack (BIP-322 simple)' }
  }
  const { toSign } = bip322Transactions(spk, message)
  // P2WPKH: OP_0 <20 bytes>
  if (spk.length === 22 && spk[0] === 0x00 && spk[1] === 0x14) {
    const [sigWithType, pubkey] = witness
    if (witness.length !== 2 || !sigWithType || !pubkey || pubkey.length !== 33) {
      return { ok: false, reason: 'P2WPKH witness must be [signature, 33-byte public key]' }
    }
    if (!equalBytes(hash160(pubkey), spk.subarray(2))) {
      return { ok: false, reason: `witness key ${bytesToHex(pubkey)} does not own ${address}` }
    }
    const hashType = sigWithType[sigWithType.length - 1] ?? 0
    const scriptCode = btcScript.compile([
      opcodes.OP_DUP,
      opcodes.OP_HASH160,
      spk.subarray(2),
      opcodes.OP_EQUALVERIFY,
      opcodes.OP_CHECKSIG,
    ])
    const sighash = toSign.hashForWitnessV0(0, scriptCode, 0n, hashType)
    let valid = false
    try {
      valid = secp256k1.verify(sigWithType.subarray(0, -1), sighash, pubkey, {
        prehash: false,
        format: 'der',
        lowS: false,
      })
    } catch {
      valid = false
    }
    return valid
      ? { ok: true, detail: `BIP-322 P2WPKH by key ${bytesToHex(pubkey)}` }
      : { ok: false, reason: 'BIP-322 ECDSA signature does not verify for this message' }
  }
  // P2TR key path: OP_1 <32 bytes>
  if (spk.length === 34 && spk[0] === 0x51 && spk[1] === 0x20) {
    const [sig] = witness
    if (witness.length !== 1 || !sig || (sig.length !== 64 && sig.length !== 65)) {
      return { ok: false, reason: 'P2TR key-path witness must be one 64- or 65-byte Schnorr signature' }
    }
    const hashType = sig.length === 65 ? (sig[64] ?? 0) : Transaction.SIGHASH_DEFAULT
    if (sig.length === 65 && hashType === Transaction.SIGHASH_DEFAULT) {
      return { ok: false, reason: 'a 65-byte Schnorr signature must not use SIGHASH_DEFAULT' }
    }
    const sighash = toSign.hashForWitnessV1(0, [spk], [0n], hashType)
    const key = spk.subarray(2)
    let valid = false
    try {
      valid = schnorr.verify(sig.subarray(0, 64), sighash, key)
    } catch {
      valid = false
    }
    return valid
      ? { ok: true, detail: `BIP-322 P2TR key path by output key ${bytesToHex(key)}` }
      : { ok: false, reason: 'BIP-322 Schnorr signature does not verify for this message' }
  }
  return { ok: false, reason: `BIP-322 simple is supported for P2WPKH and P2TR; ${address} is neither` }
}

/** Parses `OP_m <pubkey>… OP_n OP_CHECKMULTISIG`, or `null` if the script is not bare multisig. */
export function parseMultisig(redeemScript: Uint8Array): { m: number; pubkeys: Uint8Array[] } | null {
  const chunks = btcScript.decompile(redeemScript)
  if (!chunks || chunks.length < 4) return null
  const small = (c: unknown): number | null =>
    typeof c === 'number' && c >= opcodes.OP_1 && c <= opcodes.OP_16 ? c - opcodes.OP_1 + 1 : null
  const m = small(chunks[0])
  const n = small(chunks[chunks.length - 2])
  if (m === null || n === null || chunks[chunks.length - 1] !== opcodes.OP_CHECKMULTISIG) return null
  const pubkeys = chunks.slice(1, -2)
  if (pubkeys.length !== n || m > n) return null
  if (!pubkeys.every((k) => k instanceof Uint8Array && (k.length === 33 || k.length === 65))) return null
  return { m, pubkeys: pubkeys as Uint8Array[] }
}

/**
 * Verifies an m-of-n multisig reserve: the redeem (or witness) script must hash to the address
 * (P2SH, P2WSH or P2SH-P2WSH) and at least m distinct keys of the script must have signed the
 * message with `signmessage` (one signature per signer).
 */
export function verifyBitcoinMultisig(
  address: string,
  message: string,
  signatures: string[],
  redeemScriptHex: string,
): OwnershipResult {
  const target = outputScript(address)
  if (!target) return { ok: false, reason: `"${address}" is not a Bitcoin address` }
  if (!/^([0-9a-fA-F]{2})+$/.test(redeemScriptHex)) return { ok: false, reason: 'script is not hex' }
  const redeem = hexToBytes(redeemScriptHex.toLowerCase())
  const p2sh = btcScript.compile([opcodes.OP_HASH160, hash160(redeem), opcodes.OP_EQUAL])
  const p2wsh = btcScript.compile([opcodes.OP_0, sha256(redeem)])
  const p2shP2wsh = btcScript.compile([opcodes.OP_HASH160, hash160(p2wsh), opcodes.OP_EQUAL])
  const kind = equalBytes(target.script, p2sh)
    ? 'P2SH'
    : equalBytes(target.script, p2wsh)
      ? 'P2WSH'
      : equalBytes(target.script, p2shP2wsh)
        ? 'P2SH-P2WSH'
        : null
  if (!kind)
    return { ok: false, reason: `the script does not hash to ${address} (P2SH, P2WSH or P2SH-P2WSH)` }
  const ms = parseMultisig(redeem)
  if (!ms) return { ok: false, reason: 'the script is not an m-of-n OP_CHECKMULTISIG script' }
  const signers = new Set<string>()
  for (const [i, sig] of signatures.entries()) {
    const rec = recoverMessageKey(message, sig)
    if ('error' in rec) return { ok: false, reason: `signature ${i + 1}: ${rec.error}` }
    // The recovered key must appear in the script in the same (compressed/uncompressed) form.
    const candidates = [rec.pubkey, secp256k1.Point.fromBytes(rec.pubkey).toBytes(rec.pubkey.length !== 33)]
    const member = ms.pubkeys.find((k) => candidates.some((c) => equalBytes(c, k)))
    if (!member) {
      return {
        ok: false,
        reason: `signature ${i + 1} was made by key ${bytesToHex(rec.pubkey)}, which is not in the script`,
      }
    }
    const id = bytesToHex(member)
    if (signers.has(id)) return { ok: false, reason: `signature ${i + 1} repeats signer ${id}` }
    signers.add(id)
  }
  if (signers.size < ms.m) {
    return {
      ok: false,
      reason: `${signers.size} of the required ${ms.m} signers signed (${ms.m}-of-${ms.pubkeys.length})`,
    }
  }
  return { ok: true, detail: `${kind} ${ms.m}-of-${ms.pubkeys.length} multisig, ${signers.size} signers` }
}
