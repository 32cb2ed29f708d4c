/**
 * @module Stores an event the engine already decided synchronously at a decision point (the outflow
 * gate asks `assess()` before a withdrawal exists). Written in the caller's transaction, so the event
 * is in `risk_events` exactly when the withdrawal it describes is: `warmUp()` replays it after a
 * restart (a deploy, a crash), and the engine's windows (withdrawal velocity, baselines, new
 * counterparties) carry on instead of starting from zero. An id already stored is left alone.
 */
import type { Transaction } from 'kysely'
import type { Database, Db } from '../platform/db/index.ts'
import { type RiskEvent, riskEventToJson } from './schema.ts'

export async function recordAssessedEvent(
  executor: Db | Transaction<Database>,
  event: RiskEvent,
): Promise<void> {
  await executor
    .insertInto('risk_events')
    .values({
      id: event.id,
      at: new Date(event.at),
      account: event.account ?? null,
      type: event.type,
      body: JSON.stringify(riskEventToJson(event)),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}
