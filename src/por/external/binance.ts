/**
 * @module Binance zkmerkle-proof-of-solvency user proofs, the Merkle part (`user_config.json`:
 * `AccountIndex`, `AccountIdHash`, `Root`, `Proof`, plus the account's amounts). Rules, as
 * Binance's verifier and circuit apply them:
 * - hash = Poseidon over BN254's scalar field with the circomlib / iden3 constants (x⁵ S-box,
 *   8 full rounds, width = inputs + 1), built here with @noble/curves' Grain-LFSR generator;
 * - node = Poseidon(left, right); at level i the account sits on the right when bit i of
 *   `AccountIndex` is 1 (least significant bit first), so the index fixes the whole path;
 * - `Proof` holds the siblings bottom-up, base64 of 32-byte big-endian field elements; `Root` is hex.
 * The account leaf itself is Poseidon(accountIdHash, totalEquity, totalDebt, …, assetCommitment) with
 * a layout that changed across Binance releases, so this verifier starts from the leaf hash Binance's
 * own tool prints (`LeafHash` in the file, hex or base64).
 */
import { Field } from '@noble/curves/abstract/modular.js'
import { grainGenConstants, poseidon } from '@noble/curves/abstract/poseidon.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { GUARANTEES } from './guarantees.ts'
import { CheckList, type ExternalResult } from './types.ts'

/** BN254 scalar field order r. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const Fr = Field(BN254_R)
// Partial rounds per width t = 2…17 (circomlib / go-iden3-crypto).
const PARTIAL_ROUNDS = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]
const permutations = new Map<number, ReturnType<typeof poseidon>>()

/** Circomlib-compatible Poseidon of 1-16 field elements (state[0] = 0, output state[0]). */
export function poseidonHash(inputs: bigint[]): bigint {
  const t = inputs.length + 1
  let perm = permutations.get(t)
  if (!perm) {
    const opts = { Fp: Fr, t, roundsFull: 8, roundsPartial: PARTIAL_ROUNDS[t - 2]!, sboxPower: 5 }
    perm = poseidon({ ...opts, ...grainGenConstants(opts) })
    permutations.set(t, perm)
  }
  return perm([0n, ...inputs])[0]!
}

export function isBinance(json: unknown): boolean {
  const j = json as Record<string, unknown>
  return (
    typeof j === 'object' &&
    j !== null &&
    'AccountIndex' in j &&
    Array.isArray(j.Proof) &&
    typeof j.Root === 'string'
  )
}

function field(bytes: Uint8Array | null, what: string): bigint | { error: string } {
  if (bytes?.length !== 32) return { error: `${what} is not 32 bytes` }
  const n = bytesToNumberBE(bytes)
  // gnark reduces silently; a non-canonical encoding would let two byte strings name one node.
  if (n >= BN254_R) return { error: `${what} is not a canonical BN254 field element` }
  return n
}

function decode(text: string): Uint8Array | null {
  const t = text.trim().replace(/^0x/, '')
  if (/^[0-9a-fA-F]{64}$/.test(t)) return hexToBytes(t)
  if (/^[A-Za-z0-9+/]{43}=$/.test(text.trim())) return base64.decode(text.trim())
  return null
}

/** Root from a leaf, the account index and the siblings (bottom-up). */
export function binanceRoot(leaf: bigint, index: number, siblings: bigint[]): bigint {
  let node = leaf
  for (const [i, s] of siblings.entries()) {
    const bit = Math.floor(index / 2 ** i) % 2
    node = bit === 1 ? poseidonHash([s, node]) : poseidonHash([node, s])
  }
  return node
}

/** Verifies the Merkle part of a Binance user proof. */
export function verifyBinance(json: unknown, file: string): ExternalResult {
  const checks = new CheckList()
  const j = json as { AccountIndex: unknown; Root: string; Proof: unknown[]; LeafHash?: unknown }
  let root: ExternalResult['root']
  const finish = (): ExternalResult => ({
    format: 'binance',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances: undefined,
    root,
    guarantees: GUARANTEES.binance,
  })
  const index = j.AccountIndex
  if (
    !checks.check(
      'account index',
      typeof index === 'number' && Number.isSafeInteger(index) && index >= 0,
      `AccountIndex ${JSON.stringify(index)}`,
    )
  ) {
    return finish()
  }
  const rootValue = field(decode(j.Root), 'Root')
  if (typeof rootValue !== 'bigint') {
    checks.check('root', false, rootValue.error)
    return finish()
  }
  root = { hash: bytesToHex(numberToBytesBE(rootValue, 32)) }
  if (
    !checks.check(
      'depth',
      j.Proof.length > 0 && (index as number) < 2 ** j.Proof.length,
      `${j.Proof.length} siblings for account index ${index as number}`,
    )
  ) {
    return finish()
  }
  const siblings: bigint[] = []
  for (const [i, p] of j.Proof.entries()) {
    const v = field(typeof p === 'string' ? decode(p) : null, `Proof[${i}]`)
    if (typeof v !== 'bigint') {
      checks.check(`level ${i}`, false, v.error)
      return finish()
    }
    siblings.push(v)
  }
  if (typeof j.LeafHash !== 'string') {
    checks.check(
      'leaf',
      false,
      'the file has no LeafHash; copy the "user merkle leave hash" that Binance’s verifier prints into LeafHash',
    )
    return finish()
  }
  const leaf = field(decode(j.LeafHash), 'LeafHash')
  if (typeof leaf !== 'bigint') {
    checks.check('leaf', false, leaf.error)
    return finish()
  }
  checks.check('leaf', true, `leaf ${bytesToHex(numberToBytesBE(leaf, 32))}`)
  const computed = binanceRoot(leaf, index as number, siblings)
  const hex = bytesToHex(numberToBytesBE(computed, 32))
  checks.check(
    'root hash',
    computed === rootValue,
    computed === rootValue
      ? `Poseidon path from index ${index as number} reaches the root`
      : `recomputed root ${hex} differs from the published root ${root.hash} (wrong index, sibling or leaf)`,
  )
  return finish()
}
