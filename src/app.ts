/**
 * @module Composes Bulwark: the platform's HTTP server, then each domain's routes (one line each).
 * `buildApp` does not listen; main.ts does, tests use `app.inject()`.
 */
import type { FastifyServerOptions } from 'fastify'
import {
  accountsDeps,
  authenticateApiRequest,
  createSignInGate,
  mailerFor,
  secondFactors,
} from './accounts/index.ts'
import { accountsRoutes } from './accounts/routes.ts'
import { travelRuleRoutes } from './compliance/routes.ts'
import { insuranceRoutes } from './custody/insurance-routes.ts'
import { custodyRoutes } from './custody/routes.ts'
import { withdrawalRoutes } from './custody/withdrawal-routes.ts'
import { guardRoutes } from './guard/routes.ts'
import { identityRoutes } from './identity/routes.ts'
import { opsRoutes } from './ops/routes.ts'
import { installTrainingGate } from './ops/training/gate.ts'
import { trainingRoutes } from './ops/training/routes.ts'
import { vendorRoutes } from './ops/vendors/routes.ts'
import { p2pRoutes } from './p2p/routes.ts'
import { sealAuditPersonalData } from './platform/audit-personal.ts'
import { type Clock, systemClock } from './platform/clock.ts'
import type { Config } from './platform/config.ts'
import { loadKek } from './platform/crypto/field-encryption.ts'
import type { Db } from './platform/db/index.ts'
import type { DomainDeps } from './platform/deps.ts'
import { createEventBus, type EventBus } from './platform/events.ts'
import { installApiKeyAuth } from './platform/http/api-keys.ts'
import { installStaffSecondFactorCheck } from './platform/http/auth.ts'
import { installFrozenAccountGuard } from './platform/http/frozen.ts'
import { createHttpServer } from './platform/http/server.ts'
import { installWeb } from './platform/http/web.ts'
import { withPersonalFields } from './platform/identity/personal-fields.ts'
import { createSessions } from './platform/identity/sessions.ts'
import type { Mailer } from './platform/mail.ts'
import { platformRoutes } from './platform/routes.ts'
import { porRoutes } from './por/routes.ts'
import { connectRiskToEventBus } from './risk/platform-link.ts'
import { riskRoutes } from './risk/routes.ts'
import { createRiskService, type RiskService } from './risk/service.ts'

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
  /** The risk engine service; default: bundled rules and models, warmed up from stored history. */
  risk?: RiskService
}

export async function buildApp(appDeps: AppDeps) {
  // With a DATA_KEK, people's emails and names are sealed at rest, and every audit entry's personal
  // values as it is written (identity/personal-fields.ts, audit-personal.ts); every part gets this handle.
  const kek = loadKek(appDeps.config)
  const deps = { ...appDeps, db: await withPersonalFields(appDeps.db, kek) }
  sealAuditPersonalData(deps.db, kek)
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
  const risk = deps.risk ?? (await startRiskService(deps.db, clock))
  const domain: DomainDeps = { config: deps.config, db: deps.db, clock, events, sessions, mailer, risk }
  domain.signInGate = createSignInGate(accountsDeps(domain)).gate
  // Signed API keys are authorised from each matched route's declared `config.apiKey` (deny by
  // default); a frozen account may only read. Both apply to every route registered below.
  installApiKeyAuth(app, {
    authenticate: (request) => authenticateApiRequest(accountsDeps(domain), request),
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
  })
  installFrozenAccountGuard(app)
  // Staff routes answer only staff members with a second factor (requireStaff).
  installStaffSecondFactorCheck(
    app,
    async (userId) => (await secondFactors(accountsDeps(domain), userId)).any,
  )

  installTrainingGate(app, domain) // before any route: TRAINING_GATE=true refuses overdue staff on sensitive routes
  await app.register(platformRoutes, domain)
  await app.register(accountsRoutes, domain)
  await app.register(porRoutes, domain)
  await app.register(riskRoutes, domain)
  await app.register(p2pRoutes, { ...domain, p2pRisk: risk.engine })
  await app.register(guardRoutes, domain)
  await app.register(custodyRoutes, domain)
  await app.register(withdrawalRoutes, domain)
  await app.register(insuranceRoutes, domain)
  await app.register(opsRoutes, domain)
  await app.register(vendorRoutes, domain)
  await app.register(trainingRoutes, domain)
  await app.register(identityRoutes, domain)
  await app.register(travelRuleRoutes, domain)

  const riskLink = connectRiskToEventBus({ risk, events, log: app.log })
  app.addHook('onClose', async () => {
    riskLink.unsubscribe()
    await riskLink.drain()
  })

  await installWeb(app, deps.webDir)
  await app.ready()
  return app
}
export type App = Awaited<ReturnType<typeof buildApp>>

/** A risk service with the newest enabled rules and state rebuilt from the last 30 days. */
async function startRiskService(db: Db, clock: Clock): Promise<RiskService> {
  const risk = createRiskService({ db, clock })
  await risk.loadEnabledRules()
  await risk.warmUp(30)
  return risk
}
