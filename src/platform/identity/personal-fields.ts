/**
 * @module People's emails and display names at rest (docs/data-protection.md). With a DATA_KEK,
 * `users.email`, `users.display_name` and a pending `email_tokens.new_email` are stored sealed
 * (`enc1:` values under the `users` table's data key, the same format and AAD `users.<column>` as
 * `fieldCipher`), and every lookup by email goes through `users.email_lookup`, the keyed hash of the
 * normalised email. Without one they stay plain and `email_lookup` holds a plain SHA-256 of the
 * email: one query shape either way.
 *
 * The database handle carries the policy: `withPersonalFields(db, kek)` loads the table's keys once
 * and returns the handle with a Kysely plugin that opens sealed values in every result row (so a
 * session, a staff page or a mail sees plain text in memory, and transactions inherit it); the
 * write helpers below find the same keys through the handle, so sealing and hashing are
 * synchronous (microseconds, no query) and safe inside a transaction.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { ENCRYPTED_PREFIX, fieldCipher, type Kek, unwrapDataKey } from '../crypto/field-encryption.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'

/** The stored form of an email before sealing or hashing: trimmed and lower-cased (one account per mailbox). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The table whose data keys seal people's fields. */
export const PEOPLE_TABLE = 'users'

/**
 * The columns sealed under the people table's keys; each value is bound to its column (AAD
 * `users.<column>`, or `ops_bounty_reports.email` for a bug-bounty reporter's address).
 */
export type PersonalColumn = 'email' | 'display_name' | 'new_email' | 'reporter_email'
const PERSONAL_COLUMNS: readonly PersonalColumn[] = ['email', 'display_name', 'new_email', 'reporter_email']

type Keys = {
  kekId: string
  active: { id: string; key: Uint8Array }
  search: Uint8Array
  byId: Map<string, Uint8Array>
}

/** The Kysely plugin that opens sealed people's fields in result rows; it also holds the keys. */
export class PersonalFieldsPlugin implements KyselyPlugin {
  readonly #keys: Keys
  constructor(keys: Keys) {
    this.#keys = keys
  }

  get kekId(): string {
    return this.#keys.kekId
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const { rows } = args.result
    for (const row of rows) {
      for (const [name, value] of Object.entries(row)) {
        if (typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX)) {
          const opened = this.open(value, preferredColumn(name))
          if (opened !== null) row[name] = opened
        }
      }
    }
    return args.result
  }

  /** Seals `value` for `column` with the active data key. */
  seal(column: PersonalColumn, value: string): string {
    const iv = randomBytes(12)
    const sealed = gcm(this.#keys.active.key, iv, aad(column)).encrypt(utf8ToBytes(value))
    return `${ENCRYPTED_PREFIX}${this.#keys.active.id}:${Buffer.concat([iv, sealed]).toString('base64')}`
  }

  /**
   * Opens a value sealed under this table's keys; null when it is sealed under another table's key
   * (an IP address in `sessions`, say), which its own code opens. Results are opened by whatever
   * name a query gives the column (`c.email as customer_email`), so the column named is tried first
   * and the other people's columns after it.
   */
  open(value: string, first: PersonalColumn | null): string | null {
    const [id, body] = value.slice(ENCRYPTED_PREFIX.length).split(':')
    const key = id ? this.#keys.byId.get(id) : undefined
    if (!key) return null
    if (!body) throw unreadable()
    const bytes = new Uint8Array(Buffer.from(body, 'base64'))
    const order = first ? [first, ...PERSONAL_COLUMNS.filter((c) => c !== first)] : PERSONAL_COLUMNS
    for (const column of order) {
      try {
        return new TextDecoder().decode(
          gcm(key, bytes.subarray(0, 12), aad(column)).decrypt(bytes.subarray(12)),
        )
      } catch {
        // Not this column's AAD (or tampered): try the next one; none opening is an error below.
      }
    }
    throw unreadable()
  }

  /** The keyed hash of a normalised email (HMAC-SHA256 under the search key, as `searchHash`). */
  keyedLookup(normalEmail: string): string {
    return bytesToHex(hmac(sha256, this.#keys.search, utf8ToBytes(`email\u0000${normalEmail}`)))
  }
}

function aad(column: PersonalColumn): Uint8Array {
  return utf8ToBytes(column === 'reporter_email' ? 'ops_bounty_reports.email' : `${PEOPLE_TABLE}.${column}`)
}

function preferredColumn(name: string): PersonalColumn | null {
  if (name.endsWith('new_email')) return 'new_email'
  if (name.endsWith('email')) return 'email'
  if (name.endsWith('name') || name === 'by' || name === 'author') return 'display_name'
  return null
}

function unreadable(): AppError {
  return new AppError(
    'FIELD_UNREADABLE',
    500,
    'A sealed email or name cannot be opened: check that the configured DATA_KEK is the one its data key is wrapped with.',
  )
}

/** The plugin a handle (or a transaction of it) carries, if any. */
function pluginOf(db: Kysely<never> | Db): PersonalFieldsPlugin | undefined {
  return (db as Db)
    .getExecutor()
    .plugins.find((p): p is PersonalFieldsPlugin => p instanceof PersonalFieldsPlugin)
}

/** Whether values written through this handle are sealed (a DATA_KEK is configured). */
export function sealsPersonalFields(db: Db): boolean {
  return pluginOf(db) !== undefined
}

/**
 * The handle every part of Bulwark should use: with a KEK, `db` plus the plugin (the people table's
 * data and search keys are created on first use and all its keys loaded and unwrapped once);
 * without one, `db` itself, after checking that no person is stored sealed (else
 * `DATA_KEK_REQUIRED`: the emails could not be read or looked up). Calling it again on its result
 * returns that result.
 * @example const db = await withPersonalFields(handle.db, loadKek(config))
 */
export async function withPersonalFields(db: Db, kek: Kek | null): Promise<Db> {
  const existing = pluginOf(db)
  if (existing) {
    if (kek && existing.kekId !== kek.id) {
      throw new AppError('DATA_KEK_MISMATCH', 500, 'This database handle was opened with another DATA_KEK.')
    }
    return db
  }
  if (!kek) {
    const sealed = await db
      .selectFrom('users')
      .select('id')
      .where('email', 'like', `${ENCRYPTED_PREFIX}%`)
      .limit(1)
      .executeTakeFirst()
    if (sealed) {
      throw new AppError(
        'DATA_KEK_REQUIRED',
        500,
        "People's emails in this database are encrypted with a DATA_KEK, but none is configured: set DATA_KEK or DATA_KEK_FILE.",
      )
    }
    return db
  }
  // fieldCipher creates the table's active keys when missing (one winner across processes).
  const cipher = fieldCipher({ db, kek, table: PEOPLE_TABLE })
  await cipher.encrypt('email', '')
  await cipher.searchHash('email', '')
  const rows = await db
    .selectFrom('data_keys')
    .select(['id', 'kek_id', 'wrapped', 'purpose', 'retired_at'])
    .where('table_name', '=', PEOPLE_TABLE)
    .execute()
  const byId = new Map<string, Uint8Array>()
  let active: Keys['active'] | undefined
  let search: Uint8Array | undefined
  for (const row of rows) {
    const key = unwrapDataKey(kek, row)
    if (row.purpose === 'search') {
      if (row.retired_at === null) search = key
      continue
    }
    byId.set(row.id, key)
    if (row.retired_at === null) active = { id: row.id, key }
  }
  if (!active || !search)
    throw new AppError('DATA_KEY_NOT_FOUND', 500, 'The people table has no active data key.')
  return db.withPlugin(new PersonalFieldsPlugin({ kekId: kek.id, active, search, byId }))
}

/** The plain SHA-256 lookup of a normalised email (what migration 1155's trigger computes). */
function plainLookup(normalEmail: string): string {
  return bytesToHex(sha256(utf8ToBytes(normalEmail)))
}

/**
 * The lookup hash to store for an email: keyed with a KEK, plain SHA-256 without.
 * @example await db.selectFrom('users').where('email_lookup', '=', emailLookup(db, 'Ann@x.org'))
 */
export function emailLookup(db: Db, email: string): string {
  const normal = normaliseEmail(email)
  const plugin = pluginOf(db)
  return plugin ? plugin.keyedLookup(normal) : plainLookup(normal)
}

/**
 * Every lookup hash an email may be stored under: with a KEK its keyed hash and the plain one of a
 * row not yet sealed (`bulwark data encrypt-existing` moves those), so nobody is locked out or
 * signed up twice between configuring a KEK and running it.
 * @example .where('email_lookup', 'in', emailLookups(db, email))
 */
export function emailLookups(db: Db, email: string): string[] {
  const normal = normaliseEmail(email)
  const plugin = pluginOf(db)
  return plugin ? [plugin.keyedLookup(normal), plainLookup(normal)] : [plainLookup(normal)]
}

/** The stored columns of a person's email and name. */
export type StoredUserFields = { email: string; email_lookup: string; display_name: string }

/**
 * A person's email (normalised) and name as they are stored: sealed with a KEK, plain without.
 * @example await tx.insertInto('users').values({ ...sealUserFields(tx, { email, displayName }), kind: 'customer', … })
 */
export function sealUserFields(db: Db, fields: { email: string; displayName: string }): StoredUserFields {
  const normal = normaliseEmail(fields.email)
  const plugin = pluginOf(db)
  if (!plugin) return { email: normal, email_lookup: plainLookup(normal), display_name: fields.displayName }
  return {
    email: plugin.seal('email', normal),
    email_lookup: plugin.keyedLookup(normal),
    display_name: plugin.seal('display_name', fields.displayName),
  }
}

/** A person's new email as stored: `{ email, email_lookup }`, sealed with a KEK. */
export function sealEmail(db: Db, email: string): Pick<StoredUserFields, 'email' | 'email_lookup'> {
  const normal = normaliseEmail(email)
  const plugin = pluginOf(db)
  if (!plugin) return { email: normal, email_lookup: plainLookup(normal) }
  return { email: plugin.seal('email', normal), email_lookup: plugin.keyedLookup(normal) }
}

/**
 * A bug-bounty reporter's email (`ops_bounty_reports.email`, lower-cased) as stored: sealed with a
 * KEK. Reports are never looked up by it, so it has no lookup hash.
 */
export function sealReporterEmail(db: Db, email: string): string {
  const normal = normaliseEmail(email)
  return pluginOf(db)?.seal('reporter_email', normal) ?? normal
}

/** A pending email change's new address (`email_tokens.new_email`) as stored. */
export function sealPendingEmail(db: Db, email: string): string {
  const normal = normaliseEmail(email)
  return pluginOf(db)?.seal('new_email', normal) ?? normal
}

/**
 * Seals every person, pending email change and bug-bounty reporter's email still stored plain, in
 * batches, and rewrites the people's lookup hashes; rows already sealed are skipped, so a second run
 * changes nothing. `db` must come from `withPersonalFields` with a KEK.
 * @example await encryptExistingPeople(await withPersonalFields(db, kek))
 */
export async function encryptExistingPeople(
  db: Db,
): Promise<{ users: number; emailChanges: number; bountyReports: number }> {
  const plugin = pluginOf(db)
  if (!plugin) {
    throw new AppError('DATA_KEK_REQUIRED', 400, 'Set DATA_KEK or DATA_KEK_FILE to encrypt existing emails.')
  }
  const notSealed = `${ENCRYPTED_PREFIX}%`
  let users = 0
  for (;;) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'email', 'display_name'])
      .where((eb) => eb.or([eb('email', 'not like', notSealed), eb('display_name', 'not like', notSealed)]))
      .limit(200)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      // The plugin has opened any half already sealed, so both are plain here.
      await db
        .updateTable('users')
        .set(sealUserFields(db, { email: row.email, displayName: row.display_name }))
        .where('id', '=', row.id)
        .execute()
      users++
    }
  }
  let emailChanges = 0
  for (;;) {
    const rows = await db
      .selectFrom('email_tokens')
      .select(['token_digest', 'new_email'])
      .where('new_email', 'is not', null)
      .where('new_email', 'not like', notSealed)
      .limit(200)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      await db
        .updateTable('email_tokens')
        .set({ new_email: plugin.seal('new_email', row.new_email!) })
        .where('token_digest', '=', row.token_digest)
        .execute()
      emailChanges++
    }
  }
  let bountyReports = 0
  for (;;) {
    const rows = await db
      .selectFrom('ops_bounty_reports')
      .select(['id', 'email'])
      .where('email', 'not like', notSealed)
      .limit(200)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      await db
        .updateTable('ops_bounty_reports')
        .set({ email: plugin.seal('reporter_email', row.email) })
        .where('id', '=', row.id)
        .execute()
      bountyReports++
    }
  }
  return { users, emailChanges, bountyReports }
}
