/**
 * @module Compiles the batch circuit (`circuits/por_batch`) for N users × K assets with noir_wasm (no nargo,
 * offline) and caches the ACIR artifact by the SHA-256 of its generated source. The circuit hash (of the
 * bytecode) identifies the statement; the verification key follows from it and the setup.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../platform/errors.ts'

const CIRCUIT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../circuits/por_batch')

export interface BatchShape {
  /** Users (leaves) per batch, a power of two from 2 to 4096. */
  users: number
  /** Assets per user, 1 to 64. */
  assets: number
}

export interface CompiledBatchCircuit extends BatchShape {
  /** Base64 gzipped ACIR, as noir_js and bb.js take it. */
  bytecode: string
  abi: unknown
  /** SHA-256 (hex) of the bytecode. */
  circuitHash: string
}

/** Checks a batch shape, naming the bad value. */
export function checkShape(shape: BatchShape): void {
  const { users, assets } = shape
  if (!Number.isInteger(users) || users < 2 || users > 4096 || (users & (users - 1)) !== 0) {
    throw new AppError('ZK_BAD_SHAPE', 400, `Batch size ${users} must be a power of two from 2 to 4096`)
  }
  if (!Number.isInteger(assets) || assets < 1 || assets > 64) {
    throw new AppError('ZK_BAD_SHAPE', 400, `Asset count ${assets} must be from 1 to 64`)
  }
}

/** The circuit source with N, D, K and P filled in. */
export function batchSource(shape: BatchShape): string {
  checkShape(shape)
  const template = readFileSync(join(CIRCUIT_DIR, 'src/main.nr'), 'utf8')
  return template
    .replace('__N__', String(shape.users))
    .replace('__D__', String(Math.log2(shape.users)))
    .replace('__K__', String(shape.assets))
    .replace('__P__', String(Math.ceil(shape.assets / 3)))
}

/**
 * Compiles (or loads from the cache) the batch circuit for a shape.
 * @example const c = await compileBatchCircuit({ users: 4, assets: 2 })
 */
export async function compileBatchCircuit(
  shape: BatchShape,
  cacheDir = join(tmpdir(), 'bulwark-zk-circuits'),
): Promise<CompiledBatchCircuit> {
  const source = batchSource(shape)
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16)
  const cached = join(cacheDir, `por_batch_n${shape.users}_k${shape.assets}_${key}.json`)
  let artifact: { bytecode: string; abi: unknown }
  if (existsSync(cached)) {
    artifact = JSON.parse(readFileSync(cached, 'utf8'))
  } else {
    const project = join(cacheDir, `src-${key}-${process.pid}`)
    mkdirSync(join(project, 'src'), { recursive: true })
    writeFileSync(join(project, 'Nargo.toml'), readFileSync(join(CIRCUIT_DIR, 'Nargo.toml')))
    writeFileSync(join(project, 'src/main.nr'), source)
    const { compile_program, createFileManager } = await import('@noir-lang/noir_wasm')
    const quiet = () => {}
    // noir_wasm prints "Compiling at …" with console.log whatever logger it is given: keep stdout for the CLI.
    const log = console.log
    console.log = quiet
    let result: Awaited<ReturnType<typeof compile_program>>
    try {
      result = await compile_program(createFileManager(project), undefined, quiet, quiet)
    } finally {
      console.log = log
    }
    artifact = { bytecode: result.program.bytecode, abi: result.program.abi }
    writeFileSync(`${cached}.${process.pid}.tmp`, JSON.stringify(artifact))
    renameSync(`${cached}.${process.pid}.tmp`, cached)
  }
  const circuitHash = createHash('sha256').update(Buffer.from(artifact.bytecode, 'base64')).digest('hex')
  return { ...shape, bytecode: artifact.bytecode, abi: artifact.abi, circuitHash }
}
