/**
 * @module Builds the full AccountsDeps from what a caller has (a domain's DomainDeps, or just
 * db + clock + config), once per app (keyed by its sessions service, which buildApp creates once;
 * else by the database handle), so every service of one app shares one alert hub, mailer and sealer.
 */
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import { createEventBus, type EventBus } from '../platform/events.ts'
import { createSessions, type Sessions } from '../platform/identity/sessions.ts'
import type { SignInRisk } from '../platform/identity/sign-in.ts'
import { createMailer, type Mailer } from '../platform/mail.ts'
import { createAlertHub } from './alert-hub.ts'
import type { AccountsDeps } from './context.ts'
import { antiPhishingCodeForEmail } from './repo.ts'
import { createSealer } from './sealing.ts'

export type BaseDeps = {
  db: Db
  clock: Clock
  config: Config
  events?: EventBus
  mailer?: Mailer
  sessions?: Sessions
  risk?: SignInRisk
}

const cache = new WeakMap<object, AccountsDeps>()

/** The anti-phishing lookup the mailer needs, for buildApp's default mailer. */
export function mailerFor(db: Db, clock: Clock, config: Config): Mailer {
  return createMailer({
    config,
    db,
    clock,
    antiPhishingCodeFor: (email) => antiPhishingCodeForEmail(db, email),
  })
}

export function accountsDeps(base: BaseDeps): AccountsDeps {
  const key: object = base.sessions ?? base.db
  const known = cache.get(key)
  if (known) return known
  const deps: AccountsDeps = {
    db: base.db,
    clock: base.clock,
    config: base.config,
    events: base.events ?? createEventBus(),
    mailer: base.mailer ?? mailerFor(base.db, base.clock, base.config),
    sessions:
      base.sessions ??
      createSessions({
        db: base.db,
        clock: base.clock,
        policy: {
          idleMinutes: base.config.SESSION_IDLE_MINUTES,
          absoluteHours: base.config.SESSION_ABSOLUTE_HOURS,
        },
      }),
    sealer: createSealer(base.config.ACCOUNTS_SEALING_KEY, base.config.EXCHANGE_ID),
    hub: createAlertHub(),
    ...(base.risk ? { risk: base.risk } : {}),
  }
  cache.set(key, deps)
  return deps
}
