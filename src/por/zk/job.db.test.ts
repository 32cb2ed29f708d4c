import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.ts'
import { buildApp } from '../../app.ts'
import { runCli } from '../../cli/main.ts'
import { createZkProving, type ZkJobProgress, type ZkRoundRecord } from './job.ts'
import { verifyZkRound } from './round.ts'
import { INSECURE_FILE_NAME, insecureTestSetup } from './setup.ts'

// 6 users in batches of 2: three proofs, so a job stopped after the first has work left to resume.
const dataDir = mkdtempSync(join(tmpdir(), 'por-zk-job-'))
const setupFile = join(tmpdir(), 'bulwark-zk-setup-4097', INSECURE_FILE_NAME)
let t: TestApp
type Staff = Awaited<ReturnType<TestApp['createStaff']>>
let builder: Staff
let auditor: Staff

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Server = Pick<TestApp['app'], 'inject'>

async function progress(
  round = '2026-12',
  server: Server = t.app,
): Promise<{ progress: ZkJobProgress | null; recorded: ZkRoundRecord | null }> {
  const res = await server.inject({
    url: `/api/por/staff/rounds/${round}/zk/progress`,
    headers: auditor.session.headers,
  })
  expect(res.statusCode).toBe(200)
  return res.json()
}

async function waitFor(
  ok: (p: ZkJobProgress) => boolean,
  timeoutMs = 400_000,
  round = '2026-12',
  server: Server = t.app,
): Promise<ZkJobProgress> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const p = (await progress(round, server)).progress
    if (p && ok(p)) return p
    if (p && p.state !== 'running') throw new Error(`job ended: ${JSON.stringify(p)}`)
    if (Date.now() > until) throw new Error(`timed out: ${JSON.stringify(p)}`)
    await sleep(250)
  }
}

const prove = (
  who: Staff,
  body: object = { batchSize: 2, cores: 1 },
  round = '2026-12',
  server: Server = t.app,
) =>
  server.inject({
    method: 'POST',
    url: `/api/por/staff/rounds/${round}/zk/prove`,
    headers: who.session.headers,
    payload: body,
  })

/** Creates and builds a round of 6 users × 2 assets through the routes. */
async function buildRound(id: string) {
  const put = (url: string, body: string) =>
    t.app.inject({
      method: 'PUT',
      url,
      headers: { ...builder.session.headers, 'content-type': 'text/csv' },
      body,
    })
  await t.app.inject({
    method: 'POST',
    url: '/api/por/staff/rounds',
    headers: builder.session.headers,
    payload: { id },
  })
  await put(
    `/api/por/staff/rounds/${id}/files/assets`,
    'symbol,decimals,price_usd,haircut\nBTC,8,1,1\nUSDT,6,1,1\n',
  )
  const rows = Array.from({ length: 6 }, (_, i) => `user-${i},0.${i + 1},${i * 10}`).join('\n')
  await put(`/api/por/staff/rounds/${id}/files/liabilities`, `user_id,BTC,USDT\n${rows}\n`)
  const built = await t.app.inject({
    method: 'POST',
    url: `/api/por/staff/rounds/${id}/build`,
    headers: builder.session.headers,
  })
  expect(built.statusCode).toBe(200)
}

/** The pid of a proving child of process `parent` (read from /proc: Linux), or undefined. */
function provingChildOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The parent pid is the 4th field of /proc/<pid>/stat, after the command name in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('--bulwark-zk-prove'))
        return Number(entry)
    } catch {
      // The process ended while being read.
    }
  }
  return undefined
}

/** Another server process on the same database and data folder (a restarted server, or a second one). */
const otherServer = () => buildApp({ config: t.config, db: t.db, clock: t.clock, logger: false })

beforeAll(async () => {
  insecureTestSetup(4097)
  t = await createTestApp({ DATA_DIR: dataDir, EXCHANGE_ID: 'acme', POR_ZK_SETUP_FILE: setupFile })
  builder = await t.createStaff('custody_approver')
  auditor = await t.createStaff('auditor')
  await buildRound('2026-12')
}, 300_000)
afterAll(async () => {
  await t.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('proving a round as a server job', () => {
  it('refuses staff without the prove permission', async () => {
    const res = await prove(auditor)
    expect(res.statusCode).toBe(403)
  })

  it('proves in a child process with progress, and a stopped job resumes without proving its finished batches again', async () => {
    const started = await prove(builder)
    expect(started.statusCode).toBe(200)
    expect(started.json().state).toBe('running')
    // The server keeps answering while the child proves.
    const again = await prove(builder)
    expect(again.json().code).toBe('ZK_PROVING_RUNNING')

    const first = await waitFor((p) => p.done >= 1)
    expect(first.total).toBe(3)
    expect(first.usersPerSecond).toBeGreaterThan(0)
    expect(first.etaSeconds).not.toBeNull()
    const stopped = await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds/2026-12/zk/stop',
      headers: builder.session.headers,
    })
    expect(stopped.statusCode).toBe(200)
    expect(stopped.json().state).toBe('stopped')
    const doneBeforeStop = stopped.json().done as number

    const resumed = await prove(builder)
    expect(resumed.statusCode).toBe(200)
    const finished = await waitFor((p) => p.state === 'done')
    expect(finished.reused).toBeGreaterThanOrEqual(doneBeforeStop)
    expect(finished.reused).toBeGreaterThanOrEqual(1)
    expect(finished).toMatchObject({ done: 3, total: 3, etaSeconds: 0 })

    const { recorded } = await progress()
    const manifest = JSON.parse(
      readFileSync(join(dataDir, 'por/rounds/2026-12/tree/zk/manifest.json'), 'utf8'),
    )
    expect(recorded).toMatchObject({
      circuitHash: manifest.circuitHash,
      vkHash: manifest.vkHash,
      setupHash: manifest.setupHash,
      setupInsecure: true,
      topRoot: manifest.topRoot,
      batchSize: 2,
      batchCount: 3,
      leafCount: 6,
    })
    const actions = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('target', '=', 'round:2026-12')
      .where('action', 'like', 'por.zk_%')
      .orderBy('seq')
      .execute()
    expect(actions.map((a) => a.action)).toEqual([
      'por.zk_proving_started',
      'por.zk_proving_stopped',
      'por.zk_proving_started',
      'por.zk_proving_finished',
    ])
    expect(actions.every((a) => a.actor === `staff:${builder.user.id}`)).toBe(true)
  }, 900_000)

  it('publishes nothing of the round before it is published', async () => {
    const res = await t.app.inject({ url: '/api/por/rounds/2026-12/zk' })
    expect(res.statusCode).toBe(404)
  })
})

describe('the proving job is kept in the database', () => {
  const round = '2026-12-r'
  beforeAll(() => buildRound(round), 300_000)

  it('shows a job interrupted by a server restart, and resuming on the restarted server continues from the proved batches', async () => {
    const first = await otherServer()
    let firstClosed = false
    let restarted: Awaited<ReturnType<typeof otherServer>> | undefined
    try {
      expect((await prove(builder, undefined, round, first)).statusCode).toBe(200)
      await waitFor((p) => p.done >= 1, 400_000, round, first)
      // Shutting the server down kills its proving child mid-job.
      await first.close()
      firstClosed = true
      restarted = await otherServer()
      const shown = (await progress(round, restarted)).progress
      expect(shown).toMatchObject({
        state: 'interrupted',
        startedBy: `staff:${builder.user.id}`,
        error: { code: 'ZK_PROVING_INTERRUPTED' },
      })
      expect(shown?.done).toBeGreaterThanOrEqual(1)
      expect(shown?.error?.message).toMatch(/resume proving/)

      expect((await prove(builder, undefined, round, restarted)).statusCode).toBe(200)
      const finished = await waitFor((p) => p.state === 'done', 400_000, round, restarted)
      expect(finished.reused).toBeGreaterThanOrEqual(1)
      expect(finished).toMatchObject({ done: 3, total: 3, error: null, stoppedBy: null })
      const actions = await t.db
        .selectFrom('audit_log')
        .select('action')
        .where('target', '=', `round:${round}`)
        .where('action', 'like', 'por.zk_%')
        .orderBy('seq')
        .execute()
      expect(actions.map((a) => a.action)).toEqual([
        'por.zk_proving_started',
        'por.zk_proving_interrupted',
        'por.zk_proving_started',
        'por.zk_proving_finished',
      ])
    } finally {
      if (!firstClosed) await first.close()
      await restarted?.close()
    }
  }, 900_000)

  it('shows a job whose server was killed (kill -9) as interrupted, once its process is gone', async () => {
    // A server killed with kill -9 runs no shutdown code: its job stays `running` under its name. Here the row
    // is left as such a server leaves it, named after a process of this host that has exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await sql`
      update por_zk_jobs set state = 'running', finished_at = null, owner = ${`${hostname()}:${dead}:0`},
        heartbeat_at = ${t.clock.now()}
      where round_id = ${round}
    `.execute(t.db)
    const restarted = await otherServer()
    try {
      expect((await progress(round, restarted)).progress).toMatchObject({
        state: 'interrupted',
        error: { code: 'ZK_PROVING_INTERRUPTED' },
      })
    } finally {
      await restarted.close()
    }
  })

  it('leaves a job running on another live server alone, refuses a second one, and calls it interrupted once that server is silent', async () => {
    // Another server (another host) proves this round and has just said it is alive.
    await sql`
      update por_zk_jobs set state = 'running', finished_at = null, owner = 'other-host:4242:0',
        heartbeat_at = ${t.clock.now()}
      where round_id = ${round}
    `.execute(t.db)
    expect((await progress(round)).progress?.state).toBe('running')
    const here = await prove(builder, undefined, round)
    expect(here.statusCode).toBe(409)
    expect(here.json()).toMatchObject({ code: 'ZK_PROVING_RUNNING', message: expect.stringContaining(round) })
    const elsewhere = await prove(builder)
    expect(elsewhere.statusCode).toBe(409)
    expect(elsewhere.json().code).toBe('ZK_PROVING_RUNNING')

    t.clock.advance(31_000)
    expect((await progress(round)).progress?.state).toBe('interrupted')
  })

  it('starts one job when two staff start the same round at the same moment', async () => {
    const both = await Promise.all([prove(builder, undefined, round), prove(builder, undefined, round)])
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409])
    expect(both.find((r) => r.statusCode === 409)?.json().code).toBe('ZK_PROVING_RUNNING')
    const finished = await waitFor((p) => p.state === 'done', 400_000, round)
    expect(finished).toMatchObject({ done: 3, total: 3, reused: 3 })
  }, 600_000)
})

describe('the published round records its zk hashes', () => {
  let record: ZkRoundRecord
  const copy = join(dataDir, 'downloaded')

  beforeAll(async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds/2026-12/review',
      headers: auditor.session.headers,
    })
    const publisher = await t.createStaff('compliance_officer')
    const published = await t.app.inject({
      method: 'POST',
      url: '/api/por/staff/rounds/2026-12/publish',
      headers: publisher.session.headers,
    })
    expect(published.statusCode).toBe(200)
    const res = await t.app.inject({ url: '/api/por/rounds/2026-12/zk' })
    expect(res.statusCode).toBe(200)
    record = res.json()
    mkdirSync(copy, { recursive: true })
    for (const file of [
      'manifest.json',
      'vk.bin',
      'batch-000000.json',
      'batch-000001.json',
      'batch-000002.json',
    ]) {
      const r = await t.app.inject({ url: `/api/por/rounds/2026-12/zk/${file}` })
      writeFileSync(join(copy, file), r.rawPayload)
    }
  }, 120_000)

  it('publishes the circuit, verification-key and setup hashes and the top root', () => {
    expect(record.vkHash).toMatch(/^[0-9a-f]{64}$/)
    expect(record.setupHash).toMatch(/^[0-9a-f]{64}$/)
    expect(record.circuitHash).toMatch(/^[0-9a-f]{64}$/)
    expect(record.setupG2).toBe(
      readFileSync(join(tmpdir(), 'bulwark-zk-crs', record.setupHash, 'bn254_g2.dat')).toString('hex'),
    )
  })

  it('freezes them: a published round cannot be proved again', async () => {
    const res = await prove(builder)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('POR_ROUND_PUBLISHED')
  })

  it('verifies the downloaded proofs against the published hashes', async () => {
    const result = await verifyZkRound(
      copy,
      {
        exchangeId: 'acme',
        roundId: '2026-12',
        setupFile,
        setupHash: record.setupHash,
        vkHash: record.vkHash,
      },
      0,
    )
    expect(result.failed).toBeUndefined()
  }, 300_000)

  it('refuses a manifest whose verification key differs from the published one, naming verification-key', async () => {
    const other = 'ab'.repeat(32)
    const result = await verifyZkRound(
      copy,
      { exchangeId: 'acme', roundId: '2026-12', setupFile, setupHash: record.setupHash, vkHash: other },
      0,
    )
    expect(result.failed?.name).toBe('verification-key')
    expect(result.failed?.detail).toContain(`published ${other}`)
  }, 300_000)

  /** `bulwark por verify-zk` of batch 0 of the copied round, pinned to these hashes: its exit code and output. */
  async function verifyZkCli(setupHash: string, vkHash: string) {
    const out: string[] = []
    const pinned = ['--setup', setupFile, '--setup-hash', setupHash, '--vk-hash', vkHash]
    const code = await runCli(
      [
        'por',
        'verify-zk',
        '--zk',
        copy,
        '--exchange',
        'acme',
        '--round-id',
        '2026-12',
        ...pinned,
        '--batch',
        '0',
      ],
      { stdout: (s) => out.push(s), stderr: () => {}, env: {} },
    )
    return { code, out: out.join('') }
  }

  it('refuses a manifest whose setup hash differs from the published one, naming setup-hash (CLI)', async () => {
    const { code, out } = await verifyZkCli('cd'.repeat(32), record.vkHash)
    expect(code).toBe(1)
    expect(out).toMatch(/FAIL setup-hash/)
  }, 300_000)

  it('refuses a key other than the published one through the CLI, naming verification-key', async () => {
    const { code, out } = await verifyZkCli(record.setupHash, 'ef'.repeat(32))
    expect(code).toBe(1)
    expect(out).toMatch(/FAIL verification-key/)
  }, 300_000)
})

describe('the proving job refuses or reports what it cannot do', () => {
  const direct = (setup: string | undefined, dir: string, heartbeatMs?: number) =>
    createZkProving({
      db: t.db,
      clock: t.clock,
      dataDir: dir,
      exchangeId: 'acme',
      setupFile: setup,
      roundStatus: async () => 'built',
      ...(heartbeatMs ? { heartbeatMs } : {}),
    })

  /** Waits up to 30 s for this process's proving child to appear and returns its pid. */
  async function provingChild(): Promise<number> {
    let child: number | undefined
    for (const until = Date.now() + 30_000; !child && Date.now() < until; await sleep(20)) {
      child = provingChildOf(process.pid)
    }
    expect(child).toBeTruthy()
    return child!
  }

  it('refuses to start on a server without a setup file, saying which setting to set', async () => {
    await expect(
      direct(undefined, dataDir).start('2026-12', 'staff:x', { batchSize: 2, cores: 1 }),
    ).rejects.toMatchObject({
      code: 'ZK_SETUP_NOT_CONFIGURED',
      message: expect.stringContaining('POR_ZK_SETUP_FILE'),
    })
  })

  it('reports a proving process killed from outside (out of memory, kill -9) as failed, and a new start finishes the round', async () => {
    const round = '2026-12-k'
    await buildRound(round)
    const proving = direct(setupFile, dataDir)
    try {
      await proving.start(round, 'staff:x', { batchSize: 2, cores: 1 })
      // The proving child of this process, killed as the kernel's out-of-memory killer would.
      process.kill(await provingChild(), 'SIGKILL')
      const until = Date.now() + 60_000
      while ((await proving.progress(round))?.state === 'running' && Date.now() < until) await sleep(100)
      expect(await proving.progress(round)).toMatchObject({
        state: 'failed',
        error: { code: 'ZK_PROVING_DIED', message: expect.stringContaining('start it again') },
      })

      await proving.start(round, 'staff:x', { batchSize: 2, cores: 1 })
      while ((await proving.progress(round))?.state === 'running' && Date.now() < until + 240_000)
        await sleep(200)
      expect(await proving.progress(round)).toMatchObject({ state: 'done', done: 3, total: 3, error: null })
    } finally {
      await proving.close()
    }
  }, 400_000)

  it('kills its child at its next heartbeat or progress report when another server process stops the job', async () => {
    const round = '2026-12-h'
    await buildRound(round)
    const proving = direct(setupFile, dataDir, 100)
    const otherProcess = direct(setupFile, dataDir)
    try {
      await proving.start(round, 'staff:x', { batchSize: 2, cores: 1 })
      await provingChild()
      // The other server process marks the job stopped; it has no child to kill itself.
      expect(await otherProcess.stop(round, 'staff:y')).toMatchObject({
        state: 'stopped',
        stoppedBy: 'staff:y',
      })
      await expect.poll(() => provingChildOf(process.pid), { timeout: 10_000, interval: 20 }).toBeUndefined()
      // Killed, not finished: a child that ran to the end writes the round's manifest last. (The kill comes at
      // the next heartbeat, every 100 ms here, or progress report, whichever finds the job no longer ours
      // first; with both removed the child finishes and this fails.) The job stays stopped.
      await sleep(500)
      expect(existsSync(join(dataDir, 'por', 'rounds', round, 'tree', 'zk', 'manifest.json'))).toBe(false)
      expect(await proving.progress(round)).toMatchObject({ state: 'stopped', stoppedBy: 'staff:y' })
    } finally {
      await otherProcess.close()
      await proving.close()
    }
  }, 120_000)

  it('stops a proving child whose server process was killed (kill -9), before it finishes the round', async () => {
    const round = '2026-12-o'
    await buildRound(round)
    const roundDir = join(dataDir, 'por', 'rounds', round, 'tree')
    // A stand-in server: forks the proving child as job.ts does, hands it the task, says the child's pid, and is
    // killed with SIGKILL once the child reports its first progress.
    const server = `
      import { fork } from 'node:child_process'
      const child = fork(${JSON.stringify(fileURLToPath(new URL('./prove-child.ts', import.meta.url)))}, ['--bulwark-zk-prove'], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] })
      child.once('message', () => { console.log(child.pid); process.kill(process.pid, 'SIGKILL') })
      child.send(${JSON.stringify({ roundDir, exchangeId: 'acme', setupFile, batchSize: 2, cores: 1 })})
    `
    const ran = spawnSync(process.execPath, ['--input-type=module', '-e', server], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(ran.signal, ran.stderr).toBe('SIGKILL')
    const child = Number(ran.stdout.trim())
    expect(child).toBeGreaterThan(0)
    // Gone (or a zombie nobody has reaped yet): not running, not sleeping. It leaves when its IPC channel closes,
    // or at the latest when its next progress report finds the channel closed.
    const alive = () => {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8')
        return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
      } catch {
        return false
      }
    }
    await expect.poll(alive, { timeout: 10_000, interval: 50 }).toBe(false)
    await sleep(500)
    expect(existsSync(join(roundDir, 'zk', 'manifest.json'))).toBe(false)
  }, 180_000)

  it('reports a round that has no built tree as a failed job with its reason', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'por-zk-empty-'))
    const proving = direct(setupFile, empty)
    try {
      await proving.start('2026-12', 'staff:x', { batchSize: 2, cores: 1 })
      const until = Date.now() + 120_000
      while ((await proving.progress('2026-12'))?.state === 'running' && Date.now() < until) await sleep(200)
      expect(await proving.progress('2026-12')).toMatchObject({
        state: 'failed',
        error: { code: 'ZK_ROUND_NOT_BUILT' },
      })
    } finally {
      await proving.close()
      rmSync(empty, { recursive: true, force: true })
    }
  }, 180_000)
})
