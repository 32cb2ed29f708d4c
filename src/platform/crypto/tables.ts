/**
 * @module Tables of the personal-data encryption (see field-encryption.ts): the wrapped data keys.
 * Migration 1100 also adds `sessions.ip_search`, the keyed hash of a session's IP address once the
 * address itself is encrypted (read and written through `sql`, as sessions' type is the platform's).
 */
export interface DataKeysTable {
  /** 16 hex digits, named in every value it sealed. */
  id: string
  table_name: string
  purpose: 'data' | 'search'
  /** Fingerprint of the KEK that wraps it. */
  kek_id: string
  /** base64(iv ‖ AES-256-GCM(KEK, key)). */
  wrapped: string
  created_at: Date
  retired_at: Date | null
}

export interface DataProtectionTables {
  data_keys: DataKeysTable
}
