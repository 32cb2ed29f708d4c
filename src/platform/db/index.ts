/**
 * @module Opens the database: embedded PGlite persisted in DATA_DIR by default, or a PostgreSQL
 * server through `pg` when DATABASE_URL is set. Both speak the same SQL and run the same
 * migrations. 64-bit integers come back as `bigint` from both engines.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { createPGliteDialect } from './pglite-dialect.ts'
import type { Database } from './schema.ts'

export type Db = Kysely<Database>
export type { Database } from './schema.ts'

export type DatabaseHandle = {
  db: Db
  engine: 'pglite' | 'postgres'
  close(): Promise<void>
}

export type OpenDatabaseOptions = {
  /** postgres:// URL; when absent, PGlite in `dataDir`. */
  databaseUrl?: string | undefined
  /** Directory for PGlite's files; `memory://` keeps everything in memory. */
  dataDir?: string
  /** Schema to place and find tables in (tests use one schema per file). Default: public. */
  schema?: string
}

const INT8_OID = 20

/** Opens the configured database. The caller owns the handle and must `close()` it. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as never,
      },
    })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return { db, engine: 'postgres', close: () => db.destroy() }
  }
  const dataDir = options.dataDir ?? './data'
  const target = dataDir.startsWith('memory://') ? dataDir : path.resolve(dataDir, 'pglite')
  if (!target.startsWith('memory://')) mkdirSync(target, { recursive: true })
  const pglite = await createPGlite(target)
  if (options.schema) await pglite.exec(`set search_path to ${quoteIdent(options.schema)}`)
  const db = kyselyOverPGlite(pglite)
  return {
    db,
    engine: 'pglite',
    async close() {
      await db.destroy()
      await pglite.close()
    },
  }
}

/** Quotes an SQL identifier (schema names in tests are generated, but quote anyway). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Creates a PGlite engine with Bulwark's type parsing (int8 -> bigint). */
export function createPGlite(dataDir: string): Promise<PGlite> {
  return PGlite.create(dataDir, { parsers: { [pgliteTypes.INT8]: (value: string) => BigInt(value) } })
}

/** A Kysely instance over an existing PGlite engine (tests share one engine per worker). */
export function kyselyOverPGlite(pglite: PGlite, schema?: string): Db {
  return new Kysely<Database>({
    dialect: createPGliteDialect(pglite, schema === undefined ? {} : { schema }),
  })
}
