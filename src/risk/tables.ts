/**
 * @module Risk tables: the stored event history (timelines, backtests, training), the alerts the
 * engine raises, and analyst cases with notes. A case resolution (fraud / not_fraud) is the label
 * the next training run reads.
 */
import type { ColumnType, Generated } from 'kysely'
import type { CaseLinkKind, SystemCaseSource } from './cases.ts'

type Json<T> = ColumnType<T, string, string>

export interface RiskEventsTable {
  id: string
  at: Date
  account: string | null
  type: string
  body: Json<Record<string, unknown>>
  received_at: Generated<Date>
}

export type AlertStatus = 'open' | 'in_case' | 'closed'
export interface RiskAlertsTable {
  id: Generated<string>
  created_at: Date
  event_id: string
  account: string | null
  event_type: string
  decision: 'allow' | 'review' | 'block'
  score: number
  reasons: Json<{ code: string; text: string; score: number }[]>
  sources: Json<string[]>
  rules_version: string
  models: Json<Record<string, string>>
  status: Generated<AlertStatus>
  case_id: string | null
}

export type CaseStatus = 'open' | 'resolved'
export type CaseResolution = 'fraud' | 'not_fraud'
export interface RiskCasesTable {
  id: Generated<string>
  account: string
  status: Generated<CaseStatus>
  assignee: string | null
  resolution: CaseResolution | null
  created_at: Date
  /** The staff member who opened it; null when the system did (`opened_by = 'system'`). */
  created_by: string | null
  opened_by: ColumnType<'staff' | 'system', 'staff' | 'system' | undefined, never>
  /** What opened a system case (`deposit_screening`, `identity_duplicate`); null for staff cases. */
  source: ColumnType<SystemCaseSource | null, SystemCaseSource | null | undefined, never>
  /** One per source event: the same deposit or duplicate never opens a second case. */
  source_key: ColumnType<string | null, string | null | undefined, never>
  /** Why a system case was opened (staff cases: empty, their alerts say why). */
  reasons: ColumnType<{ code: string; text: string }[], string | undefined, string>
  updated_at: Date
  resolved_at: Date | null
  resolved_by: string | null
}

/** What else a case concerns: the accounts of a duplicate, the held deposit, the verification. */
export interface RiskCaseLinksTable {
  case_id: string
  kind: CaseLinkKind
  ref: string
}

export interface RiskCaseNotesTable {
  id: Generated<string>
  case_id: string
  author: string
  body: string
  created_at: Date
}

/** Rule documents enabled over time; the newest is the one in force (survives restarts). */
export interface RiskRuleSetsTable {
  id: Generated<string>
  version: string
  document: Json<Record<string, unknown>>
  enabled_at: Date
  enabled_by: string
}

export interface RiskTables {
  risk_rule_sets: RiskRuleSetsTable
  risk_events: RiskEventsTable
  risk_alerts: RiskAlertsTable
  risk_cases: RiskCasesTable
  risk_case_notes: RiskCaseNotesTable
  risk_case_links: RiskCaseLinksTable
}
