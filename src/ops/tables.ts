/**
 * @module Operations tables (migrations 0800-0802): support tickets, the bug bounty, the
 * third-party audit register.
 */
import type { ColumnType, Generated } from 'kysely'

export type TicketType = 'question' | 'frozen_account' | 'p2p_dispute'
export type TicketCategory = 'account' | 'funds' | 'p2p' | 'security' | 'other'
export type TicketPriority = 'urgent' | 'high' | 'normal' | 'low'
export type TicketStatus = 'open' | 'waiting_customer' | 'resolved'
export type MessageKind = 'customer' | 'staff' | 'internal' | 'system'

export interface OpsTicketsTable {
  id: Generated<string>
  number: ColumnType<bigint, never, never>
  customer_id: string
  type: TicketType
  category: TicketCategory
  subject: string
  priority: TicketPriority
  status: TicketStatus
  assignee_id: string | null
  p2p_order_id: string | null
  alert_id: string | null
  source_page: Generated<string>
  /** SHA-256 of the token customers quote to reply by email; the token itself is only mailed. */
  reply_token_digest: string
  created_at: Date
  updated_at: Date
  first_response_due_at: Date
  resolution_due_at: Date
  first_response_at: Date | null
  resolved_at: Date | null
}

export interface OpsTicketMessagesTable {
  id: Generated<string>
  /** Order of writing (several messages can share a timestamp). */
  seq: ColumnType<bigint, never, never>
  ticket_id: string
  author_id: string | null
  /** `internal`: a staff note the customer never sees. */
  kind: MessageKind
  via: 'web' | 'email' | 'system'
  body: string
  at: Date
}

export interface OpsTicketAttachmentsTable {
  id: Generated<string>
  ticket_id: string
  message_id: string
  file_name: string
  content_type: string
  size: number
  sha256: string
  content: Uint8Array
}

export interface OpsMacrosTable {
  id: Generated<string>
  title: string
  body: string
  created_by: string | null
  created_at: Date
}

export type BountyStatus =
  | 'unconfirmed'
  | 'new'
  | 'triaged'
  | 'fixed'
  | 'rewarded'
  | 'disclosed'
  | 'duplicate'

export interface OpsBountyReportsTable {
  id: Generated<string>
  number: ColumnType<bigint, never, never>
  email: string
  handle: string
  title: string
  description: string
  affected: string
  status: BountyStatus
  confirm_token_digest: string | null
  created_at: Date
  confirmed_at: Date | null
  cvss_vector: string | null
  cvss_score_tenths: number | null
  severity: string | null
  triaged_by: string | null
  triaged_at: Date | null
  fixed_at: Date | null
  duplicate_of: string | null
  /** Reward in US cents (numeric(20,0), bigint in code). */
  reward_cents: ColumnType<string | null, bigint | string | null, bigint | string | null>
  reward_proposed_by: string | null
  reward_approved_by: string | null
  rewarded_at: Date | null
  disclosed_at: Date | null
  disclosure: string | null
}

export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info'
export type FindingStatus = 'open' | 'fixed' | 'closed' | 'accepted'

export interface OpsAuditsTable {
  id: Generated<string>
  firm: string
  scope: string
  started_on: string
  ended_on: string | null
  status: 'planned' | 'in_progress' | 'completed'
  report_name: string | null
  report_sha256: string | null
  report: Uint8Array | null
  created_by: string | null
  created_at: Date
}

export interface OpsAuditFindingsTable {
  id: Generated<string>
  audit_id: string
  title: string
  severity: FindingSeverity
  owner: string
  due_on: string
  status: FindingStatus
  fix_commit: string | null
  /** The day security admins were last alerted that this finding is overdue (once a day). */
  overdue_alerted_on: string | null
  created_at: Date
}

export interface OpsAuditRetestsTable {
  id: Generated<string>
  finding_id: string
  result: 'pass' | 'fail'
  note: string
  by_id: string
  at: Date
}

export interface OpsTables {
  ops_tickets: OpsTicketsTable
  ops_ticket_messages: OpsTicketMessagesTable
  ops_ticket_attachments: OpsTicketAttachmentsTable
  ops_macros: OpsMacrosTable
  ops_bounty_reports: OpsBountyReportsTable
  ops_audits: OpsAuditsTable
  ops_audit_findings: OpsAuditFindingsTable
  ops_audit_retests: OpsAuditRetestsTable
}
