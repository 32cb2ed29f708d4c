/**
 * @module The account-protection tables: per-user security settings, recovery codes, emailed
 * single-use tokens, devices, passkeys and WebAuthn challenges, the withdrawal whitelist and locks,
 * security alerts, API keys and their replay cache, and the mail outbox.
 */
import type { ColumnType, Generated } from 'kysely'

export interface AccountSecurityTable {
  user_id: string
  /** 'signup' accounts must confirm their email before signing in; 'operator' ones were created by staff/CLI/seed. */
  origin: 'signup' | 'operator'
  email_confirmed_at: Date | null
  anti_phishing_code: string | null
  /** TOTP secret, sealed (AES-256-GCM), or null when not enrolled. */
  totp_secret: string | null
  totp_enabled_at: Date | null
  /** The last accepted TOTP time step: a code for this step or an earlier one is refused (no replay). */
  totp_last_step: ColumnType<string | null, string | null, string | null>
  totp_failures: number
  totp_locked_until: Date | null
  whitelist_enabled: boolean
  /** When the customer asked to turn the whitelist off; it takes effect 24 h later. */
  whitelist_disable_requested_at: Date | null
  password_changed_at: Date | null
  devices_reviewed_at: Date | null
  /** Strength of the current password as scored at the time it was set (0-4). */
  password_score: number | null
  frozen_at: Date | null
  frozen_reason: string | null
}

export interface RecoveryCodesTable {
  id: Generated<string>
  user_id: string
  code_digest: string
  used_at: Date | null
}

export interface EmailTokensTable {
  token_digest: string
  user_id: string
  purpose: 'confirm_email' | 'password_reset' | 'device_approval' | 'wasnt_me' | 'email_change'
  device_id: string | null
  /** For 'email_change': the address being confirmed. */
  new_email: ColumnType<string | null, string | null | undefined, string | null>
  alert_id: string | null
  created_at: Date
  expires_at: Date
  used_at: Date | null
}

export interface DevicesTable {
  id: Generated<string>
  user_id: string
  cookie_digest: string
  user_agent: string
  ip: string
  place: string | null
  status: 'trusted' | 'pending' | 'revoked'
  created_at: Date
  approved_at: Date | null
  last_seen_at: Date
}

export interface SessionDevicesTable {
  session_id: string
  device_id: string
}

export interface PasskeysTable {
  id: string
  user_id: string
  public_key: Uint8Array
  counter: ColumnType<string, string | number, string | number>
  transports: string
  name: string
  created_at: Date
  last_used_at: Date | null
}

export interface WebauthnChallengesTable {
  id: Generated<string>
  user_id: string | null
  purpose: 'register' | 'authenticate'
  challenge: string
  expires_at: Date
  used_at: Date | null
}

export interface SignInTicketsTable {
  token_digest: string
  user_id: string
  stage: 'second_factor' | 'device_approval'
  device_id: string
  user_agent: string
  ip: string
  created_at: Date
  expires_at: Date
  used_at: Date | null
}

export interface WhitelistEntriesTable {
  id: Generated<string>
  user_id: string
  network: string
  /** Canonical form (EVM checksum, bech32 lower case, base58 as is). */
  address: string
  label: string
  created_at: Date
  usable_at: Date
  removed_at: Date | null
}

export interface WithdrawalLocksTable {
  id: Generated<string>
  user_id: string
  reason: string
  started_at: Date
  until: Date
}

export interface SecurityAlertsTable {
  id: Generated<string>
  user_id: string
  kind: string
  at: Date
  details: ColumnType<Record<string, unknown>, string, string>
  wasnt_me_at: Date | null
  /** The session whose action raised the alert (null when none did, e.g. an email link). */
  session_id: ColumnType<string | null, string | null | undefined, string | null>
}

export interface ApiKeysTable {
  id: Generated<string>
  user_id: string
  /** The public key id sent in BW-ACCESS-KEY. */
  access_key: string
  /** The HMAC secret, sealed (AES-256-GCM). */
  secret_sealed: string
  passphrase_digest: string
  label: string
  permissions: string
  allowed_ips: string
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
  /** The session that created the key ("This wasn't me" revokes keys the reported session made). */
  created_session_id: ColumnType<string | null, string | null | undefined, string | null>
  /** The IP of the key's last accepted request. */
  last_used_ip: ColumnType<string | null, string | null | undefined, string | null>
}

/** A failed credential check, counted per account across IPs (sign-in by email, re-auth by user). */
export interface CredentialFailuresTable {
  id: Generated<string>
  kind: 'signin' | 'reauth'
  /** `email:<SHA-256 of the normalised email>` for sign-in, `user:<id>` for re-authentication. */
  subject: string
  at: Date
}

export interface ApiSignaturesTable {
  signature: string
  expires_at: Date
}

export interface MailOutboxTable {
  id: Generated<string>
  to_address: string
  subject: string
  text_body: string
  sent_at: Date
}

export interface AccountsTables {
  account_security: AccountSecurityTable
  recovery_codes: RecoveryCodesTable
  email_tokens: EmailTokensTable
  devices: DevicesTable
  session_devices: SessionDevicesTable
  passkeys: PasskeysTable
  webauthn_challenges: WebauthnChallengesTable
  sign_in_tickets: SignInTicketsTable
  whitelist_entries: WhitelistEntriesTable
  withdrawal_locks: WithdrawalLocksTable
  security_alerts: SecurityAlertsTable
  api_keys: ApiKeysTable
  api_signatures: ApiSignaturesTable
  credential_failures: CredentialFailuresTable
  mail_outbox: MailOutboxTable
}
