/**
 * Scale-out on loopback with a real nats-server (JetStream): two workers consume four partitions,
 * one is killed (SIGKILL) mid-stream and restarted from its checkpoint. Every event gets exactly one
 * decision, and each decision equals what a single uninterrupted engine decides for that partition.
 * Needs Debian's nats-server: this test fails (never skips) when it is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario } from '../../eval/scenarios/generate.ts'
import { loadBehaviourModel } from './behaviour.ts'
import { createRiskEngine } from './engine.ts'
import { loadRuleFile } from './rules.ts'
import { DECISIONS_STREAM, ensureStreams, partitionOf, publishEvents } from './scaleout.ts'
import type { Decision } from './schema.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const PARTITIONS = 4
const dir = mkdtempSync(join(tmpdir(), 'risk-nats-'))
let server: ChildProcess | undefined
let nc: NatsConnection
let url: string
const workers: ChildProcess[] = []

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
    s.on('error', rej)
  })
}

function startWorker(partitions: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      'src/cli/main.ts',
      'risk',
      'worker',
      '--nats',
      url,
      '--partitions',
      partitions,
      '--checkpoint',
      join(dir, 'checkpoints'),
      '--every',
      '50',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  workers.push(child)
  return child
}

async function decisionsStored(): Promise<number> {
  const jsm = await jetstreamManager(nc)
  return (await jsm.streams.info(DECISIONS_STREAM)).state.messages
}

async function until(what: string, check: () => Promise<boolean>, ms = 90_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(async () => {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error('nats-server is not installed; install it with: apt-get install -y nats-server')
  }
  const port = await freePort()
  url = `nats://127.0.0.1:${port}`
  server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'js')], {
    stdio: 'ignore',
  })
  await until(
    'nats-server',
    async () => {
      try {
        nc = await connect({ servers: url })
        return true
      } catch {
        return false
      }
    },
    15_000,
  )
  await ensureStreams(nc)
}, 30_000)

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL')
  await nc?.close()
  server?.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

describe('risk scale-out over NATS JetStream', () => {
  it('loses no event and scores none twice when a worker is killed mid-stream and restarted', async () => {
    const events = generateScenario({
      seed: 5,
      normalAccounts: 150,
      takeovers: 5,
      mules: 2,
      days: 20,
      warmupDays: 10,
    }).events.slice(0, 6000)
    await publishEvents(nc, events, PARTITIONS)
    // publishing the same events again stores nothing new: the producer side is idempotent too
    await publishEvents(nc, events.slice(0, 100), PARTITIONS)

    startWorker('0,2')
    let b = startWorker('1,3')
    await until('a third of the decisions', async () => (await decisionsStored()) >= events.length / 3)
    b.kill('SIGKILL')
    await new Promise((r) => b.once('exit', r))
    const atKill = await decisionsStored()
    expect(atKill).toBeLessThan(events.length)
    const bEvents = events.filter((e) => partitionOf(e, PARTITIONS) % 2 === 1).length
    const checkpointed = [1, 3]
      .map((p) => join(dir, 'checkpoints', `partition-${p}.json`))
      .filter((f) => existsSync(f))
      .reduce((a, f) => a + (JSON.parse(readFileSync(f, 'utf8')) as { processed: number }).processed, 0)
    expect(checkpointed).toBeLessThan(bEvents)

    b = startWorker('1,3')
    await until('every decision', async () => (await decisionsStored()) >= events.length)
    await new Promise((r) => setTimeout(r, 500)) // a duplicate, if any, would land now
    expect(await decisionsStored()).toBe(events.length)

    // read every decision back
    const js = jetstream(nc)
    const consumer = await js.consumers.get(DECISIONS_STREAM, { deliver_policy: DeliverPolicy.All })
    const got = new Map<string, Decision>()
    const iter = await consumer.fetch({ max_messages: events.length, expires: 10_000 })
    for await (const m of iter) {
      const d = m.json<Decision>()
      expect(got.has(d.eventId)).toBe(false)
      got.set(d.eventId, d)
      if (got.size === events.length) break
    }
    expect(got.size).toBe(events.length)

    // the same decisions as one uninterrupted engine per partition
    const rules = loadRuleFile(join(ROOT, 'src/risk/default-rules.json'))
    const behaviour = loadBehaviourModel(
      JSON.parse(readFileSync(join(ROOT, 'models/behaviour.json'), 'utf8')),
    )
    const engines = Array.from({ length: PARTITIONS }, () => createRiskEngine({ rules, behaviour }))
    let mismatches = 0
    let flagged = 0
    for (const e of events) {
      const want = engines[partitionOf(e, PARTITIONS)]!.ingest(e)
      const have = got.get(e.id)!
      if (want.decision !== have.decision || want.score !== have.score) mismatches++
      if (want.decision !== 'allow') flagged++
    }
    expect(mismatches).toBe(0)
    expect(flagged).toBeGreaterThan(0)
  }, 180_000)
})
