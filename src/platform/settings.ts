/**
 * @module Facts about this install that the database decides, never the environment alone. The one
 * fact so far: `demo_install`, written by the demo seed in the same transaction that creates the
 * demo people, so only a database the seed created from empty is a demo. A demo install without
 * SMTP_URL shows its mail outbox to anyone and the web app says so on every page; a database that
 * holds real accounts was never seeded and never gets a public outbox, whatever SEED_DEMO says.
 */
import type { Config } from './config.ts'
import type { Db } from './db/index.ts'

/** Records that the demo seed created this database; call inside the seed's transaction. */
export async function markDemoInstall(tx: Db, at: Date): Promise<void> {
  await tx
    .insertInto('platform_settings')
    .values({ key: 'demo_install', value: JSON.stringify({ seededAt: at.toISOString() }), set_at: at })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
}

/** Whether the demo seed created this database. */
export async function isDemoInstall(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('platform_settings')
    .select('key')
    .where('key', '=', 'demo_install')
    .executeTakeFirst()
  return row !== undefined
}

export type MailOutboxAccess = 'public' | 'staff' | 'none'

/**
 * Who may read the mail outbox: nobody when mail goes out by SMTP; anyone on a demo install
 * (SEED_DEMO on and the database created by the demo seed); otherwise staff with mail.outbox.read.
 * @example if ((await mailOutboxAccess(db, config)) !== 'public') throw errors.notFound('The demo outbox')
 */
export async function mailOutboxAccess(
  db: Db,
  config: Pick<Config, 'SEED_DEMO' | 'SMTP_URL'>,
): Promise<MailOutboxAccess> {
  if (config.SMTP_URL) return 'none'
  return config.SEED_DEMO && (await isDemoInstall(db)) ? 'public' : 'staff'
}
