/**
 * @module Proof-of-reserves tables: one row per round, moving create → imported → built → reviewed →
 * published. A published row is immutable (a trigger refuses updates and deletes); the tree itself lives in the
 * round directory under DATA_DIR/por/rounds/<id>.
 */
import type { ColumnType, Generated } from 'kysely'

export type RoundStatus = 'created' | 'imported' | 'built' | 'reviewed' | 'published'

export interface PorRoundsTable {
  id: string
  status: Generated<RoundStatus>
  created_at: Generated<Date>
  created_by: string
  imported_at: Date | null
  built_at: Date | null
  built_by: string | null
  reviewed_at: Date | null
  reviewed_by: string | null
  published_at: Date | null
  published_by: string | null
  root: string | null
  depth: number | null
  /** round.json of the built round. */
  summary: ColumnType<unknown | null, string | null, string | null>
  /** Reserves per asset in smallest units, { SYMBOL: "123" }, from the reserves file. */
  reserves: ColumnType<Record<string, string> | null, string | null, string | null>
  /** Users, leaves and phase timings of the build. */
  build_report: ColumnType<unknown | null, string | null, string | null>
  /** The signed audit tree head at publication (JSON), null before. */
  audit_head: ColumnType<unknown | null, string | null | undefined, string | null>
  /** The round's reserve challenge (src/por/reserves/challenge.ts), drawn by the server. */
  challenge: ColumnType<unknown | null, string | null | undefined, string | null>
  /** What the build verified about the reserves, per wallet (see ReserveCheck in rounds.ts). */
  reserve_check: ColumnType<unknown | null, string | null | undefined, string | null>
  /** A recorded exemption { by, reason, at } letting unverified reserves be published as declared. */
  reserve_exemption: ColumnType<unknown | null, string | null | undefined, string | null>
  /** The insurance fund per asset from the custody ledger when the round was built. */
  insurance_fund: ColumnType<unknown | null, string | null | undefined, string | null>
}

export interface PorTables {
  por_rounds: PorRoundsTable
}
