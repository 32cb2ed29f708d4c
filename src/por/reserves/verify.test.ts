import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base58 } from '@scure/base'
import { address as btcAddress, networks } from 'bitcoinjs-lib'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bitcoinMessageHash } from './bitcoin.ts'
import { challengeMessage, createChallenge, parseChallenge, type ReserveChallenge } from './challenge.ts'
import { parseReservesCsv } from './csv.ts'
import { verifyReserves } from './verify.ts'

const decimals = (s: string) => ({ BTC: 8, ETH: 18, SOL: 9 })[s]
const fixedRandom = (seed: number) => (n: number) => new Uint8Array(n).fill(seed)

const round = (id: string, seed: number): ReserveChallenge =>
  createChallenge({
    exchange: 'bulwark-test',
    round: id,
    snapshots: { bitcoin: 870_000, ethereum: 21_000_000, solana: 300_000_000 },
    random: fixedRandom(seed),
  })

const evmKey = privateKeyToAccount(`0x${'11'.repeat(32)}`)
const otherEvmKey = privateKeyToAccount(`0x${'22'.repeat(32)}`)
const btcSk = sha256(utf8ToBytes('btc reserve key'))
const btcPk = secp256k1.getPublicKey(btcSk, true)
const btcAddr = btcAddress.toBase58Check(ripemd160(sha256(btcPk)), networks.bitcoin.pubKeyHash)
const solSk = sha256(utf8ToBytes('sol reserve key'))
const solPk = ed25519.getPublicKey(solSk)

function btcSign(message: string, sk = btcSk): string {
  const sig = secp256k1.sign(bitcoinMessageHash(message), sk, { prehash: false, format: 'recovered' })
  return Buffer.from(concatBytes(Uint8Array.of(31 + (sig[0] ?? 0)), sig.subarray(1))).toString('base64')
}

async function reservesCsv(
  challenge: ReserveChallenge,
  opts: { evmSigner?: typeof evmKey } = {},
): Promise<string> {
  const message = challengeMessage(challenge)
  const evmSig = await (opts.evmSigner ?? evmKey).signMessage({ message })
  const solSig = bytesToHex(ed25519.sign(utf8ToBytes(message), solSk))
  return [
    'chain,address,asset,token,amount,scheme,signature,public_key,script',
    `ethereum,${evmKey.address},ETH,,10,eip191,${evmSig},,`,
    `bitcoin,${btcAddr},BTC,,2.5,btc-message,${btcSign(message)},,`,
    `solana,${base58.encode(solPk)},SOL,,1000,ed25519,${solSig},${bytesToHex(solPk)},`,
  ].join('\n')
}

describe('the round challenge', () => {
  it('is a canonical text binding exchange, round, nonce and every snapshot height', () => {
    const c = round('2026-11', 0xab)
    expect(challengeMessage(c)).toBe(
      [
        'Bulwark proof of reserves: I control this address.',
        'version: 1',
        'exchange: bulwark-test',
        'round: 2026-11',
        `nonce: ${'ab'.repeat(32)}`,
        'snapshot bitcoin: 870000',
        'snapshot ethereum: 21000000',
        'snapshot solana: 300000000',
      ].join('\n'),
    )
  })

  it('does not depend on the order chains were listed in', () => {
    const a = parseChallenge({
      version: 1,
      exchange: 'x',
      round: 'r',
      nonce: 'cd'.repeat(32),
      snapshots: { b: 1, a: 2 },
    })
    const b = parseChallenge({
      version: 1,
      exchange: 'x',
      round: 'r',
      nonce: 'cd'.repeat(32),
      snapshots: { a: 2, b: 1 },
    })
    expect(challengeMessage(a)).toBe(challengeMessage(b))
  })

  it('refuses a malformed nonce, a newline smuggled into an id, and a negative height', () => {
    const ok = { version: 1, exchange: 'x', round: 'r', nonce: 'cd'.repeat(32), snapshots: { bitcoin: 1 } }
    expect(() => parseChallenge({ ...ok, nonce: 'abc' })).toThrow(/nonce/)
    expect(() => parseChallenge({ ...ok, round: 'r\nsnapshot bitcoin: 5' })).toThrow(/round/)
    expect(() => parseChallenge({ ...ok, snapshots: { bitcoin: -1 } })).toThrow(/non-negative/)
  })
})

describe('verifyReserves', () => {
  it('accepts every row signed for this round and counts declared amounts when no chain reader is set', async () => {
    const challenge = round('2026-11', 1)
    const entries = parseReservesCsv(await reservesCsv(challenge), decimals)
    const v = await verifyReserves({ entries, challenge })
    expect(v.rows.map((r) => [r.asset, r.ownership.ok, r.balanceSource])).toEqual([
      ['ETH', true, 'declared'],
      ['BTC', true, 'declared'],
      ['SOL', true, 'declared'],
    ])
    expect(v.totals).toEqual({ ETH: 10n * 10n ** 18n, BTC: 250_000_000n, SOL: 1000n * 10n ** 9n })
    expect(v.failed).toBe(0)
  })

  it('rejects signatures replayed from the previous round, on every chain', async () => {
    const october = round('2026-10', 2)
    const november = round('2026-11', 3)
    const entries = parseReservesCsv(await reservesCsv(october), decimals)
    const v = await verifyReserves({ entries, challenge: november })
    expect(v.rows.every((r) => !r.ownership.ok)).toBe(true)
    expect(v.totals).toEqual({ ETH: 0n, BTC: 0n, SOL: 0n })
    const eth = v.rows[0]!.ownership
    // A replayed EIP-191 signature recovers to an unrelated address, which the reason names.
    expect(!eth.ok && eth.reason).toMatch(/^signature was made by 0x[0-9a-fA-F]{40}, not by /)
  })

  it('rejects the same round with a different nonce (a challenge drawn again)', async () => {
    const first = round('2026-11', 4)
    const redrawn = round('2026-11', 5)
    const v = await verifyReserves({
      entries: parseReservesCsv(await reservesCsv(first), decimals),
      challenge: redrawn,
    })
    expect(v.failed).toBe(3)
  })

  it('rejects a signature by the wrong key and names the actual signer', async () => {
    const challenge = round('2026-11', 6)
    const entries = parseReservesCsv(await reservesCsv(challenge, { evmSigner: otherEvmKey }), decimals)
    const v = await verifyReserves({ entries, challenge })
    expect(v.rows[0]!.ownership).toEqual({
      ok: false,
      reason: `signature was made by ${otherEvmKey.address}, not by ${evmKey.address}`,
    })
    expect(v.totals.ETH).toBe(0n)
    expect(v.rows[1]!.ownership.ok).toBe(true)
  })

  it('accepts a TRON reserve signed with TIP-191 and rejects it for another round', async () => {
    const { tronAddress, tronMessageDigests } = await import('./tron.ts')
    const sk = sha256(utf8ToBytes('tron reserve'))
    const addr = tronAddress(secp256k1.getPublicKey(sk, false))
    const signFor = (c: ReserveChallenge) => {
      const rec = secp256k1.sign(tronMessageDigests(challengeMessage(c)).v2, sk, {
        prehash: false,
        format: 'recovered',
      })
      return bytesToHex(concatBytes(rec.subarray(1), Uint8Array.of(27 + (rec[0] ?? 0))))
    }
    const november = parseChallenge({ ...round('2026-11', 10), snapshots: { tron: 70_000_000 } })
    const october = parseChallenge({ ...round('2026-10', 11), snapshots: { tron: 69_000_000 } })
    const csv = (sig: string) =>
      `chain,address,asset,token,amount,scheme,signature,public_key,script\ntron,${addr},USDT,,5,tron-message,${sig},,`
    const dec = () => 6
    const ok = await verifyReserves({
      entries: parseReservesCsv(csv(signFor(november)), dec),
      challenge: november,
    })
    expect(ok.rows[0]!.ownership).toEqual({ ok: true, detail: `TRON v2 signature by ${addr}` })
    const replayed = await verifyReserves({
      entries: parseReservesCsv(csv(signFor(october)), dec),
      challenge: november,
    })
    expect(replayed.rows[0]!.ownership.ok).toBe(false)
  })

  it('counts an address only once per asset', async () => {
    const challenge = round('2026-11', 7)
    const csv = await reservesCsv(challenge)
    const lines = csv.split('\n')
    const duplicated = [...lines, lines[1]!.replace(evmKey.address, evmKey.address.toLowerCase())].join('\n')
    const v = await verifyReserves({ entries: parseReservesCsv(duplicated, decimals), challenge })
    expect(v.rows[3]!.ownership).toEqual({
      ok: false,
      reason: 'duplicate of line 2: an address is counted once per asset',
    })
    expect(v.totals.ETH).toBe(10n * 10n ** 18n)
  })

  it('in auditor mode counts nothing it could not read from a chain', async () => {
    const challenge = round('2026-11', 8)
    const v = await verifyReserves({
      entries: parseReservesCsv(await reservesCsv(challenge), decimals),
      challenge,
      balances: 'chain',
    })
    expect(v.totals).toEqual({ ETH: 0n, BTC: 0n, SOL: 0n })
    expect(v.rows.every((r) => r.balanceSource === 'none')).toBe(true)
  })

  it('rejects a row on a chain the challenge has no snapshot for', async () => {
    const challenge = parseChallenge({ ...round('2026-11', 9), snapshots: { ethereum: 1 } })
    const v = await verifyReserves({
      entries: parseReservesCsv(await reservesCsv(round('x', 9)), decimals),
      challenge,
    })
    expect(v.rows[1]!.ownership).toMatchObject({ ok: false })
    expect(!v.rows[1]!.ownership.ok && v.rows[1]!.ownership.reason).toContain(
      'no snapshot height for chain "bitcoin"',
    )
  })
})

describe('the reserves CSV', () => {
  it('reports every bad line with its number', () => {
    const csv = [
      'chain,address,asset,token,amount,scheme,signature,public_key,script',
      'ethereum,0xabc,ETH,,1.0000000000000000001,eip191,0x00,,',
      'Bitcoin,bc1q,DOGE,,1,magic,,,',
      'ethereum,0xabc,ETH',
    ].join('\n')
    let message = ''
    try {
      parseReservesCsv(csv, decimals)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('Line 2: amount "1.0000000000000000001" has more than 18 decimal places.')
    expect(message).toContain('Line 3: chain "Bitcoin" must be a lowercase chain id.')
    expect(message).toContain('Line 3: scheme "magic" must be one of')
    expect(message).toContain('Line 3: asset "DOGE" is not in the assets file.')
    expect(message).toContain('Line 4: expected 9 columns, found 3.')
  })
})
