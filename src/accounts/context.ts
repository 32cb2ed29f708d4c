/**
 * @module What the account-protection services need, passed in as one object: database, clock,
 * event bus, configuration, mailer, sessions, the sealer for stored secrets and the live alert hub.
 */

import { appendAudit } from '../platform/audit.ts'
import type { Clock } from '../platform/clock.ts'
import type { Config } from '../platform/config.ts'
import type { Db } from '../platform/db/index.ts'
import type { EventBus } from '../platform/events.ts'
import type { Sessions } from '../platform/identity/sessions.ts'
import type { SignInRisk } from '../platform/identity/sign-in.ts'
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
  /** The risk engine, consulted when a sign-in completes (see platform/identity/sign-in.ts). */
  risk?: SignInRisk
}

/** The base URL links in emails point to. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '')
}

export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000

/**
 * Sends a mail without making the caller wait for the SMTP server, so an answer that must not
 * reveal whether an account exists takes the same time either way. A failure is recorded in the
 * audit log (the caller has already answered).
 */
export function sendInBackground(
  deps: Pick<AccountsDeps, 'mailer' | 'db'>,
  message: Parameters<Mailer['send']>[0],
): void {
  deps.mailer.send(message).catch((error: unknown) =>
    appendAudit(deps.db, {
      actor: 'system',
      action: 'accounts.mail_failed',
      target: '',
      details: {
        subject: message.subject,
        error: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      },
    }).catch(() => {
      // The audit log is unreachable too; nothing more can be done for this message.
    }),
  )
}
