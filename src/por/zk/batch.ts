/**
 * @module Proving and verifying one batch: witness generation with noir_js, UltraHonk proof with bb.js (wasm,
 * offline, the setup given by path). A batch's public inputs are, in order: exchange, round, batch index,
 * batch root, previous and new cumulative-totals commitments.
 */
import type { CompiledCircuit } from '@noir-lang/noir_js'
import { AppError } from '../../platform/errors.ts'
import type { CompiledBatchCircuit } from './circuit.ts'
import { cumCommit, leafHash, merkleRoot, toHex } from './hash.ts'
import type { Setup } from './setup.ts'

/** What one batch proves, in circuit order. */
export interface BatchPublic {
  exchange: bigint
  round: bigint
  index: number
  root: bigint
  prevCum: bigint
  newCum: bigint
}

/** A batch's private witness: leaves, totals before it, and the two salts hiding the running totals. */
export interface BatchWitness {
  userHashes: bigint[]
  balances: bigint[][]
  prevTotals: bigint[]
  prevSalt: bigint
  newSalt: bigint
}

export interface BatchProof {
  public: BatchPublic
  /** The UltraHonk proof without its public inputs (14,080 bytes with bb.js 0.82.2). */
  proof: Uint8Array
}

/** Public inputs as bb.js lists them (32-byte hex fields). */
export function publicInputsOf(p: BatchPublic): string[] {
  return [p.exchange, p.round, BigInt(p.index), p.root, p.prevCum, p.newCum].map(toHex)
}

/** What the honest prover's public values are for a witness (the JS mirror of the circuit). */
export function expectedPublic(exchange: bigint, round: bigint, index: number, w: BatchWitness): BatchPublic {
  const leaves = w.userHashes.map((u, i) => leafHash(u, w.balances[i] ?? []))
  const newTotals = w.prevTotals.map((t, j) => w.balances.reduce((s, b) => s + (b[j] ?? 0n), t))
  return {
    exchange,
    round,
    index,
    root: merkleRoot(leaves),
    prevCum: cumCommit(exchange, round, w.prevTotals, w.prevSalt),
    newCum: cumCommit(exchange, round, newTotals, w.newSalt),
  }
}

const dec = (x: bigint) => x.toString()

const sizes = new Map<string, number>()

/**
 * Refuses a setup with fewer points than the circuit needs (`ZK_SETUP_TOO_SMALL`): bb.js would otherwise try to
 * download the missing points.
 */
export async function checkSetupFits(circuit: CompiledBatchCircuit, setup: Setup): Promise<number> {
  let size = sizes.get(circuit.circuitHash)
  if (size === undefined) {
    const { Barretenberg } = await import('@aztec/bb.js')
    const { gunzipSync } = await import('node:zlib')
    const api = await Barretenberg.new({ threads: 1, logger: () => {} })
    try {
      const [, subgroup] = await api.acirGetCircuitSizes(
        gunzipSync(Buffer.from(circuit.bytecode, 'base64')),
        false,
        true,
      )
      size = subgroup
    } finally {
      await api.destroy()
    }
    sizes.set(circuit.circuitHash, size)
  }
  if (setup.points < size + 1) {
    throw new AppError(
      'ZK_SETUP_TOO_SMALL',
      400,
      `The batch circuit (${circuit.users} users × ${circuit.assets} assets) needs ${size + 1} setup points; the setup has ${setup.points}: use a larger setup or a smaller --batch`,
    )
  }
  return size
}

/** Backend options for bb.js: single- or multi-threaded wasm, the setup's directory. */
function backendOptions(setup: Setup, threads: number) {
  return { threads, crsPath: setup.crsPath, logger: () => {} }
}

/**
 * Proves one batch. Throws `ZK_WITNESS_REJECTED` when the circuit's constraints fail (a balance out of
 * range, totals that do not match the claimed commitments, …): no proof exists for such a batch.
 * @example const p = await proveBatch(circuit, setup, pub, witness)
 */
export async function proveBatch(
  circuit: CompiledBatchCircuit,
  setup: Setup,
  pub: BatchPublic,
  w: BatchWitness,
  options: { threads?: number; prover?: BatchProver } = {},
): Promise<BatchProof> {
  await checkSetupFits(circuit, setup)
  const { Noir } = await import('@noir-lang/noir_js')
  const { UltraHonkBackend } = await import('@aztec/bb.js')
  const noir = new Noir({ bytecode: circuit.bytecode, abi: circuit.abi } as CompiledCircuit)
  let witness: Uint8Array
  try {
    const inputs = {
      exchange_id: dec(pub.exchange),
      round_id: dec(pub.round),
      batch_index: String(pub.index),
      batch_root: dec(pub.root),
      prev_cum: dec(pub.prevCum),
      new_cum: dec(pub.newCum),
      user_hashes: w.userHashes.map(dec),
      balances: w.balances.map((row) => row.map(dec)),
      prev_totals: w.prevTotals.map(dec),
      prev_salt: dec(w.prevSalt),
      new_salt: dec(w.newSalt),
    }
    witness = (await noir.execute(inputs)).witness
  } catch (cause) {
    throw new AppError(
      'ZK_WITNESS_REJECTED',
      422,
      `Batch ${pub.index} does not satisfy the circuit (a balance outside [0, 2^64), or totals or roots that do not match): no proof can be made`,
      { cause },
    )
  }
  if (options.prover) return { public: pub, proof: await options.prover.prove(witness) }
  const backend = new UltraHonkBackend(circuit.bytecode, backendOptions(setup, options.threads ?? 1))
  try {
    const { proof } = await backend.generateProof(witness)
    return { public: pub, proof }
  } finally {
    await backend.destroy()
  }
}

/** A bb.js prover kept across batches (one wasm instance and one loaded setup), so a batch pays only its proof. */
export interface BatchProver {
  prove(witness: Uint8Array): Promise<Uint8Array>
  destroy(): Promise<void>
}

/** Opens a reusable prover for one circuit and setup. */
export async function openBatchProver(
  circuit: CompiledBatchCircuit,
  setup: Setup,
  threads = 1,
): Promise<BatchProver> {
  await checkSetupFits(circuit, setup)
  const { UltraHonkBackend } = await import('@aztec/bb.js')
  const backend = new UltraHonkBackend(circuit.bytecode, backendOptions(setup, threads))
  return {
    prove: async (witness) => (await backend.generateProof(witness)).proof,
    destroy: () => backend.destroy(),
  }
}

/** The circuit's verification key under a setup (deterministic). */
export async function verificationKey(circuit: CompiledBatchCircuit, setup: Setup): Promise<Uint8Array> {
  await checkSetupFits(circuit, setup)
  const { UltraHonkBackend } = await import('@aztec/bb.js')
  const backend = new UltraHonkBackend(circuit.bytecode, backendOptions(setup, 1))
  try {
    return await backend.getVerificationKey()
  } finally {
    await backend.destroy()
  }
}

/** A reusable verifier: loads bb.js once, then checks proofs against a verification key (~35 ms each). */
export interface BatchVerifier {
  verify(vk: Uint8Array, pub: BatchPublic, proof: Uint8Array): Promise<boolean>
  destroy(): Promise<void>
}

/** Opens a verifier over a setup (only its G2 point and first G1 point are used). */
export async function openBatchVerifier(setup: Setup): Promise<BatchVerifier> {
  const { BarretenbergVerifier } = await import('@aztec/bb.js')
  const verifier = new BarretenbergVerifier(backendOptions(setup, 1))
  return {
    async verify(vk, pub, proof) {
      try {
        return await verifier.verifyUltraHonkProof({ proof, publicInputs: publicInputsOf(pub) }, vk)
      } catch {
        // A malformed key or proof aborts inside the wasm; for the caller it is simply not a valid proof.
        return false
      }
    },
    destroy: () => verifier.destroy(),
  }
}
