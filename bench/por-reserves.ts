/**
 * @module Benchmark of the reserves half: `npm run bench:por-reserves -- [--rows N] [--leaves L]`.
 * 1. Signs N reserve rows per scheme for one challenge (not timed), then times verifyReserves on them
 *    (ownership only; balances come from chains and are dominated by RPC latency).
 * 2. Writes an OKX v2 full tree with L leaves (not timed), then times the streamed verification of
 *    the whole tree, printing lines per second and the JS heap.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { base58, base64 } from '@scure/base'
import { address as btcAddress, networks } from 'bitcoinjs-lib'
import { privateKeyToAccount } from 'viem/accounts'
import { addVectors, readVector, type Vector, vectorRecord } from '../src/por/external/balances.ts'
import { verifyExternalFiles } from '../src/por/external/index.ts'
import { okxParentHash, okxTruncate } from '../src/por/external/okx-v1.ts'
import { okxV2LeafHash, okxV2UserHash } from '../src/por/external/okx-v2.ts'
import { bip322Transactions, encodeWitness, outputScript } from '../src/por/reserves/bitcoin.ts'
import {
  bitcoinMessageHash,
  challengeMessage,
  createChallenge,
  parseReservesCsv,
  verifyReserves,
} from '../src/por/reserves/index.ts'

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '200' }, leaves: { type: 'string', default: '200000' } },
})
const rows = Number(values.rows)
const leaves = Number(values.leaves)
let peak = process.memoryUsage().heapUsed
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().heapUsed)
}, 20)
const table: [string, string, string][] = []

// 1. Reserve ownership checks.
const challenge = createChallenge({
  exchange: 'bench',
  round: '2026-11',
  snapshots: { bitcoin: 1, ethereum: 1, solana: 1 },
})
const message = challengeMessage(challenge)
const lines = ['chain,address,asset,token,amount,scheme,signature,public_key,script']
const counts: Record<string, number> = {}
for (let i = 0; i < rows; i++) {
  const sk = sha256(utf8ToBytes(`bench ${i}`))
  const evm = privateKeyToAccount(`0x${bytesToHex(sk)}`)
  lines.push(`ethereum,${evm.address},ETH,,1,eip191,${await evm.signMessage({ message })},,`)
  const pk = secp256k1.getPublicKey(sk, true)
  const p2pkh = btcAddress.toBase58Check(ripemd160(sha256(pk)), networks.bitcoin.pubKeyHash)
  const rec = secp256k1.sign(bitcoinMessageHash(message), sk, { prehash: false, format: 'recovered' })
  const legacy = base64.encode(concatBytes(Uint8Array.of(31 + (rec[0] ?? 0)), rec.subarray(1)))
  lines.push(`bitcoin,${p2pkh},BTC,,1,btc-message,${legacy},,`)
  const xonly = schnorr.getPublicKey(sk)
  const p2tr = btcAddress.toBech32(xonly, 1, 'bc')
  const spk = outputScript(p2tr)!.script
  const sighash = bip322Transactions(spk, message).toSign.hashForWitnessV1(0, [spk], [0n], 0)
  lines.push(`bitcoin,${p2tr},BTC,,1,bip322,${base64.encode(encodeWitness([schnorr.sign(sighash, sk)]))},,`)
  const edPk = ed25519.getPublicKey(sk)
  const edSig = bytesToHex(ed25519.sign(utf8ToBytes(message), sk))
  lines.push(`solana,${base58.encode(edPk)},SOL,,1,ed25519,${edSig},${bytesToHex(edPk)},`)
}
for (const s of ['eip191', 'btc-message', 'bip322', 'ed25519']) counts[s] = rows
const entries = parseReservesCsv(lines.join('\n'), (a) => ({ ETH: 18, BTC: 8, SOL: 9 })[a])
const t0 = performance.now()
const v = await verifyReserves({ entries, challenge })
const reservesMs = performance.now() - t0
if (v.failed !== 0) throw new Error(`${v.failed} reserve rows failed`)
table.push([
  'reserve rows verified',
  `${entries.length} (${Object.keys(counts).join(', ')})`,
  `${reservesMs.toFixed(0)} ms`,
])
table.push(['  per row', '', `${(reservesMs / entries.length).toFixed(3)} ms`])

// 2. OKX v2 full tree, streamed.
const dir = mkdtempSync(join(tmpdir(), 'bench-okx-v2-'))
const vec = (r: Record<string, string>): Vector => readVector(r, 'bench') as Vector
const user = { BTC: '0.5', ETH: '2', USDT: '1000' }
const userHash = okxV2UserHash('n0', user)
let level: { hash: string; vector: Vector }[] = []
for (let i = 0; i < leaves; i++) {
  const b = i === 0 ? user : { BTC: `0.${(i % 997) + 1}`, ETH: String(i % 13), USDT: `${i % 5000}.25` }
  const hash = i === 0 ? okxV2LeafHash(userHash, vec(b)) : okxV2LeafHash(`u${i}`, vec(b))
  level.push({ hash, vector: vec(b) })
}
let out: string[][] = []
let height = 1
for (;;) {
  if (level.length > 1 && level.length % 2 === 1) {
    const last = level[level.length - 1]!
    level.push({ hash: last.hash, vector: vec({ BTC: '0', ETH: '0', USDT: '0' }) })
  }
  out.push([...level].reverse().map((n) => `${n.hash},${height},${JSON.stringify(vectorRecord(n.vector))}`))
  if (level.length === 1) break
  const next: typeof level = []
  for (let i = 0; i < level.length; i += 2) {
    const l = level[i]!
    const r = level[i + 1]!
    const sum = addVectors(l.vector, r.vector, 'bench') as Vector
    const norm = okxTruncate(sum)
    next.push({ hash: okxParentHash(l.hash, r.hash, norm, height + 1), vector: norm })
  }
  level = next
  height++
}
const treeFile = join(dir, 'tree.txt')
writeFileSync(treeFile, `${out.reverse().flat().join('\n')}\n`)
const userFile = join(dir, 'user.json')
writeFileSync(
  userFile,
  JSON.stringify({
    hash: userHash,
    nodes: [{ balances: user, hash: okxV2LeafHash(userHash, vec(user)) }],
    nonce: 'n0',
    totalBalances: user,
  }),
)
const lineCount = out.reduce((n, l) => n + l.length, 0)
// Drop the generator's arrays so the heap figures below are the verifier's own.
out = []
level = []
;(globalThis as { gc?: () => void }).gc?.()
const heapBefore = process.memoryUsage().heapUsed
peak = heapBefore
const t1 = performance.now()
const [res] = await verifyExternalFiles([userFile, treeFile])
const treeMs = performance.now() - t1
if (!res?.ok) throw new Error(`tree verification failed: ${res?.reason}`)
table.push([
  'OKX v2 tree verified (streamed)',
  `${leaves} leaves, ${lineCount} lines, ${(statSync(treeFile).size / 2 ** 20).toFixed(1)} MB`,
  `${treeMs.toFixed(0)} ms`,
])
table.push(['  throughput', '', `${Math.round(lineCount / (treeMs / 1000))} lines/s`])
table.push([
  '  JS heap before / peak during',
  '',
  `${(heapBefore / 2 ** 20).toFixed(0)} / ${(peak / 2 ** 20).toFixed(0)} MB`,
])
clearInterval(sample)
rmSync(dir, { recursive: true, force: true })

const w = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] ?? '').length)))
for (const r of table) console.log(`${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padStart(w[2]!)}`)
