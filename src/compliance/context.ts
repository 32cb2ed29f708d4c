/**
 * @module What every part of the Travel Rule service shares: its dependencies, our own VASP id and
 * signing key, the field ciphers that seal personal data, and the directory lookup. Built once per
 * service by `createTravelRule` and handed to each part (directory, messaging, transfers, deposits,
 * destinations, thresholds, the withdrawal step).
 */
import type { ColumnType } from 'kysely'
import { type FieldCipher, fieldCipher, type Kek, loadKek } from '../platform/crypto/field-encryption.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { AppError } from '../platform/errors.ts'
import { type Ivms101Person, vaspPerson } from './ivms101.ts'
import type { TravelRuleTransfersTable, TravelRuleVaspsTable } from './tables.ts'

export type TravelRuleDeps = Pick<DomainDeps, 'db' | 'clock' | 'config'> &
  Partial<Pick<DomainDeps, 'events' | 'mailer' | 'sessions' | 'risk'>> & {
    /** HTTP client for messages to other VASPs (default: global fetch). */
    fetch?: typeof fetch
  }

type Row<T> = {
  [K in keyof T]: T[K] extends ColumnType<infer S, unknown, unknown> ? S : T[K]
}
export type VaspRow = Row<TravelRuleVaspsTable>
export type TransferRow = Row<TravelRuleTransfersTable>

export type TravelRuleContext = {
  deps: TravelRuleDeps
  db: TravelRuleDeps['db']
  clock: TravelRuleDeps['clock']
  config: TravelRuleDeps['config']
  /** Our own VASP id (TRAVEL_RULE_VASP_ID). */
  me: string
  http: typeof fetch
  kek: Kek | null
  /** The field cipher of a table; refuses (TRAVEL_RULE_NEEDS_ENCRYPTION) without a DATA_KEK. */
  cipher(table: string): FieldCipher
  /** Our Ed25519 signing key; refuses (TRAVEL_RULE_NOT_CONFIGURED) without one. */
  secretKey(): Uint8Array
  /** Seals / opens a value of `travel_rule_transfers` (JSON inside). */
  seal(column: string, value: unknown): Promise<string>
  unseal<T>(column: string, value: string): Promise<T>
  /** Our own VASP as an IVMS101 legal person. */
  ourPerson(): Ivms101Person
  /** A directory entry by id. */
  vasp(id: string): Promise<VaspRow | undefined>
}

/** @example const ctx = travelRuleContext(deps); await ctx.vasp('vasp-b') */
export function travelRuleContext(deps: TravelRuleDeps): TravelRuleContext {
  const { db, clock, config } = deps
  const kek = loadKek(config)
  const ciphers = new Map<string, FieldCipher>()

  function cipher(table: string): FieldCipher {
    if (!kek)
      throw new AppError(
        'TRAVEL_RULE_NEEDS_ENCRYPTION',
        503,
        'Travel Rule data is personal data and is stored encrypted: set DATA_KEK (or DATA_KEK_FILE) first.',
      )
    let c = ciphers.get(table)
    if (!c) {
      c = fieldCipher({ db, kek, table })
      ciphers.set(table, c)
    }
    return c
  }

  return {
    deps,
    db,
    clock,
    config,
    me: config.TRAVEL_RULE_VASP_ID,
    http: deps.fetch ?? fetch,
    kek,
    cipher,
    secretKey() {
      const hex = config.TRAVEL_RULE_SIGNING_KEY
      if (!hex)
        throw new AppError(
          'TRAVEL_RULE_NOT_CONFIGURED',
          503,
          'The Travel Rule protocol is off: set TRAVEL_RULE_SIGNING_KEY to exchange data with other VASPs.',
        )
      return Uint8Array.from(Buffer.from(hex, 'hex'))
    },
    async seal(column, value) {
      return cipher('travel_rule_transfers').encrypt(column, JSON.stringify(value))
    },
    async unseal<T>(column: string, value: string): Promise<T> {
      return JSON.parse(await cipher('travel_rule_transfers').decrypt(column, value)) as T
    },
    ourPerson: () =>
      vaspPerson(config.TRAVEL_RULE_VASP_NAME, config.TRAVEL_RULE_VASP_ID, config.TRAVEL_RULE_COUNTRY),
    async vasp(id) {
      return (await db.selectFrom('travel_rule_vasps').selectAll().where('id', '=', id).executeTakeFirst()) as
        | VaspRow
        | undefined
    },
  }
}
