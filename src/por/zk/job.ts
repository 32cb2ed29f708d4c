/**
 * @module The server's zk proving job: staff start proving a built round from the rounds page; the batches are
 * proved in a child process (prove-child.ts) so the server keeps answering, progress (batches done / total,
 * users/s, ETA) is polled by the page, and a job stopped or killed midway resumes from its finished batch files
 * when started again. When it finishes, the round's zk hashes (circuit, verification key, setup, top root over
 * the batch roots) are recorded in `por_round_zk`; once the round is published that row cannot change.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import { resolveInside } from '../../platform/safe-path.ts'
import type { ProveMessage, ProveTask } from './prove-child.ts'

export type ZkJobState = 'running' | 'done' | 'failed' | 'stopped'

/** What the staff page shows of a proving job. */
export interface ZkJobProgress {
  state: ZkJobState
  batchSize: number
  cores: number
  /** Batches with a proof file (kept from an earlier run or proved in this one). */
  done: number
  /** Batches in the round; 0 until the child has planned them. */
  total: number
  /** Batches kept from an earlier run (not proved again). */
  reused: number
  /** Users proved per second in this run; null before the first batch. */
  usersPerSecond: number | null
  /** Seconds left at this run's pace; null before the first batch. */
  etaSeconds: number | null
  startedAt: string
  finishedAt: string | null
  error: { code: string; message: string } | null
}

/** The zk hashes a round publishes (docs/por-zk.md): what every verifier pins. */
export interface ZkRoundRecord {
  circuitHash: string
  vkHash: string
  setupHash: string
  setupInsecure: boolean
  /** τ·G2 of the setup, hex (128 bytes): a browser verifier needs only this and the generator. */
  setupG2: string
  /** Poseidon2 tree over the batch roots: the round's zk commitment. */
  topRoot: string
  batchSize: number
  batchCount: number
  leafCount: number
  provedAt: string
}

export interface ZkProvingDeps {
  db: Db
  clock: Clock
  dataDir: string
  exchangeId: string
  /** The setup file (config POR_ZK_SETUP_FILE); proving is refused without one. */
  setupFile: string | undefined
  /** The round's status (built or reviewed rounds may be proved). */
  roundStatus: (id: string) => Promise<string>
}

export interface StartProvingParameters {
  batchSize: number
  cores: number
}

const CHILD = fileURLToPath(new URL('./prove-child.ts', import.meta.url))

/** Creates the job runner (one per server; one proving job at a time, proving uses every core it is given). */
export function createZkProving(deps: ZkProvingDeps) {
  const jobs = new Map<string, ZkJobProgress>()
  const children = new Map<string, ChildProcess>()

  async function record(id: string, m: Extract<ProveMessage, { kind: 'done' }>): Promise<void> {
    const x = m.manifest
    // Upsert: a round re-proved before publication replaces its hashes; the table's trigger refuses any change
    // once the round is published.
    await sql`
      insert into por_round_zk (round_id, circuit_hash, vk_hash, setup_hash, setup_insecure, setup_g2, top_root,
                                batch_size, batch_count, leaf_count, proved_at)
      values (${id}, ${x.circuitHash}, ${x.vkHash}, ${x.setupHash}, ${x.setupInsecure}, ${m.setupG2}, ${x.topRoot},
              ${x.batchSize}, ${x.batchCount}, ${x.leafCount}, ${deps.clock.now()})
      on conflict (round_id) do update set
        circuit_hash = excluded.circuit_hash, vk_hash = excluded.vk_hash, setup_hash = excluded.setup_hash,
        setup_insecure = excluded.setup_insecure, setup_g2 = excluded.setup_g2, top_root = excluded.top_root,
        batch_size = excluded.batch_size, batch_count = excluded.batch_count, leaf_count = excluded.leaf_count,
        proved_at = excluded.proved_at
    `.execute(deps.db)
  }

  return {
    /** The latest job of a round in this server process, or null. */
    progress(id: string): ZkJobProgress | null {
      return jobs.get(id) ?? null
    },

    /**
     * Starts proving round `id` in a child process. Refuses a round that is not built or reviewed
     * (`POR_ROUND_WRONG_STATE`, `POR_ROUND_PUBLISHED`), a server without a setup file (`ZK_SETUP_NOT_CONFIGURED`)
     * and a second job while one runs (`ZK_PROVING_RUNNING`). Audit-logged.
     */
    async start(id: string, actor: string, p: StartProvingParameters): Promise<ZkJobProgress> {
      const status = await deps.roundStatus(id)
      if (status !== 'built' && status !== 'reviewed') {
        throw new AppError(
          status === 'published' ? 'POR_ROUND_PUBLISHED' : 'POR_ROUND_WRONG_STATE',
          409,
          `Round ${id} is ${status}; proving needs it to be built or reviewed (a published round's proofs cannot change).`,
        )
      }
      if (!deps.setupFile) {
        throw new AppError(
          'ZK_SETUP_NOT_CONFIGURED',
          409,
          'No zk setup file is configured: set POR_ZK_SETUP_FILE to the ceremony setup file and restart the server.',
        )
      }
      const running = [...jobs.entries()].find(([, j]) => j.state === 'running')
      if (running) {
        throw new AppError(
          'ZK_PROVING_RUNNING',
          409,
          `Round ${running[0]} is being proved; wait for it to finish or stop it first.`,
        )
      }
      const roundDir = resolveInside(deps.dataDir, 'por', 'rounds', id, 'tree')
      const job: ZkJobProgress = {
        state: 'running',
        batchSize: p.batchSize,
        cores: p.cores,
        done: 0,
        total: 0,
        reused: 0,
        usersPerSecond: null,
        etaSeconds: null,
        startedAt: deps.clock.now().toISOString(),
        finishedAt: null,
        error: null,
      }
      jobs.set(id, job)
      const started = performance.now()
      const child = fork(CHILD, ['--bulwark-zk-prove'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      child.stderr?.resume()
      children.set(id, child)
      const finish = (state: ZkJobState, error: ZkJobProgress['error'] = null) => {
        if (job.state !== 'running') return
        job.state = state
        job.error = error
        job.finishedAt = deps.clock.now().toISOString()
        job.etaSeconds = state === 'done' ? 0 : null
        children.delete(id)
      }
      let reported = false
      child.on('message', (m: ProveMessage) => {
        if (m.kind !== 'progress') reported = true
        if (m.kind === 'progress') {
          job.done = m.done
          job.total = m.total
          job.reused = m.reused
          const proved = m.done - m.reused
          const seconds = (performance.now() - started) / 1000
          if (proved > 0) {
            job.usersPerSecond = (proved * p.batchSize) / seconds
            job.etaSeconds = Math.ceil(((m.total - m.done) * seconds) / proved)
          }
        } else if (m.kind === 'failed') {
          finish('failed', { code: m.code, message: m.message })
        } else {
          record(id, m).then(
            async () => {
              finish('done')
              await appendAudit(deps.db, {
                actor,
                action: 'por.zk_proving_finished',
                target: `round:${id}`,
                details: {
                  proved: m.proved,
                  reused: m.reused,
                  vkHash: m.manifest.vkHash,
                  topRoot: m.manifest.topRoot,
                },
              })
            },
            () =>
              finish('failed', {
                code: 'ZK_RECORD_REFUSED',
                message: `Round ${id} changed while it was being proved (published?); its zk hashes were not recorded.`,
              }),
          )
        }
      })
      child.on('exit', () => {
        // A child that dies without reporting (killed, out of memory) leaves its finished batch files behind.
        if (job.state === 'running' && !reported && children.get(id) === child) {
          finish('failed', {
            code: 'ZK_PROVING_DIED',
            message:
              'The proving process stopped before it finished; start it again to resume from the proved batches.',
          })
        }
      })
      const task: ProveTask = {
        roundDir,
        exchangeId: deps.exchangeId,
        setupFile: deps.setupFile,
        batchSize: p.batchSize,
        cores: p.cores,
      }
      child.send(task)
      await appendAudit(deps.db, {
        actor,
        action: 'por.zk_proving_started',
        target: `round:${id}`,
        details: { batchSize: p.batchSize, cores: p.cores },
      })
      return job
    },

    /** Stops a running job (its child is killed; finished batch files stay for the next start). Audit-logged. */
    async stop(id: string, actor: string): Promise<ZkJobProgress> {
      const job = jobs.get(id)
      const child = children.get(id)
      if (job?.state !== 'running' || !child) throw errors.notFound(`A proving job of round ${id}`)
      job.state = 'stopped'
      job.finishedAt = deps.clock.now().toISOString()
      job.etaSeconds = null
      children.delete(id)
      child.kill('SIGKILL')
      await appendAudit(deps.db, {
        actor,
        action: 'por.zk_proving_stopped',
        target: `round:${id}`,
        details: { done: job.done, total: job.total },
      })
      return job
    },

    /** The zk hashes recorded for round `id`, or null when it has not been proved. */
    async recorded(id: string): Promise<ZkRoundRecord | null> {
      const r = await sql<{
        circuit_hash: string
        vk_hash: string
        setup_hash: string
        setup_insecure: boolean
        setup_g2: string
        top_root: string
        batch_size: number
        batch_count: number
        leaf_count: number
        proved_at: Date | string
      }>`select * from por_round_zk where round_id = ${id}`.execute(deps.db)
      const row = r.rows[0]
      if (!row) return null
      return {
        circuitHash: row.circuit_hash,
        vkHash: row.vk_hash,
        setupHash: row.setup_hash,
        setupInsecure: row.setup_insecure,
        setupG2: row.setup_g2,
        topRoot: row.top_root,
        batchSize: row.batch_size,
        batchCount: row.batch_count,
        leafCount: row.leaf_count,
        provedAt: new Date(row.proved_at).toISOString(),
      }
    },

    /** Kills every running child (server shutdown); the next start resumes from the finished batches. */
    close(): void {
      for (const child of children.values()) child.kill('SIGKILL')
      children.clear()
    },
  }
}

export type ZkProving = ReturnType<typeof createZkProving>
