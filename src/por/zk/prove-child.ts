/**
 * @module Child-process entry of the server's proving job (job.ts): proves one round's batches off the
 * server's process, so a long proof never blocks a request, and reports progress over IPC. It runs the same
 * resumable `proveRound` as `bulwark por prove`: finished batch files that match the plan are kept.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkSetupFits } from './batch.ts'
import { compileBatchCircuit } from './circuit.ts'
import { proveRound, readZkLeaves } from './round.ts'
import { openSetup } from './setup.ts'

/** What the parent sends once, right after the fork. */
export interface ProveTask {
  roundDir: string
  exchangeId: string
  setupFile: string
  batchSize: number
  cores: number
}

/** What the child reports: progress after each batch, then exactly one `done` or `failed`. */
export type ProveMessage =
  | { kind: 'progress'; done: number; total: number; reused: number }
  | {
      kind: 'done'
      proved: number
      reused: number
      ms: number
      manifest: {
        circuitHash: string
        vkHash: string
        setupHash: string
        setupInsecure: boolean
        topRoot: string
        batchSize: number
        batchCount: number
        leafCount: number
      }
      /** τ·G2 of the setup (128 bytes, hex): with the generator it is all a verifier needs of the setup. */
      setupG2: string
    }
  | { kind: 'failed'; code: string; message: string }

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** Proves a round directory's batches, reporting through `send`. */
export async function runProveTask(task: ProveTask, send: (m: ProveMessage) => void): Promise<void> {
  try {
    const privPath = join(task.roundDir, 'private.json')
    if (!existsSync(privPath))
      throw Object.assign(
        new Error('The round has no built tree (private.json): build the round, then prove it'),
        { code: 'ZK_ROUND_NOT_BUILT' },
      )
    const secret = new Uint8Array(
      Buffer.from((JSON.parse(readFileSync(privPath, 'utf8')) as { roundSecret: string }).roundSecret, 'hex'),
    )
    const { leaves, assets, roundId } = readZkLeaves(task.roundDir)
    const setup = openSetup(task.setupFile)
    const circuit = await compileBatchCircuit({ users: task.batchSize, assets: assets.length })
    await checkSetupFits(circuit, setup)
    const result = await proveRound({
      exchangeId: task.exchangeId,
      roundId,
      assets,
      leaves,
      secret,
      batchSize: task.batchSize,
      setup,
      outDir: join(task.roundDir, 'zk'),
      cores: task.cores,
      onProgress: (done, total, reused) => send({ kind: 'progress', done, total, reused }),
    })
    const m = result.manifest
    send({
      kind: 'done',
      proved: result.proved,
      reused: result.reused,
      ms: result.ms,
      manifest: {
        circuitHash: m.circuitHash,
        vkHash: m.vkHash,
        setupHash: m.setupHash,
        setupInsecure: m.setupInsecure,
        topRoot: m.topRoot,
        batchSize: m.batchSize,
        batchCount: m.batches.length,
        leafCount: m.leafCount,
      },
      setupG2: hex(readFileSync(join(setup.crsPath, 'bn254_g2.dat'))),
    })
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown }
    send({
      kind: 'failed',
      code: typeof err.code === 'string' && /^[A-Z0-9_]+$/.test(err.code) ? err.code : 'ZK_PROVING_FAILED',
      message: typeof err.message === 'string' ? err.message.slice(0, 500) : 'proving failed',
    })
  }
}

if (process.send && process.argv[2] === '--bulwark-zk-prove') {
  let finished = false
  // The server died (kill -9, crash): stop too, so the restarted server's resumed job is the only prover writing
  // the round's batch files.
  process.on('disconnect', () => {
    if (!finished) process.exit(1)
  })
  process.once('message', (task: ProveTask) => {
    void runProveTask(task, (m) => process.send?.(m)).finally(() => {
      finished = true
      process.disconnect()
    })
  })
}
