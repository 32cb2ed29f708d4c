/**
 * @module What the account-protection services need, passed in as one object: database, clock,
 * event bus, configuration, mailer, sessions, the sealer for stored secrets and the live alert hub.
 */
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import type { EventBus } from '../platform/events.ts'
import type { Sessions } from '../platform/identity/sessions.ts'
import type { Mailer } from '../platform/mail.ts'
import type { AlertHub } from './alert-hub.ts'
import type { Sealer } from './sealing.ts'

export type AccountsDeps = {
  db: Db
  clock: Clock
  events: EventBus
  config: Config
  mailer: Mailer
  sessions: Sessions
  sealer: Sealer
  hub: AlertHub
}

/** The base URL links in emails point to. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '')
}

export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000
