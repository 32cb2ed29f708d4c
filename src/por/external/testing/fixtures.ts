/**
 * @module Test support: builds small proof files in each external format with the formats' real
 * hashing rules (our own data, never copied from an exchange), so tests can check that a genuine
 * file passes and a tampered one fails with the right reason. Used by tests only.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { address as btcAddress, script as btcScript, networks, opcodes } from 'bitcoinjs-lib'
import { keccak256, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { bitcoinMessageHash } from '../../reserves/bitcoin.ts'
import { tronAddress, tronMessageDigests } from '../../reserves/tron.ts'
import { addVectors, readVector, sha256Hex, type Vector, vectorRecord } from '../balances.ts'
import { BINANCE_LAYOUTS, binanceAssetCommitment, poseidonHash } from '../binance.ts'
import { bitgetLeafHash, bitgetNormalise, bitgetParentHash } from '../bitget.ts'
import { bybitLeafHash, bybitParentHash, bybitScale } from '../bybit.ts'
import { okxParentHash, okxTruncate, okxV1LeafHash } from '../okx-v1.ts'
import { okxV2LeafHash, okxV2UserHash } from '../okx-v2.ts'

type SumNode = { hash: string; vector: Vector }

function vec(record: Record<string, string>): Vector {
  const v = readVector(record, 'fixture')
  if ('error' in v) throw new Error(v.error)
  return v
}

function zero(v: Vector): Vector {
  return vec(Object.fromEntries(v.keys.map((k) => [k, '0'])))
}

/** Levels bottom-up; odd levels padded with a zero-balance copy of their last node. */
function buildLevels(
  leaves: SumNode[],
  parent: (l: SumNode, r: SumNode, height: number) => SumNode,
): SumNode[][] {
  const levels: SumNode[][] = [leaves]
  while (levels[levels.length - 1]!.length > 1) {
    const level = levels[levels.length - 1]!
    if (level.length % 2 === 1) {
      const last = level[level.length - 1]!
      level.push({ hash: last.hash, vector: zero(last.vector) })
    }
    const next: SumNode[] = []
    for (let i = 0; i < level.length; i += 2) next.push(parent(level[i]!, level[i + 1]!, levels.length + 1))
    levels.push(next)
  }
  return levels
}

function pathOf(levels: SumNode[][], index: number): { node: SumNode; siblingIsLeft: boolean }[] {
  const out = []
  let i = index
  for (let l = 0; l < levels.length - 1; l++) {
    out.push({ node: levels[l]![i ^ 1]!, siblingIsLeft: i % 2 === 1 })
    i >>= 1
  }
  return out
}

function sum(a: Vector, b: Vector, norm: (v: Vector) => Vector): Vector {
  const s = addVectors(a, b, 'fixture')
  if ('error' in s) throw new Error(s.error)
  return norm(s)
}

const USERS = [
  { BTC: '0.5', ETH: '2.25', USDT: '1000' },
  { BTC: '0.00000001', ETH: '0', USDT: '12.5' },
  { BTC: '1.2', ETH: '0.1', USDT: '0' },
  { BTC: '0', ETH: '7', USDT: '250.75' },
  { BTC: '3', ETH: '0', USDT: '99.99' },
]
const nonce = (i: number) => sha256Hex(`fixture nonce ${i}`)

/** OKX v1 proof file for user `index` of a 5-user tree. */
export function okxV1Fixture(index = 2): unknown {
  const leaves = USERS.map((u, i) => ({ hash: okxV1LeafHash(nonce(i), u), vector: vec(u) }))
  const levels = buildLevels(leaves, (l, r, h) => {
    const s = sum(l.vector, r.vector, okxTruncate)
    return { hash: okxParentHash(l.hash, r.hash, s, h), vector: s }
  })
  const root = levels[levels.length - 1]![0]!
  const me = leaves[index]!
  return {
    self: {
      balances: USERS[index],
      nonce: nonce(index),
      hash: me.hash,
      type: index % 2 === 0 ? 1 : 2,
      height: 1,
    },
    path: [
      ...pathOf(levels, index).map((p, h) => ({
        balances: vectorRecord(p.node.vector),
        hash: p.node.hash,
        type: p.siblingIsLeft ? 1 : 2,
        height: h + 1,
      })),
      { balances: vectorRecord(root.vector), hash: root.hash, type: 3, height: levels.length },
    ],
  }
}

/** Bybit proof file (balances with 8 fixed decimals). */
export function bybitFixture(index = 1): unknown {
  const users = USERS.map((u) => bybitScale(vec(u)))
  const userHash = (i: number) => sha256Hex(`bybit user ${i}`)
  const leaves = users.map((v, i) => ({ hash: bybitLeafHash(userHash(i), v), vector: v }))
  const levels = buildLevels(leaves, (l, r, h) => {
    const s = sum(l.vector, r.vector, bybitScale)
    return { hash: bybitParentHash(l.hash, r.hash, s, h), vector: s }
  })
  const fixed = (v: Vector) => vectorRecord(bybitScale(v))
  const root = levels[levels.length - 1]![0]!
  return {
    self: {
      type: index % 2 === 0 ? 1 : 2,
      hash: leaves[index]!.hash,
      height: 1,
      nonce: nonce(index),
      userHash: userHash(index),
      balance: fixed(users[index]!),
    },
    path: [
      ...pathOf(levels, index).map((p, h) => ({
        type: p.siblingIsLeft ? 1 : 2,
        hash: p.node.hash,
        height: h + 1,
        balance: fixed(p.node.vector),
      })),
      { type: 3, hash: root.hash, height: levels.length, balance: fixed(root.vector) },
    ],
  }
}

/** Bitget proof file (16-hex hashes, levels counted down to the root at level 1). */
export function bitgetFixture(index = 3): unknown {
  const uid = (i: number) => sha256Hex(`bitget uid ${i}`)
  const leaves = USERS.map((u, i) => ({ hash: bitgetLeafHash(uid(i), nonce(i), u), vector: vec(u) }))
  // Build bottom-up; Bitget numbers levels from the root, so compute the depth first.
  let depth = 1
  for (let n = leaves.length; n > 1; n = Math.ceil(n / 2)) depth++
  const levels = buildLevels(leaves, (l, r, h) => {
    const s = sum(l.vector, r.vector, bitgetNormalise)
    return { hash: bitgetParentHash(l.hash, r.hash, s, depth - h + 1), vector: s }
  })
  const root = levels[levels.length - 1]![0]!
  return {
    path: [
      ...pathOf(levels, index).map((p, h) => ({
        auditId: 'fixture',
        balances: vectorRecord(p.node.vector),
        level: depth - h,
        merkelLeaf: p.node.hash,
        role: p.siblingIsLeft ? 1 : 2,
      })),
      { auditId: 'fixture', balances: vectorRecord(root.vector), level: 1, merkelLeaf: root.hash },
    ],
    self: {
      auditId: 'fixture',
      balances: USERS[index],
      encryptUid: uid(index),
      level: depth,
      merkelLeaf: leaves[index]!.hash,
      nonce: nonce(index),
      role: index % 2 === 0 ? 1 : 2,
    },
  }
}

/** OKX v2 user-info file (user 0 split over two leaves) and the full tree text. */
export function okxV2Fixture(): { userInfo: unknown; tree: string } {
  const parts = [
    [
      { BTC: '0.2', ETH: '1', USDT: '400' },
      { BTC: '0.3', ETH: '1.25', USDT: '600' },
    ],
    ...USERS.slice(1).map((u) => [u]),
  ]
  const totals = [USERS[0]!, ...USERS.slice(1)]
  const leaves: SumNode[] = []
  let userInfo: unknown
  for (const [i, nodes] of parts.entries()) {
    const userHash = okxV2UserHash(nonce(i), totals[i]!)
    const mine = nodes.map((n) => ({ hash: okxV2LeafHash(userHash, vec(n)), vector: vec(n) }))
    leaves.push(...mine)
    if (i === 0) {
      userInfo = {
        hash: userHash,
        nodes: mine.map((m, j) => ({ balances: nodes[j], hash: m.hash })),
        nonce: nonce(i),
        totalBalances: totals[i],
      }
    }
  }
  const levels = buildLevels(leaves, (l, r, h) => {
    const s = sum(l.vector, r.vector, okxTruncate)
    return { hash: okxParentHash(l.hash, r.hash, s, h), vector: s }
  })
  const lines: string[] = []
  for (let h = levels.length; h >= 1; h--) {
    for (const n of [...levels[h - 1]!].reverse())
      lines.push(`${n.hash},${h},${JSON.stringify(vectorRecord(n.vector))}`)
  }
  return { userInfo, tree: `${lines.join('\n')}\n` }
}

/**
 * Binance user proof for account `index` in a depth-4 tree, with the account's balances (leaf
 * layout "5 fields per asset", padded to 50 assets, Poseidon state[1] as Binance's releases use).
 */
export function binanceFixture(index = 5, opts: { leafOnly?: boolean } = {}): unknown {
  const account = (i: number) => ({
    AccountIdHash: bytesToHex(numberToBytesBE(BigInt(i + 100), 32)),
    TotalEquity: 10n ** 22n * BigInt(i + 1),
    TotalDebt: 10n ** 20n * BigInt(i),
    TotalCollateral: 10n ** 21n,
    Assets: [
      { Index: 0, Equity: 1000n * BigInt(i), Debt: 0n, Loan: 0n, Margin: 0n, PortfolioMargin: 0n },
      { Index: 3, Equity: 5n, Debt: BigInt(i), Loan: 2n, Margin: 1n, PortfolioMargin: 0n },
    ],
  })
  const leafOf = (i: number) => {
    const a = account(i)
    const commitment = binanceAssetCommitment(a.Assets, BINANCE_LAYOUTS[0], 50, 1)
    return poseidonHash([BigInt(i + 100), a.TotalEquity, a.TotalDebt, a.TotalCollateral, commitment], 1)
  }
  const leaves = Array.from({ length: 16 }, (_, i) => leafOf(i))
  const levels: bigint[][] = [leaves]
  while (levels[levels.length - 1]!.length > 1) {
    const l = levels[levels.length - 1]!
    const next: bigint[] = []
    for (let i = 0; i < l.length; i += 2) next.push(poseidonHash([l[i]!, l[i + 1]!], 1))
    levels.push(next)
  }
  const proof: string[] = []
  let i = index
  for (let l = 0; l < levels.length - 1; l++) {
    proof.push(base64.encode(numberToBytesBE(levels[l]![i ^ 1]!, 32)))
    i >>= 1
  }
  const root = bytesToHex(numberToBytesBE(levels[levels.length - 1]![0]!, 32))
  const common = { AccountIndex: index, Root: root, Proof: proof }
  if (opts.leafOnly) return { ...common, LeafHash: bytesToHex(numberToBytesBE(leaves[index]!, 32)) }
  // Binance writes the totals as bare JSON numbers beyond 2^53; keep them bigints for serialiseJson.
  return { ...common, ...account(index) }
}

/** JSON with bigints written as bare numbers, as Binance's files carry them. */
export function serialiseJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(
    /"@@(-?\d+)@@"/g,
    '$1',
  )
}

function btcSign(sk: Uint8Array, message: string): string {
  const sig = secp256k1.sign(bitcoinMessageHash(message), sk, { prehash: false, format: 'recovered' })
  return Buffer.from(concatBytes(Uint8Array.of(31 + (sig[0] ?? 0)), sig.subarray(1))).toString('base64')
}

/** OKX reserve CSV: EVM EOA, EVM contract wallet with two owner EOAs, BTC P2PKH, BTC 2-of-3 P2WSH, TRX, SOL. */
export async function okxReservesFixture(): Promise<string> {
  const message = 'I am an OKX address'
  const okxEvmSign = (a: ReturnType<typeof privateKeyToAccount>) =>
    a.signMessage({ message: { raw: keccak256(toBytes(message)) } })
  const eoa = privateKeyToAccount(`0x${'31'.repeat(32)}`)
  const owner1 = privateKeyToAccount(`0x${'32'.repeat(32)}`)
  const owner2 = privateKeyToAccount(`0x${'33'.repeat(32)}`)
  const contract = '0x57e2dcd253527a0f70c6a3de3556f6e6e163f19c'
  const btcSk = sha256(utf8ToBytes('okx fixture btc'))
  const btcPk = secp256k1.getPublicKey(btcSk, true)
  const p2pkh = btcAddress.toBase58Check(ripemd160(sha256(btcPk)), networks.bitcoin.pubKeyHash)
  const msKeys = [1, 2, 3].map((n) => sha256(utf8ToBytes(`okx ms ${n}`)))
  const redeem = btcScript.compile([
    opcodes.OP_2,
    ...msKeys.map((k) => secp256k1.getPublicKey(k, true)),
    opcodes.OP_3,
    opcodes.OP_CHECKMULTISIG,
  ])
  const p2wsh = btcAddress.toBech32(sha256(redeem), 0, 'bc')
  // TRON rows as OKX's verifier hashes them: keccak("\x19TRON Signed Message:\n32" ‖ keccak(message)).
  const trxSk = sha256(utf8ToBytes('okx fixture trx'))
  const trxRec = secp256k1.sign(tronMessageDigests(message).v1, trxSk, {
    prehash: false,
    format: 'recovered',
  })
  const trxSig = `0x${bytesToHex(concatBytes(trxRec.subarray(1), Uint8Array.of(27 + (trxRec[0] ?? 0))))}`
  return [
    'coin,snapshot height,amount',
    'ETH(ALL),-,3',
    'BTC(ALL),-,1.5',
    '',
    'coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2',
    `ETH,ETH,20914735,${eoa.address},1.25,${message},${await okxEvmSign(eoa)},,,,`,
    `ETH,ETH,20914735,${contract},1.75,${message},${await okxEvmSign(owner1)},${await okxEvmSign(owner2)},,${owner1.address},${owner2.address}`,
    `BTC,BTC,870000,${p2pkh},0.5,${message},${btcSign(btcSk, message)},,,,`,
    `BTC,BTC,870000,${p2wsh},1,${message},${btcSign(msKeys[0]!, message)},${btcSign(msKeys[2]!, message)},${bytesToHex(redeem)},,`,
    `USDT-TRC20,TRX,46095694,${tronAddress(secp256k1.getPublicKey(trxSk, false))},100,${message},${trxSig},,,,`,
    `SOL,SOL,300000000,5oNDL3swdJJF1g9DzJiZ4ynHXgszjAEpUkxVYejchzrY,10,${message},0xabcdef,,,,`,
  ].join('\n')
}
