/**
 * @module Composes Bulwark: the platform's HTTP server, then each domain's routes (one line each).
 * `buildApp` does not listen; main.ts does, tests use `app.inject()`.
 */
import type { FastifyServerOptions } from 'fastify'
import { accountsDeps, createSignInGate, mailerFor } from './accounts/index.ts'
import { accountsRoutes } from './accounts/routes.ts'
import { guardRoutes } from './guard/routes.ts'
import { type Clock, systemClock } from './platform/clock.ts'
import type { Config } from './platform/config.ts'
import type { Db } from './platform/db/index.ts'
import { createEventBus, type EventBus } from './platform/events.ts'
import { createHttpServer } from './platform/http/server.ts'
import { installWeb } from './platform/http/web.ts'
import { createSessions } from './platform/identity/sessions.ts'
import type { SignInGate } from './platform/identity/sign-in.ts'
import type { Mailer } from './platform/mail.ts'
import { p2pRoutes } from './p2p/routes.ts'
import { platformRoutes } from './platform/routes.ts'
import { porRoutes } from './por/routes.ts'
import { riskRoutes } from './risk/routes.ts'

export type AppDeps = {
  config: Config
  db: Db
  clock?: Clock
  events?: EventBus
  /** Outgoing mail; default: SMTP_URL through nodemailer, else the outbox table. */
  mailer?: Mailer
  logger?: FastifyServerOptions['logger']
  /** Directory of the built web app; not served when absent (API-only tests). */
  webDir?: string
}

/** Everything a domain's routes plugin receives. */
export type DomainDeps = Required<Pick<AppDeps, 'config' | 'db' | 'clock' | 'events' | 'mailer'>> & {
  sessions: ReturnType<typeof createSessions>
  /** Account protection's steps inside sign-in (2FA, device approval). */
  signInGate?: SignInGate
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
  const mailer = deps.mailer ?? mailerFor(deps.db, clock, deps.config)
  const domain: DomainDeps = { config: deps.config, db: deps.db, clock, events, sessions, mailer }
  domain.signInGate = createSignInGate(accountsDeps(domain)).gate

  await app.register(platformRoutes, domain)
  await app.register(accountsRoutes, domain)
  await app.register(porRoutes, domain)
  await app.register(riskRoutes, domain)
  await app.register(p2pRoutes, domain)
  await app.register(guardRoutes, domain)

  await installWeb(app, deps.webDir)
  await app.ready()
  return app
}
export type App = Awaited<ReturnType<typeof buildApp>>
