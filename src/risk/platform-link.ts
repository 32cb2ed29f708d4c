/**
 * @module Connects the risk engine to the platform's in-process event bus: every event the
 * domains publish (sign-ins, security changes, API keys, P2P orders…) that the risk schema knows
 * is stored and scored, and raises alerts for analysts. Events already decided synchronously at a
 * decision point (marked `riskAssessed`) are stored for the timeline but not scored twice.
 * Ingestion is serialised so events reach the engine in the order they were published.
 */
import type { EventBus, PlatformEvent } from '../platform/events.ts'
import { RISK_EVENT_TYPES, riskEventSchema } from './schema.ts'
import type { RiskService } from './service.ts'

export type RiskLinkLog = { warn(details: object, message: string): void }

const knownTypes: ReadonlySet<string> = new Set(RISK_EVENT_TYPES)

/** Subscribes `risk` to `events`; returns a function that waits for queued events (tests, shutdown). */
export function connectRiskToEventBus({
  risk,
  events,
  log,
}: {
  risk: RiskService
  events: EventBus
  log?: RiskLinkLog
}) {
  let queue: Promise<unknown> = Promise.resolve()
  const unsubscribe = events.subscribe((event: PlatformEvent) => {
    if (!knownTypes.has(event.type)) return
    const { riskAssessed, ...fields } = event
    const parsed = riskEventSchema.safeParse({ id: crypto.randomUUID(), ...fields, v: 1 })
    if (!parsed.success) {
      log?.warn(
        { type: event.type, issues: parsed.error.issues.length },
        'event does not match the risk schema',
      )
      return
    }
    queue = queue
      .then(() => risk.ingest([parsed.data], 'system', { audit: false, score: riskAssessed !== true }))
      .catch((error: unknown) => log?.warn({ type: event.type, err: error }, 'risk ingestion failed'))
  })
  return { unsubscribe, drain: () => queue }
}
