/**
 * @module Platform tables: people (customers and staff), sessions, the audit log.
 */
import type { ColumnType, Generated } from 'kysely'

export type UserKind = 'customer' | 'staff'
export type UserStatus = 'active' | 'disabled' | 'frozen'

export interface UsersTable {
  id: Generated<string>
  /** The normalised email, or with a DATA_KEK its sealed `enc1:` form (identity/personal-fields.ts). */
  email: string
  /**
   * How the email is looked up (unique): its keyed hash with a DATA_KEK, else a plain SHA-256 that a
   * trigger fills in for plain rows (migration 1155).
   */
  email_lookup: ColumnType<string, string | undefined, string>
  kind: UserKind
  /** Staff role (see rbac.ts); null for customers. */
  role: string | null
  /** The display name, or with a DATA_KEK its sealed `enc1:` form. */
  display_name: string
  password_hash: string
  status: Generated<UserStatus>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface SessionsTable {
  /** SHA-256 of the session token, hex. The token itself is never stored. */
  id: string
  user_id: string
  csrf_token: string
  user_agent: string
  ip: string
  created_at: Date
  last_seen_at: Date
  /** Absolute expiry: the session ends then whatever the activity. */
  expires_at: Date
  revoked_at: Date | null
  /** Last fresh proof of a credential after sign-in (see http/reauth.ts; added by 0102_accounts). */
  reauthenticated_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface AuditLogTable {
  seq: ColumnType<bigint, bigint, never>
  at: ColumnType<Date, Date, never>
  actor: string
  action: string
  target: string
  details: ColumnType<Record<string, unknown>, string, never>
  prev_hash: string
  hash: string
}

/** The Merkle leaf hash of each audit entry (see audit-log/tree.ts); insert-only like the log. */
export interface AuditLeavesTable {
  seq: bigint
  /** SHA-256(0x00 ‖ canonical entry bytes), hex. */
  leaf_hash: string
}

export interface StaffInvitesTable {
  token_digest: string
  user_id: string
  invited_by: string
  created_at: Date
  expires_at: Date
  accepted_at: Date | null
}

/** Facts about this install decided by the database, not the environment (see settings.ts). */
export interface PlatformSettingsTable {
  key: string
  /** JSON; written as a JSON string. */
  value: ColumnType<Record<string, unknown>, string, string>
  set_at: Date
}

export interface PlatformTables {
  platform_settings: PlatformSettingsTable
  staff_invites: StaffInvitesTable
  users: UsersTable
  sessions: SessionsTable
  audit_log: AuditLogTable
  audit_leaves: AuditLeavesTable
}
