/**
 * @module Account-protection routes, one file per feature under `routes/`: sign-up and emailed links,
 * the later sign-in steps, the Security center (password, email, anti-phishing code, 2FA, passkeys,
 * devices, whitelist and locks, alerts, API keys), education, support's unfreeze and the mail outbox.
 * App-wide API-key authentication and the frozen-account guard live in platform/http (see
 * `installApiKeyAuth` and `installAuth`), where every domain's routes get them.
 */
import type { FastifyInstance } from 'fastify'
import type { DomainDeps } from '../platform/deps.ts'
import { accountsDeps } from './deps.ts'
import { alertRoutes } from './routes/alerts.ts'
import { apiKeyRoutes } from './routes/api-keys.ts'
import { type AccountsRouteContext, typed } from './routes/context.ts'
import { deviceRoutes } from './routes/devices.ts'
import { educationRoutes } from './routes/education.ts'
import { outboxRoutes } from './routes/outbox.ts'
import { passkeyRoutes } from './routes/passkeys.ts'
import { reauthRoutes } from './routes/reauth.ts'
import { securityRoutes } from './routes/security.ts'
import { signInRoutes } from './routes/sign-in.ts'
import { signUpRoutes } from './routes/sign-up.ts'
import { supportRoutes } from './routes/support.ts'
import { twoFactorRoutes } from './routes/two-factor.ts'
import { whitelistRoutes } from './routes/whitelist.ts'
import { createSignInGate } from './sign-in-gate.ts'

export async function accountsRoutes(base: FastifyInstance, domain: DomainDeps) {
  const app = typed(base)
  const deps = accountsDeps(domain)
  const ctx: AccountsRouteContext = {
    config: domain.config,
    deps,
    flow: createSignInGate(deps),
    secure: domain.config.COOKIE_SECURE,
  }
  for (const routes of [
    signUpRoutes,
    signInRoutes,
    reauthRoutes,
    securityRoutes,
    twoFactorRoutes,
    passkeyRoutes,
    deviceRoutes,
    whitelistRoutes,
    alertRoutes,
    apiKeyRoutes,
    educationRoutes,
    supportRoutes,
    outboxRoutes,
  ]) {
    routes(app, ctx)
  }
}
