/**
 * Issue #18 part 6: a Bitcoin withdrawal above the Travel Rule threshold to the customer's own
 * wallet, proven with a BIP-322 "simple" signature (P2WPKH, or P2TR with a Schnorr signature by the
 * tweaked key) of the ownership message, or a legacy signed message (P2PKH). The proofs are made here with fresh secp256k1 keys: the BIP-322
 * `to_spend`/`to_sign` transactions are built with bitcoinjs-lib as the BIP describes, not with the
 * verifier's own helpers. A signature by another key, or over another message, is refused.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { address as btcAddress, script as btcScript, networks, opcodes, Transaction } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCodeAt } from '../../src/accounts/totp.ts'
import { DEMO_BTC_XPUB } from '../../src/custody/derivation.ts'
import { createLedger } from '../../src/custody/ledger.ts'
import { createTestApp, type TestApp, type TestSession } from '../support/app.ts'

const HOUR = 3_600_000
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read freely in assertions
type Body = Record<string, any>
let t: TestApp

const hash160 = (b: Uint8Array) => ripemd160(sha256(b))
const keyOf = (seed: string) => {
  const sk = sha256(utf8ToBytes(seed))
  return { sk, pk: secp256k1.getPublicKey(sk, true) }
}
const p2wpkh = (pk: Uint8Array) => btcAddress.toBech32(hash160(pk), 0, 'bc')
const p2pkh = (pk: Uint8Array) => btcAddress.toBase58Check(hash160(pk), networks.bitcoin.pubKeyHash)

function taggedHash(tag: string, data: Uint8Array): Uint8Array {
  const t = sha256(utf8ToBytes(tag))
  return sha256(concatBytes(t, t, data))
}
const varint = (n: number) => Uint8Array.of(n) // every item here is shorter than 0xfd bytes

/** BIP-322's virtual `to_sign` transaction for `message` and the address's output script. */
function bip322ToSign(scriptPubKey: Uint8Array, message: string): Transaction {
  const toSpend = new Transaction()
  toSpend.version = 0
  toSpend.addInput(
    new Uint8Array(32),
    0xffffffff,
    0,
    btcScript.compile([opcodes.OP_0, taggedHash('BIP0322-signed-message', utf8ToBytes(message))]),
  )
  toSpend.addOutput(scriptPubKey, 0n)
  const toSign = new Transaction()
  toSign.version = 0
  toSign.addInput(toSpend.getHash(), 0, 0)
  toSign.addOutput(btcScript.compile([opcodes.OP_RETURN]), 0n)
  return toSign
}

/** A BIP-322 "simple" signature of `message` for a P2WPKH address, by key `sk` (base64 witness). */
function bip322P2wpkh(sk: Uint8Array, address: string, message: string): string {
  const pk = secp256k1.getPublicKey(sk, true)
  const scriptPubKey = btcAddress.toOutputScript(address, networks.bitcoin)
  const toSign = bip322ToSign(scriptPubKey, message)
  const scriptCode = btcScript.compile([
    opcodes.OP_DUP,
    opcodes.OP_HASH160,
    hash160(pk),
    opcodes.OP_EQUALVERIFY,
    opcodes.OP_CHECKSIG,
  ])
  const sighash = toSign.hashForWitnessV0(0, scriptCode, 0n, Transaction.SIGHASH_ALL)
  const der = secp256k1.sign(sighash, sk, { prehash: false, format: 'der' })
  const sig = concatBytes(der, Uint8Array.of(Transaction.SIGHASH_ALL))
  const witness = concatBytes(varint(2), varint(sig.length), sig, varint(pk.length), pk)
  return Buffer.from(witness).toString('base64')
}

/**
 * A P2TR key-path key as BIP-86 wallets make it (no script tree): the output key is the internal key
 * tweaked by `TapTweak(x(P))`, and the secret is tweaked the same way (negated first when P's y is odd).
 */
function p2trKey(sk: Uint8Array): { address: string; tweakedSk: Uint8Array } {
  const n = secp256k1.Point.Fn.ORDER
  const P = secp256k1.getPublicKey(sk, true)
  const d = P[0] === 3 ? n - bytesToNumberBE(sk) : bytesToNumberBE(sk)
  const tweak = bytesToNumberBE(taggedHash('TapTweak', P.subarray(1)))
  const tweakedSk = numberToBytesBE((d + tweak) % n, 32)
  return { address: btcAddress.toBech32(schnorr.getPublicKey(tweakedSk), 1, 'bc'), tweakedSk }
}

/** A BIP-322 "simple" signature of `message` for a P2TR address (key path, SIGHASH_DEFAULT, BIP-341). */
function bip322P2tr(tweakedSk: Uint8Array, address: string, message: string): string {
  // OP_1 <32-byte output key>, written out: bitcoinjs-lib wants an ECC library for taproot scripts.
  const scriptPubKey = btcScript.compile([opcodes.OP_1, btcAddress.fromBech32(address).data])
  const toSign = bip322ToSign(scriptPubKey, message)
  const sighash = toSign.hashForWitnessV1(0, [scriptPubKey], [0n], Transaction.SIGHASH_DEFAULT)
  const sig = schnorr.sign(sighash, tweakedSk)
  return Buffer.from(concatBytes(varint(1), varint(sig.length), sig)).toString('base64')
}

/** Bitcoin Core's `signmessage` for a P2PKH address (compressed key, header 31-34). */
function signMessage(sk: Uint8Array, message: string): string {
  const text = utf8ToBytes(message)
  const prefix = utf8ToBytes('\x18Bitcoin Signed Message:\n')
  const hash = sha256(sha256(concatBytes(prefix, Uint8Array.of(text.length), text)))
  const sig = secp256k1.sign(hash, sk, { prehash: false, format: 'recovered' })
  return Buffer.from(concatBytes(Uint8Array.of(31 + (sig[0] ?? 0)), sig.subarray(1))).toString('base64')
}

async function call(session: TestSession, method: string, url: string, payload?: unknown) {
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: session.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  return { status: response.statusCode, body: response.json() as Body }
}

/** A customer with TOTP on and 1 BTC, past the 24 h lock that turning TOTP on starts. */
async function customer(name: string) {
  const { user, email, session } = await t.createCustomer(name)
  const { secret } = (await call(session, 'POST', '/api/accounts/totp/setup', {})).body
  await call(session, 'POST', '/api/accounts/totp/confirm', { code: totpCodeAt(secret, t.clock.now()) })
  t.rememberTotp(email, secret)
  await createLedger({ db: t.db }).creditDeposit(t.db, {
    key: `test:fund:${user.id}`,
    ref: 'test',
    owner: user.id,
    asset: 'BTC',
    amount: 100_000_000n,
  })
  t.clock.advance(25 * HOUR)
  return { email, session: await t.signIn(email) }
}

const messageFor = async (session: TestSession, address: string) =>
  (await call(session, 'GET', `/api/travel-rule/ownership-message?network=bitcoin&address=${address}`)).body
    .message as string
const declare = (session: TestSession, address: string, signature: string) =>
  call(session, 'POST', '/api/travel-rule/destinations', {
    kind: 'self_hosted',
    network: 'bitcoin',
    address,
    signature,
  })

let n = 0
async function withdraw(c: { email: string; session: TestSession }, address: string) {
  return call(c.session, 'POST', '/api/custody/withdrawals', {
    asset: 'BTC',
    amount: '0.01',
    network: 'bitcoin',
    address,
    idempotencyKey: `btc-tr-${++n}`,
    totpCode: t.nextStaffCode(c.email),
  })
}
const travelRuleOf = (r: { body: Body }) =>
  r.body.withdrawal.steps.findLast((s: Body) => s.step === 'travel_rule')

/** Declares `address` with `signature`, then withdraws to it: the Travel Rule step passes, naming `method`. */
async function provenWithdrawal(
  c: { email: string; session: TestSession },
  address: string,
  signature: string,
  method: 'BIP-322' | 'signmessage',
) {
  const proven = await declare(c.session, address, signature)
  expect(proven.status).toBe(201)
  const r = await withdraw(c, address)
  expect(r.status).toBe(201)
  expect(travelRuleOf(r)).toMatchObject({
    verdict: 'pass',
    detail: `your own wallet, ownership proven (${method})`,
  })
}

beforeAll(async () => {
  // EU's configured threshold is 0 EUR: every withdrawal needs Travel Rule data.
  t = await createTestApp({
    TRAVEL_RULE_JURISDICTION: 'EU',
    DATA_KEK: '5d'.repeat(32),
    CUSTODY_BTC_XPUB: DEMO_BTC_XPUB,
  })
}, 120_000)
afterAll(async () => {
  await t?.close()
})

describe('a Bitcoin withdrawal to a self-hosted wallet above the threshold', () => {
  const mine = keyOf('travel-rule btc: mine')
  const other = keyOf('travel-rule btc: other')

  it('is refused until the wallet is proven, and passes once a BIP-322 signature of the message proves it', async () => {
    const c = await customer('btc-bip322')
    const address = p2wpkh(mine.pk)
    const undeclared = await withdraw(c, address)
    expect(undeclared.status).toBe(409)
    expect(undeclared.body.code).toBe('TRAVEL_RULE_DESTINATION_UNDECLARED')

    const message = await messageFor(c.session, address)
    expect(message).toContain(address)
    const byOtherKey = await declare(c.session, address, bip322P2wpkh(other.sk, address, message))
    expect(byOtherKey.status).toBe(400)
    expect(byOtherKey.body.code).toBe('OWNERSHIP_PROOF_INVALID')
    expect(byOtherKey.body.message).toMatch(/does not own/)
    const otherMessage = message.replace('own the address', 'do not own the address')
    const overOtherMessage = await declare(c.session, address, bip322P2wpkh(mine.sk, address, otherMessage))
    expect(overOtherMessage.body.code).toBe('OWNERSHIP_PROOF_INVALID')
    expect(overOtherMessage.body.message).toMatch(/does not verify for this message/)

    await provenWithdrawal(c, address, bip322P2wpkh(mine.sk, address, message), 'BIP-322')
    const listed = await call(c.session, 'GET', '/api/travel-rule/destinations')
    expect(listed.body.destinations).toEqual([
      expect.objectContaining({ kind: 'self_hosted', network: 'bitcoin', address, proofMethod: 'BIP-322' }),
    ])
  })

  it('passes a withdrawal to a taproot (P2TR) address proven with a BIP-322 Schnorr signature, and refuses one by another key', async () => {
    const c = await customer('btc-taproot')
    const { address, tweakedSk } = p2trKey(mine.sk)
    expect(address).toMatch(/^bc1p[02-9ac-hj-np-z]{58}$/)
    const message = await messageFor(c.session, address)
    const byOtherKey = await declare(
      c.session,
      address,
      bip322P2tr(p2trKey(other.sk).tweakedSk, address, message),
    )
    expect(byOtherKey.status).toBe(400)
    expect(byOtherKey.body.code).toBe('OWNERSHIP_PROOF_INVALID')
    const untweaked = await declare(c.session, address, bip322P2tr(mine.sk, address, message))
    expect(untweaked.body.code).toBe('OWNERSHIP_PROOF_INVALID')

    await provenWithdrawal(c, address, bip322P2tr(tweakedSk, address, message), 'BIP-322')
  })

  it('accepts a legacy signed message for a P2PKH address, and refuses one by another key or over another message', async () => {
    const c = await customer('btc-legacy')
    const address = p2pkh(mine.pk)
    const message = await messageFor(c.session, address)
    const byOtherKey = await declare(c.session, address, signMessage(other.sk, message))
    expect(byOtherKey.body.code).toBe('OWNERSHIP_PROOF_INVALID')
    expect(byOtherKey.body.message).toMatch(/made by key [0-9a-f]{66} .* which does not own/)
    expect((await declare(c.session, address, signMessage(mine.sk, `${message} `))).body.code).toBe(
      'OWNERSHIP_PROOF_INVALID',
    )
    await provenWithdrawal(c, address, signMessage(mine.sk, message), 'signmessage')
  })
})
