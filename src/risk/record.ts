/**
 * @module Where risk events are stored: `risk_events`, one row per event id. The service's batch
 * ingest and the decision points both write through `storeRiskEvents`, so an event has one stored
 * form whoever wrote it. `recordAssessedEvent` stores an event the engine already decided
 * synchronously at a decision point (the outflow gate asks `assess()` before a withdrawal exists).
 * It is written in the caller's transaction, so the event is in `risk_events` exactly when the
 * withdrawal it describes is: `warmUp()` replays it after a restart (a deploy, a crash), and the
 * engine's windows (withdrawal velocity, baselines, new counterparties) carry on instead of
 * starting from zero.
 */
import type { Transaction } from 'kysely'
import type { Database, Db } from '../platform/db/index.ts'
import { type RiskEvent, riskEventToJson } from './schema.ts'

/** Inserts `events`, leaving ids already stored alone; returns the ids that were new. */
export async function storeRiskEvents(
  executor: Db | Transaction<Database>,
  events: readonly RiskEvent[],
): Promise<Set<string>> {
  if (events.length === 0) return new Set()
  const inserted = await executor
    .insertInto('risk_events')
    .values(
      events.map((event) => ({
        id: event.id,
        at: new Date(event.at),
        account: event.account ?? null,
        type: event.type,
        body: JSON.stringify(riskEventToJson(event)),
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute()
  return new Set(inserted.map((row) => row.id))
}

/** Stores one event the engine has already scored at a decision point; an id already stored is left alone. */
export async function recordAssessedEvent(
  executor: Db | Transaction<Database>,
  event: RiskEvent,
): Promise<void> {
  await storeRiskEvents(executor, [event])
}
