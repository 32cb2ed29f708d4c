/**
 * @module A Kysely dialect for embedded PGlite. PGlite is one PostgreSQL backend in-process with a
 * single connection, so the driver hands that connection to one user at a time (a transaction holds
 * it until commit/rollback) and queues the rest. The queue belongs to the PGlite instance, not to one
 * Kysely, so several Kysely instances over one engine (tests run two apps side by side) never
 * interleave inside each other's transactions; each may name its own schema, set as the
 * `search_path` whenever the connection passes to it. SQL, adapter and introspection are Kysely's own
 * PostgreSQL parts: there is one dialect of SQL in Bulwark, whichever engine runs it.
 */
import type { PGlite } from '@electric-sql/pglite'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

/** One engine's single connection: who may use it next, and the schema it currently searches. */
type Lane = { queue: Promise<void>; searchPath: string | null }
const lanes = new WeakMap<PGlite, Lane>()

function laneOf(pglite: PGlite): Lane {
  let lane = lanes.get(pglite)
  if (!lane) {
    lane = { queue: Promise.resolve(), searchPath: null }
    lanes.set(pglite, lane)
  }
  return lane
}

export type PGliteDialectOptions = {
  /** The schema this Kysely reads and writes (tests use one per database); default: as set on the engine. */
  schema?: string
}

export function createPGliteDialect(pglite: PGlite, options: PGliteDialectOptions = {}): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PGliteDriver(pglite, options.schema ?? null),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  }
}

class PGliteConnection implements DatabaseConnection {
  private readonly pglite: PGlite
  constructor(pglite: PGlite) {
    this.pglite = pglite
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters use the simple-query protocol, which (like pg's) accepts several
    // statements at once: migrations are written that way.
    const result =
      query.parameters.length === 0
        ? ((await this.pglite.exec(query.sql, { rowMode: 'object' })).at(-1) ?? { rows: [], affectedRows: 0 })
        : await this.pglite.query<R>(query.sql, query.parameters as unknown[], { rowMode: 'object' })
    const affected = result.affectedRows
    return {
      rows: result.rows as R[],
      ...(affected === undefined ? {} : { numAffectedRows: BigInt(affected) }),
    }
  }

  // biome-ignore lint/correctness/useYield: streaming is not supported by PGlite; callers get an error.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries')
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection
  private readonly pglite: PGlite
  private readonly lane: Lane
  private readonly schema: string | null

  constructor(pglite: PGlite, schema: string | null) {
    this.pglite = pglite
    this.lane = laneOf(pglite)
    this.schema = schema
    this.connection = new PGliteConnection(pglite)
  }

  async init(): Promise<void> {
    await this.pglite.waitReady
  }

  /** Waits for the single connection; the returned connection is exclusive until released. */
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void
    const previous = this.lane.queue
    this.lane.queue = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    if (this.schema !== null && this.lane.searchPath !== this.schema) {
      try {
        await this.pglite.exec(`set search_path to "${this.schema.replaceAll('"', '""')}"`)
      } catch (error) {
        release()
        throw error
      }
      this.lane.searchPath = this.schema
    }
    this.releases.set(this.connection, release)
    return this.connection
  }

  private readonly releases = new Map<DatabaseConnection, () => void>()

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : ''
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}`))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.releases.get(connection)
    this.releases.delete(connection)
    release?.()
  }

  async destroy(): Promise<void> {
    // The owner of the PGlite instance closes it (tests share one per worker).
  }
}
