/**
 * @module Starts Bulwark: config -> database -> migrate -> demo seed -> app -> listen, then prints
 * where it runs, the demo logins on a demo install, and a warning when mail cannot leave.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from './app.ts'
import { DEMO_PASSWORD, DEMO_STAFF_TOTP_SECRET, demoLogins, seedDemoIfEmpty } from './demo/seed.ts'
import { startDataProtectionJobs } from './platform/backup/schedule.ts'
import { systemClock } from './platform/clock.ts'
import { type Config, ConfigError, loadConfig, productionSecretProblems } from './platform/config.ts'
import { describeDatabase, openConfiguredDatabase } from './platform/runtime.ts'
import { isDemoInstall, type MailOutboxAccess, mailOutboxAccess } from './platform/settings.ts'

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/web')

/**
 * What the start-up output says about mail and the demo: on a demo install the logins, the staff
 * TOTP secret and (without SMTP_URL) that mail is public; on any other install without SMTP_URL a
 * warning that mail stays in the staff-only outbox (Bulwark still starts: sign-up and device
 * approval mails wait there for staff), and why SEED_DEMO did not make it a demo.
 */
export function startupNotices(
  config: Pick<
    Config,
    'SEED_DEMO' | 'ACCOUNTS_SEALING_KEY' | 'IDENTITY_SEALING_KEY' | 'DATA_KEK' | 'DATA_KEK_FILE'
  >,
  install: { demo: boolean; outbox: MailOutboxAccess },
  url: string,
): { info: string[]; warnings: string[] } {
  const info: string[] = []
  const warnings: string[] = []
  if (install.demo) {
    if (install.outbox === 'public') {
      info.push(`Demo install: every email is public at ${url}/outbox. Do not use it for real accounts.`)
    }
    info.push(`Demo logins (password for all: ${DEMO_PASSWORD}):`)
    for (const login of demoLogins()) info.push(`  ${login.email.padEnd(34)} ${login.role ?? 'customer'}`)
    info.push(
      `Staff also need the authenticator code: TOTP secret ${DEMO_STAFF_TOTP_SECRET} (add it to an app),`,
      '  or run `npx bulwark demo totp` for the current code.',
    )
  }
  if (install.outbox === 'staff') {
    warnings.push(
      'WARNING: SMTP_URL is not set, so no email leaves this server. Messages (sign-up confirmations, device approvals, password resets) wait in the staff-only outbox (/staff/outbox, permission mail.outbox.read). Set SMTP_URL to deliver them.',
    )
  }
  // Without these keys, secrets at rest are sealed with a key derived from the public EXCHANGE_ID:
  // fine for a demo, a database dump away from disclosure anywhere else.
  if (!install.demo) {
    const derived = (
      [
        ['ACCOUNTS_SEALING_KEY', 'TOTP seeds and API secrets'],
        ['IDENTITY_SEALING_KEY', 'identity documents and selfies'],
      ] as const
    ).filter(([name]) => !config[name])
    for (const [name, what] of derived) {
      warnings.push(
        `WARNING: ${name} is not set, so ${what} are sealed with a key derived from the public EXCHANGE_ID: anyone with a copy of the database can open them. Set it to 64 hex digits (openssl rand -hex 32), kept outside the database and DATA_DIR.`,
      )
    }
    if (!config.DATA_KEK && !config.DATA_KEK_FILE) {
      warnings.push(
        "WARNING: DATA_KEK is not set, so people's emails and names, identity fields, old IP addresses and the audit log's personal values are stored in plain text. Set DATA_KEK to 64 hex digits (openssl rand -hex 32), or DATA_KEK_FILE to a file holding them, kept outside the database and DATA_DIR; then run bulwark data encrypt-existing.",
      )
    }
  }
  if (!install.demo && config.SEED_DEMO) {
    warnings.push(
      'SEED_DEMO is on, but this database was not created by the demo seed, so it is not a demo: no demo logins and no public outbox.',
    )
  }
  return { info, warnings }
}

export async function serve(config: Config) {
  const started = performance.now()
  const missingSecrets = productionSecretProblems(config)
  if (missingSecrets.length > 0) throw new ConfigError(missingSecrets, 'SEALING_KEY_REQUIRED')
  const handle = await openConfiguredDatabase(config)
  const seeded = config.SEED_DEMO
    ? await seedDemoIfEmpty({ db: handle.db, clock: systemClock, config, dataDir: config.DATA_DIR })
    : false
  const app = await buildApp({ config, db: handle.db, webDir })
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  const stopDataProtection = startDataProtectionJobs({
    db: handle.db,
    config,
    clock: systemClock,
    log: app.log,
  })
  const shown = address.replace('127.0.0.1', 'localhost')
  const install = {
    demo: config.SEED_DEMO && (await isDemoInstall(handle.db)),
    outbox: await mailOutboxAccess(handle.db, config),
  }
  const notices = startupNotices(config, install, shown)
  const lines = [
    '',
    `Bulwark is running at ${shown}  (API docs: ${shown}/docs)`,
    `Database: ${describeDatabase(config)}${seeded ? ' (demo data seeded)' : ''}; ready in ${Math.round(performance.now() - started)} ms`,
    ...notices.info,
  ]
  process.stdout.write(`${lines.join('\n')}\n\n`)
  for (const warning of notices.warnings) process.stderr.write(`${warning}\n`)

  const shutdown = async () => {
    stopDataProtection()
    await app.close()
    await handle.close()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  return app
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await serve(loadConfig())
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
}
