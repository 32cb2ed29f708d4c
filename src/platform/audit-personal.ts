/**
 * @module Personal data inside the audit log, crypto-shredded. The log is insert-only and
 * hash-chained, so a value cannot be encrypted or erased after it was written. Instead, when a KEK
 * is configured, `appendAudit` seals the personal values of an entry's details as it writes them
 * (envelope encryption under a data key of the entry's month, `audit_log:YYYY-MM`); the chain and
 * the Merkle leaf hash the sealed value as stored, so verifying needs no key. Once a month is older
 * than PERSONAL_DATA_RETENTION_DAYS its data keys are destroyed: the entries stay and verify, and
 * their personal values read "[shredded]". Without a KEK nothing is sealed (demo and development).
 *
 * A value is personal when it sits under one of PERSONAL_DETAIL_KEYS (at any depth), or when it is
 * an IP address, an IP range, or a text that holds an email address or an IPv4 address, whatever
 * its key (`from`/`to` of an email change, a mail error naming its recipient).
 */
import { isIP } from 'node:net'
import { sql } from 'kysely'
import { appendAudit } from './audit.ts'
import type { Clock } from './clock.ts'
import {
  destroyPeriodKeys,
  ENCRYPTED_PREFIX,
  type FieldCipher,
  fieldCipher,
  type Kek,
  keyPeriods,
  sealedKeyId,
} from './crypto/field-encryption.ts'
import type { Db } from './db/index.ts'

/** The data keys of the audit log's personal values are `audit_log:<YYYY-MM>` in `data_keys`. */
export const AUDIT_KEY_TABLE = 'audit_log'

/** AAD column of every sealed audit value (the chain already binds a value to its entry). */
const COLUMN = 'details'

/** What a personal value reads once its month's keys are destroyed. */
export const SHREDDED = '[shredded]'
/** What a sealed value reads when it cannot be opened (no KEK configured, another KEK, a lost key). */
export const UNREADABLE = '[sealed]'

/** The audit action that records a destroyed month; also how a reader tells shredded from lost. */
export const SHRED_ACTION = 'personal_data.audit_keys_shredded'

/**
 * Detail keys whose values are personal data wherever they appear in `details` (every string
 * below them is sealed). `audit-personal.test.ts` walks every `appendAudit` call in src/ and fails
 * on a detail key that names personal data but is neither here nor in NOT_PERSONAL_DETAIL_KEYS.
 */
export const PERSONAL_DETAIL_KEYS: ReadonlySet<string> = new Set([
  'ip',
  'ips',
  'allowedIps',
  'lastUsedIp',
  'userAgent',
  'email',
  'emails',
  'newEmail',
  'oldEmail',
  'displayName',
  'fullName',
  'givenNames',
  'surname',
  'dateOfBirth',
  'documentNumber',
  'phone',
])

/** Detail keys that look personal by name but are not, and why (checked by the same walk). */
export const NOT_PERSONAL_DETAIL_KEYS: Readonly<Record<string, string>> = {
  address: 'a blockchain address of a withdrawal or deposit, not a person’s postal address',
  name: 'the name of a vendor or of a VASP (a company)',
  ipAddresses: 'a count of IP addresses encrypted by the retention job',
  nameCheck:
    'the outcome of a Travel Rule beneficiary name check (match, mismatch, no_identity), not the name',
}

const IPV4_IN_TEXT = /(?:^|[^\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/
const EMAIL_IN_TEXT = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+\.[a-z]{2,}/i

/** Whether a string is personal by its content: an IP address or range, or a text naming an email or IPv4 address. */
export function looksPersonal(value: string): boolean {
  const bare = value.includes('/') ? value.slice(0, value.indexOf('/')) : value
  return isIP(bare) !== 0 || IPV4_IN_TEXT.test(value) || EMAIL_IN_TEXT.test(value)
}

/** The month an entry's values are sealed under (UTC), e.g. '2026-12'. */
export function auditPeriod(at: Date): string {
  return at.toISOString().slice(0, 7)
}

function periodBounds(period: string): { start: Date; end: Date } {
  const [year, month] = period.split('-').map(Number) as [number, number]
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) }
}

/**
 * Which KEK seals the audit log's personal values of each database. Kept beside the database
 * rather than passed to each of the many `appendAudit` calls: keyed by the Kysely dialect
 * adapter, which a database shares with every transaction and `withSchema` copy made from it.
 */
const sealingKeks = new WeakMap<object, Kek>()

function adapterOf(db: Pick<Db, 'getExecutor'>): object {
  return db.getExecutor().adapter
}

/**
 * Makes `appendAudit` on `db` (and on its transactions) seal personal values with `kek`, or, with
 * null, write them plain. Called where a database meets its configuration: `buildApp` and
 * `openConfiguredDatabase`.
 * @example sealAuditPersonalData(handle.db, loadKek(config))
 */
export function sealAuditPersonalData(db: Db, kek: Kek | null): void {
  if (kek) sealingKeks.set(adapterOf(db), kek)
  else sealingKeks.delete(adapterOf(db))
}

/** The KEK that seals the audit log's personal values on this database or transaction, if any. */
export function auditSealingKek(db: Pick<Db, 'getExecutor'>): Kek | null {
  return sealingKeks.get(adapterOf(db)) ?? null
}

/**
 * Seals the personal values of `details` for an entry written at `at` (see the module comment);
 * run by `appendAudit` inside its transaction, before the entry is hashed. Details without
 * personal values are returned unchanged and touch no key.
 */
export async function sealPersonalDetails(
  db: Db,
  kek: Kek,
  at: Date,
  details: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let cipher: FieldCipher | null = null
  const seal = (value: string) => {
    cipher ??= fieldCipher({ db, kek, table: AUDIT_KEY_TABLE, period: auditPeriod(at) })
    return cipher.encrypt(COLUMN, value)
  }
  const walk = async (value: unknown, personal: boolean): Promise<unknown> => {
    if (typeof value === 'string') {
      if (value.startsWith(ENCRYPTED_PREFIX)) return value
      return personal || looksPersonal(value) ? seal(value) : value
    }
    if (Array.isArray(value)) {
      const out: unknown[] = []
      for (const item of value) out.push(await walk(item, personal))
      return out
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) {
        out[key] = await walk(item, personal || PERSONAL_DETAIL_KEYS.has(key))
      }
      return out
    }
    return value
  }
  return (await walk(details, false)) as Record<string, unknown>
}

export type AuditDetailsRow = { at: Date; details: Record<string, unknown> }

/**
 * The details of `rows` for people to read: each sealed value opened with `kek`, "[shredded]" when
 * its month's keys were destroyed, "[sealed]" when it cannot be opened (no or another KEK). The
 * stored (sealed) details are what the chain hashes; exports and proofs keep those.
 * @example const details = await openAuditDetails({ db, kek }, rows)
 */
export async function openAuditDetails(
  deps: { db: Db; kek: Kek | null },
  rows: readonly AuditDetailsRow[],
): Promise<Record<string, unknown>[]> {
  const periods = new Set<string>()
  const collect = (value: unknown, period: string) => {
    if (typeof value === 'string') {
      if (value.startsWith(ENCRYPTED_PREFIX)) periods.add(period)
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) collect(item, period)
    }
  }
  for (const row of rows) collect(row.details, auditPeriod(row.at))
  if (periods.size === 0) return rows.map((r) => r.details)

  const names = [...periods].map((p) => `${AUDIT_KEY_TABLE}:${p}`)
  const keys = await deps.db
    .selectFrom('data_keys')
    .select(['id', 'table_name'])
    .where('table_name', 'in', names)
    .execute()
  const liveKeys = new Set(keys.map((k) => `${k.table_name}/${k.id}`))
  const shredded = new Set(
    (
      await deps.db
        .selectFrom('audit_log')
        .select('target')
        .where('action', '=', SHRED_ACTION)
        .where(
          'target',
          'in',
          [...periods].map((p) => `audit_period:${p}`),
        )
        .execute()
    ).map((r) => r.target.slice('audit_period:'.length)),
  )
  const ciphers = new Map<string, FieldCipher>()
  const open = async (value: string, period: string): Promise<string> => {
    const id = sealedKeyId(value)
    if (!id || !liveKeys.has(`${AUDIT_KEY_TABLE}:${period}/${id}`)) {
      return shredded.has(period) ? SHREDDED : UNREADABLE
    }
    if (!deps.kek) return UNREADABLE
    let cipher = ciphers.get(period)
    if (!cipher) {
      cipher = fieldCipher({ db: deps.db, kek: deps.kek, table: AUDIT_KEY_TABLE, period })
      ciphers.set(period, cipher)
    }
    try {
      return await cipher.decrypt(COLUMN, value)
    } catch {
      // A KEK mismatch or a damaged value: the page still shows the rest of the entry.
      return UNREADABLE
    }
  }
  const walk = async (value: unknown, period: string): Promise<unknown> => {
    if (typeof value === 'string') return value.startsWith(ENCRYPTED_PREFIX) ? open(value, period) : value
    if (Array.isArray(value)) {
      const out: unknown[] = []
      for (const item of value) out.push(await walk(item, period))
      return out
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = await walk(item, period)
      return out
    }
    return value
  }
  const out: Record<string, unknown>[] = []
  for (const row of rows) out.push((await walk(row.details, auditPeriod(row.at))) as Record<string, unknown>)
  return out
}

export type ShredResult = { period: string; keys: number; values: number }[]

const DAY_MS = 86_400_000

/**
 * Destroys the data keys of every month of the audit log that ended more than `retentionDays` ago,
 * one transaction and one audit entry (`personal_data.audit_keys_shredded`, with the number of
 * values made unreadable) per month. The entries themselves are untouched and still verify.
 * Idempotent; run daily with the IP retention and by `bulwark data shred-expired`.
 * @example await shredExpiredAuditData({ db, clock, retentionDays: 30, actor: 'system:retention' })
 */
export async function shredExpiredAuditData(deps: {
  db: Db
  clock: Clock
  retentionDays: number
  actor: string
}): Promise<ShredResult> {
  const cutoff = deps.clock.now().getTime() - deps.retentionDays * DAY_MS
  const result: ShredResult = []
  for (const period of await keyPeriods(deps.db, AUDIT_KEY_TABLE)) {
    if (!/^\d{4}-\d{2}$/.test(period)) continue
    const { start, end } = periodBounds(period)
    if (end.getTime() > cutoff) continue
    const shred = await deps.db.transaction().execute(async (tx) => {
      const ids = await destroyPeriodKeys(tx, AUDIT_KEY_TABLE, period)
      if (ids.length === 0) return null
      let values = 0
      for (const id of ids) {
        const needle = `${ENCRYPTED_PREFIX}${id}:`
        const { rows } = await sql<{ n: string }>`
          select coalesce(sum((length(details::text) - length(replace(details::text, ${needle}, ''))) / ${sql.lit(needle.length)}), 0)::text as n
          from audit_log where at >= ${start} and at < ${end}`.execute(tx)
        values += Number(rows[0]?.n ?? 0)
      }
      await appendAudit(tx, {
        actor: deps.actor,
        action: SHRED_ACTION,
        target: `audit_period:${period}`,
        details: { keys: ids, values, retentionDays: deps.retentionDays },
        at: deps.clock.now(),
      })
      return { period, keys: ids.length, values }
    })
    if (shred) result.push(shred)
  }
  return result
}
