/**
 * @module Scale-out over NATS JetStream. Producers publish events to `risk.events.<partition>`
 * (partition = hash of the account, so one account's events stay in order on one partition);
 * workers own partitions and run one engine per partition. Every `checkpointEvery` events a
 * worker writes the partition's state with the stream sequence it has reached (atomically:
 * temp file + rename). A restarted worker restores that state and resumes right after that
 * sequence, so no event is lost; events between the checkpoint and the crash are replayed onto
 * the restored state, and their decisions are published with the event id as JetStream message
 * id, so the stream's duplicate window drops the second copy: each event has exactly one decision.
 * Needs nats-server with JetStream (`apt-get install -y nats-server`, run `nats-server -js`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { EngineSnapshot, RiskEngine } from './engine.ts'
import { parseRiskEvent, type RiskEvent, riskEventToJson } from './schema.ts'
import { hash32 } from './state.ts'

export const EVENTS_STREAM = 'RISK_EVENTS'
export const DECISIONS_STREAM = 'RISK_DECISIONS'
export const DECISIONS_SUBJECT = 'risk.decisions'

/** The partition of an event: by account, else by the paying address, else by id. */
export function partitionOf(event: RiskEvent, partitions: number): number {
  const key = event.account ?? (event.type === 'chain_tx' ? event.from : event.id)
  return hash32(key) % partitions
}

/** Creates the event and decision streams if missing (decision ids deduplicated for 10 minutes). */
export async function ensureStreams(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc)
  const want = [
    { name: EVENTS_STREAM, subjects: ['risk.events.*'], duplicate_window: 600_000_000_000 },
    { name: DECISIONS_STREAM, subjects: [DECISIONS_SUBJECT], duplicate_window: 600_000_000_000 },
  ]
  for (const s of want) {
    try {
      await jsm.streams.info(s.name)
    } catch {
      await jsm.streams.add(s)
    }
  }
}

/** Publishes events to their partitions (event id as message id: a re-sent event is stored once). */
export async function publishEvents(nc: NatsConnection, events: Iterable<RiskEvent>, partitions: number) {
  const js = jetstream(nc)
  let n = 0
  for (const e of events) {
    await js.publish(`risk.events.${partitionOf(e, partitions)}`, JSON.stringify(riskEventToJson(e)), {
      msgID: e.id,
    })
    n++
  }
  return n
}

type Checkpoint = { partition: number; lastSeq: number; processed: number; engine: EngineSnapshot }

function checkpointPath(dir: string, partition: number) {
  return join(dir, `partition-${partition}.json`)
}
function readCheckpoint(dir: string, partition: number): Checkpoint | undefined {
  try {
    return JSON.parse(readFileSync(checkpointPath(dir, partition), 'utf8')) as Checkpoint
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}
function writeCheckpoint(dir: string, c: Checkpoint) {
  const path = checkpointPath(dir, c.partition)
  writeFileSync(`${path}.tmp`, JSON.stringify(c))
  renameSync(`${path}.tmp`, path)
}

export type WorkerOptions = {
  nc: NatsConnection
  partitions: number[]
  checkpointDir: string
  /** Builds a partition's engine, from a checkpoint when there is one. */
  createEngine: (restore: EngineSnapshot | undefined) => RiskEngine
  checkpointEvery?: number
  /** Resolves to stop (a final checkpoint is written). */
  stop?: Promise<void>
  onDecision?: (partition: number, seq: number) => void
}

/**
 * Runs a worker over its partitions until `stop` resolves.
 * @example await runWorker({ nc, partitions: [0, 2], checkpointDir: 'data/risk', createEngine: (r) => createRiskEngine({ rules, restore: r }) })
 */
export async function runWorker(options: WorkerOptions) {
  mkdirSync(options.checkpointDir, { recursive: true })
  const js = jetstream(options.nc)
  const every = options.checkpointEvery ?? 1000
  const loops = options.partitions.map(async (partition) => {
    const cp = readCheckpoint(options.checkpointDir, partition)
    const engine = options.createEngine(cp?.engine)
    let lastSeq = cp?.lastSeq ?? 0
    let processed = cp?.processed ?? 0
    const consumer = await js.consumers.get(EVENTS_STREAM, {
      filter_subjects: `risk.events.${partition}`,
      ...(lastSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    })
    const messages = await consumer.consume()
    void options.stop?.then(() => messages.stop())
    for await (const m of messages) {
      const event = parseRiskEvent(m.json())
      const decision = engine.ingest(event)
      await js.publish(DECISIONS_SUBJECT, JSON.stringify({ ...decision, partition, seq: m.seq }), {
        msgID: event.id,
      })
      lastSeq = m.seq
      processed++
      options.onDecision?.(partition, m.seq)
      if (processed % every === 0)
        writeCheckpoint(options.checkpointDir, { partition, lastSeq, processed, engine: engine.snapshot() })
    }
    writeCheckpoint(options.checkpointDir, { partition, lastSeq, processed, engine: engine.snapshot() })
  })
  await Promise.all(loops)
}
