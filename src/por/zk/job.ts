/**
 * @module The server's zk proving job: staff start proving a built round from the rounds page; the batches are
 * proved in a child process (prove-child.ts) so the server keeps answering, progress (batches done / total,
 * users/s, ETA) is polled by the page, and a job stopped, interrupted or killed midway resumes from its finished
 * batch files when started again. The job lives in `por_zk_jobs`: a restarted server (or another server process)
 * shows it, and the database admits one running job at a time. When it finishes, the round's zk hashes (circuit,
 * verification key, setup, top root over the batch roots) are recorded in `por_round_zk`; once the round is
 * published that row cannot change.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type RawBuilder, sql, type Transaction } from 'kysely'
import { appendAudit } from '../../platform/audit.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Database, Db } from '../../platform/db/index.ts'
import { AppError, errors } from '../../platform/errors.ts'
import { resolveInside } from '../../platform/safe-path.ts'
import type { ProveMessage, ProveTask } from './prove-child.ts'

/** `interrupted`: the server proving it stopped (restart, crash) before it finished; staff resume it. */
export type ZkJobState = 'running' | 'done' | 'failed' | 'stopped' | 'interrupted'

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
  /** Who started (or last resumed) the job, as the audit log names them (`staff:ID`). */
  startedBy: string
  finishedAt: string | null
  /** Who stopped it, when it was stopped. */
  stoppedBy: string | null
  error: { code: string; message: string } | null
}

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
  /** How often the server running a job says it is alive (default 5 s). */
  heartbeatMs?: number
  /** A running job whose server has not said so for this long counts as interrupted (default 30 s). */
  staleMs?: number
}

export interface StartProvingParameters {
  batchSize: number
  cores: number
}

type Executor = Db | Transaction<Database>

const CHILD = fileURLToPath(new URL('./prove-child.ts', import.meta.url))

const INTERRUPTED = {
  code: 'ZK_PROVING_INTERRUPTED',
  message:
    'The server proving this round stopped (restart or crash) before it finished; resume proving to continue from the proved batches.',
}

interface JobRow {
  round_id: string
  state: ZkJobState
  batch_size: number
  cores: number
  done: number
  total: number
  reused: number
  users_per_second: number | null
  eta_seconds: number | null
  started_at: Date | string
  started_by: string
  finished_at: Date | string | null
  stopped_by: string | null
  error_code: string | null
  error_message: string | null
  owner: string
  heartbeat_at: Date | string
}

function present(row: JobRow): ZkJobProgress {
  return {
    state: row.state,
    batchSize: row.batch_size,
    cores: row.cores,
    done: row.done,
    total: row.total,
    reused: row.reused,
    usersPerSecond: row.users_per_second === null ? null : Number(row.users_per_second),
    etaSeconds: row.eta_seconds,
    startedAt: new Date(row.started_at).toISOString(),
    startedBy: row.started_by,
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    stoppedBy: row.stopped_by,
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? row.error_code },
  }
}

/**
 * Whether the server process named by `owner` (`host:pid:nonce`) has certainly exited: it ran on this host and no
 * process has its pid. Anything else (another host, a live pid, this very process) is left to the heartbeat.
 */
function ownerProcessGone(owner: string): boolean {
  const parts = owner.split(':')
  parts.pop()
  const pid = Number(parts.pop())
  if (parts.join(':') !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid)
    return false
  try {
    process.kill(pid, 0)
    return false
  } catch (e) {
    return (e as { code?: unknown }).code === 'ESRCH'
  }
}

/** Thrown inside the claiming transaction when another start holds the round's row (rolls the claim back). */
const RUNNING_ELSEWHERE = Symbol('running elsewhere')

const isUniqueViolation = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505'

/** Creates the job runner (one per server process; one proving job at a time, it uses every core it is given). */
export function createZkProving(deps: ZkProvingDeps) {
  const { db, clock } = deps
  const heartbeatMs = deps.heartbeatMs ?? 5_000
  const staleMs = deps.staleMs ?? 30_000
  /** This server process's name in `por_zk_jobs.owner`. */
  const me = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  const children = new Map<string, ChildProcess>()

  async function row(id: string): Promise<JobRow | undefined> {
    return (await sql<JobRow>`select * from por_zk_jobs where round_id = ${id}`.execute(db)).rows[0]
  }

  /** Marks running jobs of server processes that are gone (exited here, or silent for `staleMs`) interrupted. */
  async function recover(): Promise<void> {
    const running = await sql<Pick<JobRow, 'round_id' | 'owner' | 'heartbeat_at'>>`
      select round_id, owner, heartbeat_at from por_zk_jobs where state = 'running' and owner <> ${me}
    `.execute(db)
    const now = clock.now()
    for (const r of running.rows) {
      const silentMs = now.getTime() - new Date(r.heartbeat_at).getTime()
      const gone = ownerProcessGone(r.owner)
      if (silentMs <= staleMs && !gone) continue
      // A server only silent is marked only while it stays silent (it may write a heartbeat meanwhile; if it
      // does so after this, it finds its job no longer running and stops its child).
      const cutoff = new Date(now.getTime() - staleMs)
      await db.transaction().execute(async (tx) => {
        const marked = await sql`
          update por_zk_jobs set state = 'interrupted', finished_at = ${now}, eta_seconds = null,
            error_code = ${INTERRUPTED.code}, error_message = ${INTERRUPTED.message}
          where round_id = ${r.round_id} and state = 'running' and owner = ${r.owner}
            and (${gone} or heartbeat_at < ${cutoff})
        `.execute(tx)
        if (Number(marked.numAffectedRows ?? 0) === 0) return
        await appendAudit(tx, {
          actor: 'system',
          action: 'por.zk_proving_interrupted',
          target: `round:${r.round_id}`,
          details: {
            owner: r.owner,
            silentSeconds: Math.round(silentMs / 1000),
          },
        })
      })
    }
  }

  /** Updates this process's running job of round `id`; false when it is no longer ours and running. */
  async function update(id: string, set: RawBuilder<unknown>, executor: Executor = db): Promise<boolean> {
    const r = await sql`
      update por_zk_jobs set ${set} where round_id = ${id} and owner = ${me} and state = 'running'
    `.execute(executor)
    return Number(r.numAffectedRows ?? 0) > 0
  }

  // While a child proves, say so; a job stopped from another server process or marked interrupted by one
  // (this process looked dead to it) is no longer ours: kill the child, so two provers never share a folder.
  const heartbeat = setInterval(() => {
    for (const [id, child] of children) {
      update(id, sql`heartbeat_at = ${clock.now()}`).then(
        (ours) => {
          if (!ours) child.kill('SIGKILL')
        },
        () => child.kill('SIGKILL'),
      )
    }
  }, heartbeatMs)
  heartbeat.unref()

  async function record(
    executor: Executor,
    id: string,
    m: Extract<ProveMessage, { kind: 'done' }>,
  ): Promise<void> {
    const x = m.manifest
    // Upsert: a round re-proved before publication replaces its hashes; the table's trigger refuses any change
    // once the round is published.
    await sql`
      insert into por_round_zk (round_id, circuit_hash, vk_hash, setup_hash, setup_insecure, setup_g2, top_root,
                                batch_size, batch_count, leaf_count, proved_at)
      values (${id}, ${x.circuitHash}, ${x.vkHash}, ${x.setupHash}, ${x.setupInsecure}, ${m.setupG2}, ${x.topRoot},
              ${x.batchSize}, ${x.batchCount}, ${x.leafCount}, ${clock.now()})
      on conflict (round_id) do update set
        circuit_hash = excluded.circuit_hash, vk_hash = excluded.vk_hash, setup_hash = excluded.setup_hash,
        setup_insecure = excluded.setup_insecure, setup_g2 = excluded.setup_g2, top_root = excluded.top_root,
        batch_size = excluded.batch_size, batch_count = excluded.batch_count, leaf_count = excluded.leaf_count,
        proved_at = excluded.proved_at
    `.execute(executor)
  }

  async function runningRefusal(): Promise<AppError> {
    const other = await sql<{ round_id: string }>`
      select round_id from por_zk_jobs where state = 'running'
    `.execute(db)
    const which = other.rows[0]?.round_id ?? 'another round'
    return new AppError(
      'ZK_PROVING_RUNNING',
      409,
      `Round ${which} is being proved; wait for it to finish or stop it first.`,
    )
  }

  return {
    /** Marks the running jobs of server processes that are gone as interrupted (called at server start). */
    recover,

    /** The latest job of a round (whichever server process ran it), or null when none was started. */
    async progress(id: string): Promise<ZkJobProgress | null> {
      await recover()
      const found = await row(id)
      return found ? present(found) : null
    },

    /**
     * Starts (or resumes) proving round `id` in a child process. Refuses a round that is not built or reviewed
     * (`POR_ROUND_WRONG_STATE`, `POR_ROUND_PUBLISHED`), a server without a setup file (`ZK_SETUP_NOT_CONFIGURED`)
     * and a second job while one runs in any server process (`ZK_PROVING_RUNNING`, enforced by the database).
     * Audit-logged.
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
      await recover()
      const now = clock.now()
      try {
        // One row per round; a new run takes it over unless it is running. The partial unique index refuses a
        // second running row (another round, or a racing start in another process). The claim and its audit
        // entry are one transaction.
        await db.transaction().execute(async (tx) => {
          const r = await sql`
            insert into por_zk_jobs (round_id, state, batch_size, cores, started_at, started_by, owner, heartbeat_at)
            values (${id}, 'running', ${p.batchSize}, ${p.cores}, ${now}, ${actor}, ${me}, ${now})
            on conflict (round_id) do update set
              state = 'running', cores = excluded.cores, started_at = excluded.started_at,
              started_by = excluded.started_by, owner = excluded.owner, heartbeat_at = excluded.heartbeat_at,
              finished_at = null, stopped_by = null, error_code = null, error_message = null,
              users_per_second = null, eta_seconds = null, reused = 0,
              done = case when por_zk_jobs.batch_size = excluded.batch_size then por_zk_jobs.done else 0 end,
              total = case when por_zk_jobs.batch_size = excluded.batch_size then por_zk_jobs.total else 0 end,
              batch_size = excluded.batch_size
            where por_zk_jobs.state <> 'running'
          `.execute(tx)
          if (Number(r.numAffectedRows ?? 0) === 0) throw RUNNING_ELSEWHERE
          await appendAudit(tx, {
            actor,
            action: 'por.zk_proving_started',
            target: `round:${id}`,
            details: { batchSize: p.batchSize, cores: p.cores },
          })
        })
      } catch (e) {
        if (e === RUNNING_ELSEWHERE || isUniqueViolation(e)) throw await runningRefusal()
        throw e
      }

      const roundDir = resolveInside(deps.dataDir, 'por', 'rounds', id, 'tree')
      const started = performance.now()
      const child = fork(CHILD, ['--bulwark-zk-prove'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      child.stderr?.resume()
      children.set(id, child)
      // Writes are applied in the order the child reports; a server that cannot write its job's state stops
      // proving (the job then shows interrupted and resumes from the proved batches).
      let writes: Promise<unknown> = Promise.resolve()
      const write = (f: () => Promise<unknown>) => {
        writes = writes.then(f).catch(() => child.kill('SIGKILL'))
      }
      const forget = () => {
        if (children.get(id) === child) children.delete(id)
      }
      const finishing = (state: ZkJobState, error: ZkJobProgress['error'] = null) =>
        sql`state = ${state}, finished_at = ${clock.now()}, eta_seconds = ${state === 'done' ? 0 : null},
            error_code = ${error?.code ?? null}, error_message = ${error?.message ?? null}`
      const finish = (state: ZkJobState, error: ZkJobProgress['error'] = null) =>
        update(id, finishing(state, error)).finally(forget)
      let reported = false
      child.on('message', (m: ProveMessage) => {
        if (m.kind !== 'progress') reported = true
        if (m.kind === 'progress') {
          const proved = m.done - m.reused
          const seconds = (performance.now() - started) / 1000
          const rate = proved > 0 ? (proved * p.batchSize) / seconds : null
          const eta = proved > 0 ? Math.ceil(((m.total - m.done) * seconds) / proved) : null
          write(async () => {
            const ours = await update(
              id,
              sql`done = ${m.done}, total = ${m.total}, reused = ${m.reused}, users_per_second = ${rate},
                  eta_seconds = ${eta}, heartbeat_at = ${clock.now()}`,
            )
            if (!ours) child.kill('SIGKILL')
          })
        } else if (m.kind === 'failed') {
          write(() => finish('failed', { code: m.code, message: m.message }))
        } else {
          // The hashes, the state `done` and the audit entry are one transaction: whoever sees the job done
          // also sees its hashes and the entry that says who proved it.
          write(() =>
            db
              .transaction()
              .execute(async (tx) => {
                await record(tx, id, m)
                if (!(await update(id, finishing('done'), tx))) return
                await appendAudit(tx, {
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
              })
              .then(forget, () =>
                finish('failed', {
                  code: 'ZK_RECORD_REFUSED',
                  message: `Round ${id} changed while it was being proved (published?); its zk hashes were not recorded.`,
                }),
              ),
          )
        }
      })
      child.on('exit', () => {
        // A child that dies without reporting (killed, out of memory) leaves its finished batch files behind.
        if (!reported && children.get(id) === child) {
          write(() =>
            finish('failed', {
              code: 'ZK_PROVING_DIED',
              message:
                'The proving process stopped before it finished; start it again to resume from the proved batches.',
            }),
          )
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
      return present((await row(id))!)
    },

    /**
     * Stops the running job of round `id`, whichever server process runs it: this one kills its child now,
     * another one at its next heartbeat. Finished batch files stay for the next start. Audit-logged.
     */
    async stop(id: string, actor: string): Promise<ZkJobProgress> {
      // The state and its audit entry are one transaction; the child is killed once both are written.
      const was = await db.transaction().execute(async (tx) => {
        const stopped = await sql<{ owner: string; done: number; total: number }>`
          update por_zk_jobs set state = 'stopped', stopped_by = ${actor}, finished_at = ${clock.now()},
            eta_seconds = null
          where round_id = ${id} and state = 'running'
          returning owner, done, total
        `.execute(tx)
        const found = stopped.rows[0]
        if (!found) throw errors.notFound(`A proving job of round ${id}`)
        await appendAudit(tx, {
          actor,
          action: 'por.zk_proving_stopped',
          target: `round:${id}`,
          details: { done: found.done, total: found.total },
        })
        return found
      })
      const child = children.get(id)
      if (was.owner === me && child) {
        children.delete(id)
        child.kill('SIGKILL')
      }
      return present((await row(id))!)
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

    /**
     * Server shutdown: kills every running child and marks its job interrupted at once (a server killed without
     * this shows its job interrupted once `recover` finds it gone); the next start resumes from the proved batches.
     */
    async close(): Promise<void> {
      clearInterval(heartbeat)
      const ids = [...children.keys()]
      for (const child of children.values()) child.kill('SIGKILL')
      children.clear()
      for (const id of ids) {
        await db.transaction().execute(async (tx) => {
          const marked = await sql`
            update por_zk_jobs set state = 'interrupted', finished_at = ${clock.now()}, eta_seconds = null,
              error_code = ${INTERRUPTED.code}, error_message = ${INTERRUPTED.message}
            where round_id = ${id} and owner = ${me} and state = 'running'
          `.execute(tx)
          if (Number(marked.numAffectedRows ?? 0) === 0) return
          await appendAudit(tx, {
            actor: 'system',
            action: 'por.zk_proving_interrupted',
            target: `round:${id}`,
            details: { owner: me, reason: 'server shutdown' },
          })
        })
      }
    },
  }
}

export type ZkProving = ReturnType<typeof createZkProving>
