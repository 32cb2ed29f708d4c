/**
 * @module Retention of stored IP addresses: `protectOldIps` encrypts every IP address older than
 * PERSONAL_DATA_RETENTION_DAYS (sessions, devices, sign-in tickets, API keys' last use, and the risk
 * events' bodies) with its table's data key, keeping a keyed hash beside it where an investigation
 * searches by address (`findSessionsByIp`), or, without a KEK, erases it. The server runs it daily,
 * together with the shredding of the audit log's personal values past retention
 * (audit-personal.ts); each run that changed anything is audit-logged.
 */
import { sql } from 'kysely'
import { appendAudit } from '../audit.ts'
import { shredExpiredAuditData } from '../audit-personal.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { ENCRYPTED_PREFIX, fieldCipher, type Kek } from './field-encryption.ts'

const DAY_MS = 86_400_000
const BATCH = 500

/** How many addresses of one table a run encrypted or erased. */
export type ProtectedIpCounts = { encrypted: number; erased: number }

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

/**
 * The daily retention sweep: `protectOldIps` (every table holding IPs), then the destruction of
 * the audit log's data keys of months past retention (`shredExpiredAuditData`).
 * @example await runPersonalDataRetention({ db, kek, clock, retentionDays: 30 })
 */
export async function runPersonalDataRetention(deps: {
  db: Db
  kek: Kek | null
  clock: Clock
  retentionDays: number
}) {
  const ips = await protectOldIps(deps)
  const audit = await shredExpiredAuditData({ ...deps, actor: 'system:retention' })
  return { ips, audit }
}

/** Runs `runPersonalDataRetention` once a day in the server; returns a stop function. */
export function startSessionIpRetention(deps: {
  db: Db
  kek: Kek | null
  clock: Clock
  retentionDays: number
  log: { error(o: object, m: string): void }
}): () => void {
  const timer = setInterval(() => {
    runPersonalDataRetention(deps).catch((error: unknown) =>
      deps.log.error(
        { code: (error as { code?: string }).code ?? 'RETENTION_FAILED' },
        'session IP retention failed',
      ),
    )
  }, DAY_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/** A stored IP address: its table, column, keyed-hash column, the time that ages it, and the row key. */
type IpColumn = {
  table: 'sessions' | 'devices' | 'sign_in_tickets' | 'api_keys'
  column: 'ip' | 'last_used_ip'
  search: 'ip_search' | 'last_used_ip_search'
  at: 'created_at' | 'last_seen_at' | 'last_used_at'
  key: 'id' | 'token_digest'
  /** Without a KEK the address is erased to this ('' where the column is NOT NULL). */
  erased: '' | null
}

/** Every table that stores an IP address outside the audit log (see docs/data-protection.md). */
export const IP_COLUMNS: readonly IpColumn[] = [
  { table: 'sessions', column: 'ip', search: 'ip_search', at: 'created_at', key: 'id', erased: '' },
  { table: 'devices', column: 'ip', search: 'ip_search', at: 'last_seen_at', key: 'id', erased: '' },
  {
    table: 'sign_in_tickets',
    column: 'ip',
    search: 'ip_search',
    at: 'created_at',
    key: 'token_digest',
    erased: '',
  },
  {
    table: 'api_keys',
    column: 'last_used_ip',
    search: 'last_used_ip_search',
    at: 'last_used_at',
    key: 'id',
    erased: null,
  },
]

/** The tables `protectOldIps` reports on: those of IP_COLUMNS, and the risk events' JSON bodies. */
export type IpTable = IpColumn['table'] | 'risk_events'

export type ProtectIpsResult = Record<IpTable, ProtectedIpCounts>

/**
 * Risk events keep the address inside their JSON body (`body.ip`, by the event's time `at`): sealed
 * in place with the `risk_events` table's data key, or, without a KEK, removed from the body. Old
 * events then count a returning address as new in a backtest, which is what forgetting it means.
 */
async function protectOldRiskEventIps(
  deps: { db: Db; kek: Kek | null },
  cutoff: Date,
): Promise<ProtectedIpCounts> {
  const cipher = deps.kek ? fieldCipher({ db: deps.db, kek: deps.kek, table: 'risk_events' }) : null
  const counts = { encrypted: 0, erased: 0 }
  for (;;) {
    const { rows } = await sql<{ id: string; ip: string }>`
      select id, body->>'ip' as ip from risk_events
      where at < ${cutoff} and coalesce(body->>'ip', '') <> ''
        and body->>'ip' not like ${`${ENCRYPTED_PREFIX}%`}
      limit ${BATCH}`.execute(deps.db)
    if (rows.length === 0) break
    for (const row of rows) {
      if (cipher) {
        const sealed = await cipher.encrypt('ip', row.ip)
        await sql`update risk_events set body = jsonb_set(body, '{ip}', to_jsonb(${sealed}::text))
          where id = ${row.id}`.execute(deps.db)
        counts.encrypted++
      } else {
        await sql`update risk_events set body = body - 'ip' where id = ${row.id}`.execute(deps.db)
        counts.erased++
      }
    }
  }
  return counts
}

/**
 * Encrypts (with a KEK) or erases (without) every stored IP address older than the retention
 * cut-off in every table of IP_COLUMNS and in risk events; one audit entry per run that changed
 * anything. Idempotent.
 * @example await protectOldIps({ db, kek, clock, retentionDays: 30 })
 */
export async function protectOldIps(deps: {
  db: Db
  kek: Kek | null
  clock: Clock
  retentionDays: number
}): Promise<ProtectIpsResult> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * DAY_MS)
  const result = {} as ProtectIpsResult
  for (const spec of IP_COLUMNS) {
    const cipher = deps.kek ? fieldCipher({ db: deps.db, kek: deps.kek, table: spec.table }) : null
    const table = sql.id(spec.table)
    const column = sql.id(spec.column)
    const search = sql.id(spec.search)
    const at = sql.id(spec.at)
    const key = sql.id(spec.key)
    const counts = { encrypted: 0, erased: 0 }
    for (;;) {
      const { rows } = await sql<{ key: string; ip: string }>`
        select ${key} as key, ${column} as ip from ${table}
        where ${at} < ${cutoff} and ${column} is not null and ${column} != ''
          and ${column} not like ${`${ENCRYPTED_PREFIX}%`}
        limit ${BATCH}`.execute(deps.db)
      if (rows.length === 0) break
      for (const row of rows) {
        if (cipher) {
          const sealed = await cipher.encrypt(spec.column, row.ip)
          const hash = await cipher.searchHash(spec.column, row.ip)
          await sql`update ${table} set ${column} = ${sealed}, ${search} = ${hash} where ${key} = ${row.key}`.execute(
            deps.db,
          )
          counts.encrypted++
        } else {
          await sql`update ${table} set ${column} = ${spec.erased} where ${key} = ${row.key}`.execute(deps.db)
          counts.erased++
        }
      }
    }
    result[spec.table] = counts
  }
  result.risk_events = await protectOldRiskEventIps(deps, cutoff)
  if (Object.values(result).some((c) => c.encrypted + c.erased > 0)) {
    await appendAudit(deps.db, {
      actor: 'system:retention',
      action: 'personal_data.ips_protected',
      target: 'personal_data:ip_addresses',
      details: { ...result, retentionDays: deps.retentionDays, kek: deps.kek?.id ?? null },
    })
  }
  return result
}

/**
 * Opens a stored IP address of `table` (sealed by protectOldIps); a plain one is returned as is.
 * @example await readStoredIp({ db, kek }, 'devices', 'ip', row.ip)
 */
export async function readStoredIp(
  deps: { db: Db; kek: Kek | null },
  table: IpTable,
  column: IpColumn['column'],
  value: string,
): Promise<string> {
  if (!value.startsWith(ENCRYPTED_PREFIX) || !deps.kek) return value
  return fieldCipher({ db: deps.db, kek: deps.kek, table }).decrypt(column, value)
}
