/**
 * @module What every domain's routes plugin receives from app.ts. It lives in platform so that a
 * domain imports its dependencies from below it, never from the composer (app.ts imports domains,
 * nothing imports app.ts).
 */

import type { RiskService } from '../risk/service.ts'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { Db } from './db/index.ts'
import type { EventBus } from './events.ts'
import type { Sessions } from './identity/sessions.ts'
import type { SignInGate } from './identity/sign-in.ts'
import type { Mailer } from './mail.ts'

/** Everything a domain's routes plugin receives. */
export type DomainDeps = {
  config: Config
  db: Db
  clock: Clock
  events: EventBus
  mailer: Mailer
  sessions: Sessions
  /** Account protection's steps inside sign-in (2FA, device approval). */
  signInGate?: SignInGate
  /** The risk engine: synchronous decisions at sign-in, outflows and P2P order placement. */
  risk: RiskService
}
