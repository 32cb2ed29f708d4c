/**
 * @module Retention of IP addresses in stored sessions: once a session is older than
 * PERSONAL_DATA_RETENTION_DAYS its IP address is encrypted with the sessions table's data key and
 * its keyed hash kept in `ip_search` (so an investigation can still find every session from one
 * address), or, without a KEK, erased. The server runs this daily; each run is audit-logged.
 */
import { sql } from 'kysely'
import { appendAudit } from '../audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { ENCRYPTED_PREFIX, fieldCipher, type Kek } from './field-encryption.ts'

const DAY_MS = 86_400_000
const BATCH = 500

export type ProtectSessionIpsResult = { encrypted: number; erased: number }

/**
 * Encrypts (with a KEK) or erases (without) the IP of every session created before the retention
 * cut-off that still holds a plain address.
 * @example await protectOldSessionIps({ db, kek, clock, retentionDays: 30 })
 */
export async function protectOldSessionIps(deps: {
  db: Db
  kek: Kek | null
  clock: Clock
  retentionDays: number
}): Promise<ProtectSessionIpsResult> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * DAY_MS)
  const cipher = deps.kek ? fieldCipher({ db: deps.db, kek: deps.kek, table: 'sessions' }) : null
  let encrypted = 0
  let erased = 0
  for (;;) {
    const rows = await deps.db
      .selectFrom('sessions')
      .select(['id', 'ip'])
      .where('created_at', '<', cutoff)
      .where('ip', '!=', '')
      .where('ip', 'not like', `${ENCRYPTED_PREFIX}%`)
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      if (cipher) {
        const ip = await cipher.encrypt('ip', row.ip)
        const search = await cipher.searchHash('ip', row.ip)
        await sql`update sessions set ip = ${ip}, ip_search = ${search} where id = ${row.id}`.execute(deps.db)
        encrypted++
      } else {
        await deps.db.updateTable('sessions').set({ ip: '' }).where('id', '=', row.id).execute()
        erased++
      }
    }
  }
  if (encrypted + erased > 0) {
    await appendAudit(deps.db, {
      actor: 'system:retention',
      action: 'personal_data.session_ips_protected',
      target: 'table:sessions',
      details: { encrypted, erased, retentionDays: deps.retentionDays, kek: deps.kek?.id ?? null },
    })
  }
  return { encrypted, erased }
}

/**
 * Ids of the sessions that came from `ip`, recent (plain) and old (encrypted, by keyed hash) alike.
 * @example await findSessionsByIp({ db, kek }, '203.0.113.7')
 */
export async function findSessionsByIp(deps: { db: Db; kek: Kek | null }, ip: string): Promise<string[]> {
  const search = deps.kek
    ? await fieldCipher({ db: deps.db, kek: deps.kek, table: 'sessions' }).searchHash('ip', ip)
    : null
  const { rows } = await sql<{ id: string }>`
    select id from sessions where ip = ${ip} or (${search}::text is not null and ip_search = ${search}::text)
    order by created_at`.execute(deps.db)
  return rows.map((r) => r.id)
}

/** Runs `protectOldSessionIps` once a day in the server; returns a stop function. */
export function startSessionIpRetention(deps: {
  db: Db
  kek: Kek | null
  clock: Clock
  retentionDays: number
  log: { error(o: object, m: string): void }
}): () => void {
  const timer = setInterval(() => {
    protectOldSessionIps(deps).catch((error: unknown) =>
      deps.log.error(
        { code: (error as { code?: string }).code ?? 'RETENTION_FAILED' },
        'session IP retention failed',
      ),
    )
  }, DAY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
