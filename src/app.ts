/**
 * @module Composes Bulwark: the platform's HTTP server, then each domain's routes (one line each).
 * `buildApp` does not listen; main.ts does, tests use `app.inject()`.
 */
import type { FastifyServerOptions } from 'fastify'
import { type Clock, systemClock } from './platform/clock.ts'
import type { Config } from './platform/config.ts'
import type { Db } from './platform/db/index.ts'
import { createEventBus, type EventBus } from './platform/events.ts'
import { createHttpServer } from './platform/http/server.ts'
import { installWeb } from './platform/http/web.ts'
import { createSessions } from './platform/identity/sessions.ts'
import { platformRoutes } from './platform/routes.ts'

export type AppDeps = {
  config: Config
  db: Db
  clock?: Clock
  events?: EventBus
  logger?: FastifyServerOptions['logger']
  /** Directory of the built web app; not served when absent (API-only tests). */
  webDir?: string
}

/** Everything a domain's routes plugin receives. */
export type DomainDeps = Required<Pick<AppDeps, 'config' | 'db' | 'clock' | 'events'>> & {
  sessions: ReturnType<typeof createSessions>
}

export async function buildApp(deps: AppDeps) {
  const clock = deps.clock ?? systemClock
  const events = deps.events ?? createEventBus()
  const sessions = createSessions({
    db: deps.db,
    clock,
    policy: {
      idleMinutes: deps.config.SESSION_IDLE_MINUTES,
      absoluteHours: deps.config.SESSION_ABSOLUTE_HOURS,
    },
  })
  const app = await createHttpServer({
    config: deps.config,
    sessions,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  })
  const domain: DomainDeps = { config: deps.config, db: deps.db, clock, events, sessions }

  await app.register(platformRoutes, domain)

  await installWeb(app, deps.webDir)
  await app.ready()
  return app
}
export type App = Awaited<ReturnType<typeof buildApp>>
