/**
 * @module Binance zkmerkle-proof-of-solvency user proofs (`user_config.json`: `AccountIndex`,
 * `AccountIdHash`, `TotalEquity`, `TotalDebt`, `TotalCollateral`, `Assets`, `Root`, `Proof`).
 * Rules, as Binance's verifier, its Poseidon (bnb-chain's gnark-crypto fork) and its circuit apply
 * them:
 * - Poseidon over BN254's scalar field with the circomlib / iden3 constants (x⁵ S-box, 8 full
 *   rounds, width = inputs + 1, state[0] = 0), built with @noble/curves' Grain-LFSR generator;
 *   inputs beyond 12 are absorbed 12 at a time into a width-13 state. Binance's releases read the
 *   digest from state[1] (the sample proof in Binance's repository only reproduces that way); older
 *   code read state[0], which is also tried;
 * - asset commitment = Poseidon over the user's assets padded to a tier (50 or 350 assets), five
 *   uint64 per asset (equity, debt, loan, margin, portfolio-margin collateral) packed three per
 *   field element as a·2¹²⁸ + b·2⁶⁴ + c; a later layout adds the asset index (six per asset, tiers
 *   50 / 500) and is tried too;
 * - leaf = Poseidon(accountIdHash, totalEquity, totalDebt, totalCollateral, assetCommitment);
 * - node = Poseidon(left, right); bit i of `AccountIndex` (least significant first) puts the account
 *   on the right at level i; `Proof` = siblings bottom-up (base64, 32-byte big-endian); `Root` hex.
 * A `LeafHash` field (the leaf Binance's tool prints) is accepted when the balances are absent.
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
const U64 = 1n << 64n

function permute(state: bigint[]): bigint[] {
  const t = state.length
  let perm = permutations.get(t)
  if (!perm) {
    const opts = { Fp: Fr, t, roundsFull: 8, roundsPartial: PARTIAL_ROUNDS[t - 2]!, sboxPower: 5 }
    perm = poseidon({ ...opts, ...grainGenConstants(opts) })
    permutations.set(t, perm)
  }
  return perm(state)
}

/**
 * Poseidon as bnb-chain's gnark-crypto fork computes it: inputs absorbed 12 at a time into a
 * width-13 state, the rest into a state of width rest + 1 carrying state[0]; `output` picks the
 * state element returned (1 in Binance's releases, 0 = circomlib).
 */
export function poseidonHash(inputs: bigint[], output: 0 | 1 = 0): bigint {
  if (inputs.length < 1) throw new Error('Poseidon needs at least one input')
  let state: bigint[] = new Array<bigint>(13).fill(0n)
  let start = 0
  if (inputs.length > 12) {
    for (; start + 12 <= inputs.length; start += 12) {
      state = permute([state[0]!, ...inputs.slice(start, start + 12)])
    }
  }
  if (start < inputs.length) state = permute([state[0]!, ...inputs.slice(start)])
  return state[output]!
}

export type BinanceAsset = {
  Index: number
  Equity: bigint
  Debt: bigint
  Loan: bigint
  Margin: bigint
  PortfolioMargin: bigint
}

/** Leaf layouts Binance has published, tried in this order. */
export const BINANCE_LAYOUTS = [
  { name: '5 fields per asset, tiers 50/350', tiers: [50, 350], withIndex: false },
  { name: 'index + 5 fields per asset, tiers 50/500', tiers: [50, 500], withIndex: true },
] as const

function pack(flat: bigint[]): bigint[] {
  const out: bigint[] = []
  for (let i = 0; i < flat.length; i += 3) {
    out.push((flat[i] ?? 0n) * U64 * U64 + (flat[i + 1] ?? 0n) * U64 + (flat[i + 2] ?? 0n))
  }
  return out
}

/** Asset commitment of one layout with the user's assets padded to `tier` entries. */
export function binanceAssetCommitment(
  assets: BinanceAsset[],
  layout: (typeof BINANCE_LAYOUTS)[number],
  tier: number,
  output: 0 | 1,
): bigint {
  const flat: bigint[] = []
  if (!layout.withIndex) {
    for (const a of assets) flat.push(a.Equity, a.Debt, a.Loan, a.Margin, a.PortfolioMargin)
    for (let i = assets.length; i < tier; i++) flat.push(0n, 0n, 0n, 0n, 0n)
  } else {
    // Missing indices between the user's assets are filled first, then the tail, up to the tier.
    let padding = tier - assets.length
    let next = 0
    for (const a of assets) {
      for (let j = next; j < a.Index && padding > 0; j++, padding--) flat.push(BigInt(j), 0n, 0n, 0n, 0n, 0n)
      flat.push(BigInt(a.Index), a.Equity, a.Debt, a.Loan, a.Margin, a.PortfolioMargin)
      next = a.Index + 1
    }
    while (flat.length < tier * 6) flat.push(BigInt(next++), 0n, 0n, 0n, 0n, 0n)
  }
  return poseidonHash(pack(flat), output)
}

/** Root from a leaf, the account index and the siblings (bottom-up). */
export function binanceRoot(leaf: bigint, index: number, siblings: bigint[], output: 0 | 1 = 0): bigint {
  let node = leaf
  for (const [i, s] of siblings.entries()) {
    const bit = Math.floor(index / 2 ** i) % 2
    node = bit === 1 ? poseidonHash([s, node], output) : poseidonHash([node, s], output)
  }
  return node
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

/** Parses Binance's JSON keeping integers beyond 2^53 exact (its totals are ~10^23). */
export function parseBinanceJson(text: string): unknown {
  return JSON.parse(text, function (
    this: unknown,
    _key: string,
    value: unknown,
    context?: { source?: string },
  ) {
    if (typeof value === 'number' && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source)
    }
    return value
  } as (this: unknown, key: string, value: unknown) => unknown)
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
  if (/^[0-9a-fA-F]{64}$/.test(t)) return hexToBytes(t.toLowerCase())
  if (/^[A-Za-z0-9+/]{43}=$/.test(text.trim())) return base64.decode(text.trim())
  return null
}

function uint(value: unknown, what: string, bits: number): bigint | { error: string } {
  const n =
    typeof value === 'bigint'
      ? value
      : typeof value === 'number' && Number.isSafeInteger(value)
        ? BigInt(value)
        : null
  if (n === null || n < 0n || n >= 1n << BigInt(bits))
    return { error: `${what} must be an integer in [0, 2^${bits})` }
  return n
}

const hex32 = (n: bigint) => bytesToHex(numberToBytesBE(n, 32))

/** Verifies a Binance user proof: the leaf from the balances (or LeafHash), then the Merkle path. */
export function verifyBinance(json: unknown, file: string): ExternalResult {
  const checks = new CheckList()
  const j = json as Record<string, unknown>
  let root: ExternalResult['root']
  let balances: Record<string, string> | undefined
  const finish = (): ExternalResult => ({
    format: 'binance',
    files: [file],
    ok: checks.ok,
    reason: checks.reason,
    checks: checks.checks,
    warnings: checks.warnings,
    balances,
    root,
    guarantees: GUARANTEES.binance,
  })
  const fail = (name: string, detail: string) => {
    checks.check(name, false, detail)
    return finish()
  }
  const index = typeof j.AccountIndex === 'bigint' ? Number(j.AccountIndex) : j.AccountIndex
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    return fail('account index', `AccountIndex ${String(j.AccountIndex)} is not a non-negative integer`)
  }
  const rootValue = field(decode(String(j.Root)), 'Root')
  if (typeof rootValue !== 'bigint') return fail('root', rootValue.error)
  root = { hash: hex32(rootValue) }
  const proof = j.Proof as unknown[]
  if (proof.length === 0 || index >= 2 ** proof.length) {
    return fail('depth', `${proof.length} siblings cannot place account index ${index}`)
  }
  const siblings: bigint[] = []
  for (const [i, p] of proof.entries()) {
    const v = field(typeof p === 'string' ? decode(p) : null, `Proof[${i}]`)
    if (typeof v !== 'bigint') return fail(`level ${i}`, v.error)
    siblings.push(v)
  }
  checks.check('proof', true, `${siblings.length} siblings, account index ${index}`)

  // Candidate leaves: recomputed from the balances under each known layout, or the given LeafHash.
  const candidates: { leaf: bigint; output: 0 | 1; how: string }[] = []
  if (Array.isArray(j.Assets) && j.AccountIdHash !== undefined) {
    const id = field(decode(String(j.AccountIdHash)), 'AccountIdHash')
    if (typeof id !== 'bigint') return fail('account', id.error)
    const totals: bigint[] = []
    for (const k of ['TotalEquity', 'TotalDebt', 'TotalCollateral']) {
      const v = uint(j[k], k, 253)
      if (typeof v !== 'bigint') return fail('account', v.error)
      totals.push(v)
    }
    const assets: BinanceAsset[] = []
    for (const [i, raw] of (j.Assets as Record<string, unknown>[]).entries()) {
      const a: Record<string, bigint> = {}
      for (const k of ['Index', 'Equity', 'Debt', 'Loan', 'Margin', 'PortfolioMargin']) {
        const v = uint(raw[k] ?? 0, `Assets[${i}].${k}`, 64)
        if (typeof v !== 'bigint') return fail('account', v.error)
        a[k] = v
      }
      assets.push({ ...(a as Omit<BinanceAsset, 'Index'>), Index: Number(a.Index) })
    }
    for (const [i, a] of assets.entries()) {
      if (i > 0 && a.Index <= assets[i - 1]!.Index)
        return fail('account', `Assets are not in increasing Index order at ${i}`)
    }
    balances = Object.fromEntries(assets.map((a) => [`#${a.Index}`, `equity ${a.Equity} debt ${a.Debt}`]))
    for (const output of [1, 0] as const) {
      for (const layout of BINANCE_LAYOUTS) {
        // Which tier a user lands in has varied with the batch configuration: try every one that fits.
        for (const tier of layout.tiers.filter((t) => assets.length <= t)) {
          const commitment = binanceAssetCommitment(assets, layout, tier, output)
          const leaf = poseidonHash([id, ...totals, commitment], output)
          const how = `leaf recomputed from your balances (${layout.name}, padded to ${tier}, Poseidon state[${output}])`
          candidates.push({ leaf, output, how })
        }
      }
    }
  }
  if (typeof j.LeafHash === 'string') {
    const leaf = field(decode(j.LeafHash), 'LeafHash')
    if (typeof leaf !== 'bigint') return fail('leaf', leaf.error)
    for (const output of [1, 0] as const)
      candidates.push({ leaf, output, how: `LeafHash from the file (Poseidon state[${output}])` })
  }
  if (candidates.length === 0) {
    return fail('leaf', 'the file has neither the account balances nor a LeafHash to start the path from')
  }
  for (const c of candidates) {
    if (binanceRoot(c.leaf, index, siblings, c.output) === rootValue) {
      checks.check('leaf', true, `${c.how}: ${hex32(c.leaf)}`)
      checks.check('root hash', true, `the Poseidon path from account index ${index} reaches the root`)
      return finish()
    }
  }
  return fail(
    'root hash',
    `no leaf reaches the published root ${root.hash} from account index ${index} (tried ${candidates.length} ` +
      'layouts: a balance, the index or a sibling differs)',
  )
}
