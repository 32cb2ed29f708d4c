/**
 * @module Envelope encryption of personal-data fields. A key-encryption key (KEK, DATA_KEK or
 * DATA_KEK_FILE, never stored in the database) wraps per-table data keys kept in `data_keys`; a
 * field is sealed with its table's active data key (AES-256-GCM, the table and column as AAD so a
 * value cannot be moved to another column) as `enc1:<data key id>:<base64 iv‖ciphertext‖tag>`.
 * Lookup on an encrypted column goes through a keyed hash (HMAC-SHA256 under the table's search
 * key, itself a wrapped data key) stored beside it. Rotating the KEK re-wraps the data keys only;
 * rotating a table's data key makes a new active key while old values stay readable. A table may
 * keep its keys per period (`audit_log:2026-12`), so that destroying one period's keys makes exactly
 * the values sealed in that period unreadable (crypto-shredding, see audit-personal.ts).
 */
import { readFileSync } from 'node:fs'
import { gcm } from '@noble/ciphers/aes.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes, randomBytes as nobleRandomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { appendAudit } from '../audit.ts'
import type { Config } from '../config.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'

export const ENCRYPTED_PREFIX = 'enc1:'

export type Kek = { id: string; key: Uint8Array }

/** A KEK from its 32 bytes; its id is a fingerprint (first 16 hex digits of its SHA-256). */
export function kekFromBytes(key: Uint8Array): Kek {
  if (key.length !== 32)
    throw new AppError('DATA_KEK_INVALID', 400, 'DATA_KEK must be 64 hex digits (openssl rand -hex 32).')
  return { id: bytesToHex(sha256(key)).slice(0, 16), key }
}

/** The KEK from DATA_KEK, else DATA_KEK_FILE, else null (fields are then erased, not encrypted). */
export function loadKek(config: Pick<Config, 'DATA_KEK' | 'DATA_KEK_FILE'>): Kek | null {
  if (config.DATA_KEK) return kekFromBytes(hexToBytes(config.DATA_KEK.toLowerCase()))
  if (config.DATA_KEK_FILE) {
    const text = readFileSync(config.DATA_KEK_FILE, 'utf8').trim()
    if (!/^[0-9a-fA-F]{64}$/.test(text)) {
      throw new AppError(
        'DATA_KEK_INVALID',
        400,
        'DATA_KEK_FILE must hold 64 hex digits (openssl rand -hex 32).',
      )
    }
    return kekFromBytes(hexToBytes(text.toLowerCase()))
  }
  return null
}

export type FieldCipher = {
  /** Seals `value` for `column` of this table with the active data key. */
  encrypt(column: string, value: string): Promise<string>
  /** Opens a sealed value (any of the table's data keys); a plain value is returned as is. */
  decrypt(column: string, value: string): Promise<string>
  /** The keyed hash of a value for lookup (hex), stable across data-key and KEK rotation. */
  searchHash(column: string, value: string): Promise<string>
}

type Purpose = 'data' | 'search'

const PERIOD = /^[0-9A-Za-z-]{1,16}$/

/**
 * The `data_keys.table_name` of a table's keys, or of one period of them.
 * @example keyTableName('audit_log', '2026-12') // 'audit_log:2026-12'
 */
export function keyTableName(table: string, period?: string): string {
  if (period === undefined) return table
  if (!PERIOD.test(period)) throw new Error(`data key period must match ${PERIOD}: ${period}`)
  return `${table}:${period}`
}

/** The id of the data key a sealed value names, or null for a plain value. */
export function sealedKeyId(value: string): string | null {
  if (!value.startsWith(ENCRYPTED_PREFIX)) return null
  return value.slice(ENCRYPTED_PREFIX.length).split(':')[0] || null
}

/**
 * The field cipher of one table, or of one period of a table whose keys are kept per period (its
 * values are then opened only with that period's keys). Data keys are created on first use and
 * cached unwrapped in memory.
 * @example const cipher = fieldCipher({ db, kek, table: 'sessions' }); await cipher.encrypt('ip', '203.0.113.7')
 */
export function fieldCipher(deps: {
  db: Db
  kek: Kek
  table: string
  period?: string
  randomBytes?: (n: number) => Uint8Array
}): FieldCipher {
  const random = deps.randomBytes ?? nobleRandomBytes
  const cache = new Map<string, Uint8Array>()
  const keyTable = keyTableName(deps.table, deps.period)
  const aad = (column: string) => utf8ToBytes(`${keyTable}.${column}`)

  async function activeKey(purpose: Purpose): Promise<{ id: string; key: Uint8Array }> {
    const row = await deps.db
      .selectFrom('data_keys')
      .select(['id', 'kek_id', 'wrapped'])
      .where('table_name', '=', keyTable)
      .where('purpose', '=', purpose)
      .where('retired_at', 'is', null)
      .executeTakeFirst()
    if (row) return { id: row.id, key: unwrapCached(row) }
    const key = random(32)
    const id = bytesToHex(random(8))
    await deps.db
      .insertInto('data_keys')
      .values({
        id,
        table_name: keyTable,
        purpose,
        kek_id: deps.kek.id,
        wrapped: wrap(deps.kek, id, key, random),
        created_at: new Date(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute()
    // Another process may have created one first: use whichever is stored.
    return activeKey(purpose)
  }

  function unwrapCached(row: { id: string; kek_id: string; wrapped: string }): Uint8Array {
    const hit = cache.get(row.id)
    if (hit) return hit
    const key = unwrap(deps.kek, row)
    cache.set(row.id, key)
    return key
  }

  async function keyById(id: string): Promise<Uint8Array> {
    const hit = cache.get(id)
    if (hit) return hit
    const row = await deps.db
      .selectFrom('data_keys')
      .select(['id', 'kek_id', 'wrapped'])
      .where('id', '=', id)
      .where('table_name', '=', keyTable)
      .executeTakeFirst()
    if (!row)
      throw new AppError(
        'DATA_KEY_NOT_FOUND',
        500,
        `Data key ${id} of ${keyTable} is missing: restore data_keys from a backup.`,
      )
    return unwrapCached(row)
  }

  return {
    async encrypt(column, value) {
      const { id, key } = await activeKey('data')
      const iv = random(12)
      const sealed = gcm(key, iv, aad(column)).encrypt(utf8ToBytes(value))
      return `${ENCRYPTED_PREFIX}${id}:${Buffer.concat([iv, sealed]).toString('base64')}`
    },
    async decrypt(column, value) {
      if (!value.startsWith(ENCRYPTED_PREFIX)) return value
      const [id, body] = value.slice(ENCRYPTED_PREFIX.length).split(':')
      if (!id || !body) throw unreadable(keyTable, column)
      const bytes = new Uint8Array(Buffer.from(body, 'base64'))
      try {
        const plain = gcm(await keyById(id), bytes.subarray(0, 12), aad(column)).decrypt(bytes.subarray(12))
        return new TextDecoder().decode(plain)
      } catch (error) {
        if (error instanceof AppError) throw error
        throw unreadable(keyTable, column, error)
      }
    },
    async searchHash(column, value) {
      const { key } = await activeKey('search')
      return bytesToHex(hmac(sha256, key, utf8ToBytes(`${column}\u0000${value}`)))
    },
  }
}

function wrap(kek: Kek, id: string, key: Uint8Array, random: (n: number) => Uint8Array): string {
  const iv = random(12)
  return Buffer.concat([iv, gcm(kek.key, iv, utf8ToBytes(`data_key:${id}`)).encrypt(key)]).toString('base64')
}

/** Opens a stored data key with the KEK (for callers that keep their own cache of a table's keys). */
export function unwrapDataKey(kek: Kek, row: { id: string; kek_id: string; wrapped: string }): Uint8Array {
  return unwrap(kek, row)
}

function unwrap(kek: Kek, row: { id: string; kek_id: string; wrapped: string }): Uint8Array {
  if (row.kek_id !== kek.id) {
    throw new AppError(
      'DATA_KEK_MISMATCH',
      500,
      `Data key ${row.id} is wrapped by KEK ${row.kek_id}, but the configured DATA_KEK is ${kek.id}: finish the KEK rotation or configure the right key.`,
    )
  }
  const bytes = new Uint8Array(Buffer.from(row.wrapped, 'base64'))
  return gcm(kek.key, bytes.subarray(0, 12), utf8ToBytes(`data_key:${row.id}`)).decrypt(bytes.subarray(12))
}

function unreadable(table: string, column: string, cause?: unknown): AppError {
  return new AppError(
    'FIELD_UNREADABLE',
    500,
    `An encrypted value in ${table}.${column} cannot be opened.`,
    cause === undefined ? {} : { cause },
  )
}

/**
 * Re-wraps every data key from `from` to `to` in one transaction (the data itself is untouched)
 * and audit-logs it. Run it with both keys, then configure only the new one.
 * @example await rotateKek(db, oldKek, newKek, 'cli:keys')
 */
export async function rotateKek(db: Db, from: Kek, to: Kek, actor: string): Promise<{ rewrapped: number }> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx.selectFrom('data_keys').select(['id', 'kek_id', 'wrapped']).forUpdate().execute()
    let rewrapped = 0
    for (const row of rows) {
      if (row.kek_id === to.id) continue
      const key = unwrap(from, row)
      await tx
        .updateTable('data_keys')
        .set({ kek_id: to.id, wrapped: wrap(to, row.id, key, nobleRandomBytes) })
        .where('id', '=', row.id)
        .execute()
      rewrapped++
    }
    await appendAudit(tx, {
      actor,
      action: 'data_keys.kek_rotated',
      target: `kek:${to.id}`,
      details: { from: from.id, rewrapped },
    })
    return { rewrapped }
  })
}

/** Retires the table's active data key, so the next write makes a new one; old values stay readable. */
export async function rotateDataKey(db: Db, table: string, actor: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('data_keys')
      .set({ retired_at: new Date() })
      .where('table_name', '=', table)
      .where('purpose', '=', 'data')
      .where('retired_at', 'is', null)
      .execute()
    await appendAudit(tx, { actor, action: 'data_keys.rotated', target: `table:${table}` })
  })
}

/**
 * Destroys every data key of one period of `table` inside the caller's transaction and returns
 * their ids: the values they sealed can then be opened by no one, KEK or not (crypto-shredding).
 * Copies of `data_keys` in older backups still hold them until those backups expire.
 * @example await destroyPeriodKeys(tx, 'audit_log', '2026-11')
 */
export async function destroyPeriodKeys(db: Db, table: string, period: string): Promise<string[]> {
  const rows = await db
    .deleteFrom('data_keys')
    .where('table_name', '=', keyTableName(table, period))
    .returning('id')
    .execute()
  return rows.map((r) => r.id).sort()
}

/**
 * The periods of `table` that still hold data keys, oldest first.
 * @example await keyPeriods(db, 'audit_log') // ['2026-11', '2026-12']
 */
export async function keyPeriods(db: Db, table: string): Promise<string[]> {
  const prefix = `${table}:`
  const rows = await db
    .selectFrom('data_keys')
    .select('table_name')
    .distinct()
    .where('table_name', 'like', `${prefix.replace(/[%_\\]/g, '\\$&')}%`)
    .execute()
  return rows.map((r) => r.table_name.slice(prefix.length)).sort()
}
