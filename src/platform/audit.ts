/**
 * @module The audit log. Each entry is chained to the one before it:
 *   hash = SHA-256(prevHash ‖ UTF-8(RFC 8785 canonical JSON of {seq, at, actor, action, target, details}))
 * with prevHash of the first entry = 32 zero bytes, and is also a leaf of a Merkle tree in the
 * manner of Certificate Transparency (leaf = the same canonical JSON; see audit-log/tree.ts), whose
 * heads are signed with a key kept outside the database. The table is insert-only (a trigger
 * refuses UPDATE/DELETE/TRUNCATE); `verifyAuditChain` finds the first entry that was changed,
 * removed or reordered by anyone who went around the trigger *without* recomputing the chain;
 * only a signed tree head taken earlier catches someone who did (`verifySince`). With a KEK
 * configured, personal values in `details` are sealed before the entry is hashed, so the chain
 * hashes them as stored and verifying needs no key (audit-personal.ts). The exact layout is in
 * docs/security-model.md.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import canonicalize from 'canonicalize'
import { type Kysely, sql, type Transaction } from 'kysely'
import { leafHash } from './audit-log/merkle.ts'
import { auditSealingKek, sealPersonalDetails } from './audit-personal.ts'
import type { Database, Db } from './db/index.ts'

export const GENESIS_HASH = '0'.repeat(64)
/** Arbitrary constant naming the advisory lock that serialises appends. */
const AUDIT_LOCK_KEY = 7_243_001

export type AuditInput = {
  /** Who acted: `user:<id>`, `staff:<id>`, `system`, `cli`, or `anonymous`. */
  actor: string
  /** What happened, dotted lower case: `auth.signin`, `staff.role_changed`, `por.round_published`. */
  action: string
  /** What it happened to: `user:<id>`, `round:<id>`, or '' when nothing in particular. */
  target: string
  /** Facts about the action. Never secrets; amounts as strings. */
  details?: Record<string, unknown>
  at?: Date
}

export type AuditEntry = {
  seq: bigint
  at: Date
  actor: string
  action: string
  target: string
  details: Record<string, unknown>
  prevHash: string
  hash: string
}

/**
 * The canonical bytes of an entry: UTF-8 of the RFC 8785 JSON of {seq, at, actor, action, target,
 * details}. The chain hashes them after prevHash; the Merkle tree takes them as the leaf.
 */
export function auditEntryBytes(entry: Omit<AuditEntry, 'prevHash' | 'hash'>): Uint8Array {
  const canonical = canonicalize({
    seq: Number(entry.seq),
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    details: entry.details,
  })
  if (canonical === undefined) throw new Error('audit entry cannot be canonicalised')
  return utf8ToBytes(canonical)
}

/** The bytes hashed for an entry: prevHash ‖ canonical JSON. Exported for independent verifiers. */
export function auditEntryHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const body = auditEntryBytes(entry)
  const prev = hexToBytes(prevHash)
  const message = new Uint8Array(prev.length + body.length)
  message.set(prev, 0)
  message.set(body, prev.length)
  return bytesToHex(sha256(message))
}

type Executor = Db | Transaction<Database>

/**
 * Appends one entry, inside the caller's transaction when given one (so the entry commits or
 * rolls back with the action it records), else in its own.
 * @example await appendAudit(tx, { actor: `staff:${id}`, action: 'staff.role_changed', target: `user:${u}`, details: { from, to } })
 */
export async function appendAudit(executor: Executor, input: AuditInput): Promise<AuditEntry> {
  if (executor.isTransaction) return appendInTransaction(executor as Transaction<Database>, input)
  return executor.transaction().execute((tx) => appendInTransaction(tx, input))
}

async function appendInTransaction(tx: Transaction<Database>, input: AuditInput): Promise<AuditEntry> {
  await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(tx)
  const last = await tx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
  const at = input.at ?? new Date()
  const plain = JSON.parse(JSON.stringify(input.details ?? {})) as Record<string, unknown>
  const kek = auditSealingKek(tx)
  const details = kek ? await sealPersonalDetails(tx, kek, at, plain) : plain
  const base = {
    seq: (last?.seq ?? 0n) + 1n,
    at,
    actor: input.actor,
    action: input.action,
    target: input.target,
    details,
  }
  const prevHash = last?.hash ?? GENESIS_HASH
  const hash = auditEntryHash(prevHash, base)
  await tx
    .insertInto('audit_log')
    .values({ ...base, details: JSON.stringify(details), prev_hash: prevHash, hash })
    .execute()
  // The Merkle leaf hash, kept beside the entry: not trusted on its own, but once a signed tree
  // head confirms these, they name the first entry that was rewritten (see audit-log/tree.ts).
  await tx
    .insertInto('audit_leaves')
    .values({ seq: base.seq, leaf_hash: bytesToHex(leafHash(auditEntryBytes(base))) })
    .execute()
  return { ...base, prevHash, hash }
}

export type AuditProblem = 'changed' | 'removed' | 'reordered'

export type AuditVerifyResult =
  | { intact: true; entries: number; head: { seq: string; hash: string } | null }
  | {
      intact: false
      entries: number
      /** The first position where the chain breaks. */
      seq: string
      problem: AuditProblem
      message: string
    }

/**
 * Walks the whole chain in order and reports "intact" or the first entry that was changed,
 * removed or reordered. Reads in pages so a long log does not need to fit in memory.
 */
export async function verifyAuditChain(db: Kysely<Database>, pageSize = 5000): Promise<AuditVerifyResult> {
  let expectedSeq = 1n
  let prevHash = GENESIS_HASH
  let checked = 0
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute()
    for (const row of rows) {
      const seq = BigInt(row.seq)
      if (seq !== expectedSeq) {
        return broken(
          checked,
          expectedSeq,
          'removed',
          `Entry ${expectedSeq} is missing: the log jumps to ${seq}.`,
        )
      }
      const recomputed = auditEntryHash(row.prev_hash, {
        seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: row.target,
        details: row.details,
      })
      if (recomputed !== row.hash) {
        return broken(checked, seq, 'changed', `Entry ${seq} was changed after it was written.`)
      }
      if (row.prev_hash !== prevHash) {
        return broken(
          checked,
          seq,
          'reordered',
          `Entry ${seq} does not follow entry ${seq - 1n}: entries were reordered or replaced.`,
        )
      }
      prevHash = row.hash
      expectedSeq = seq + 1n
      checked++
    }
    if (rows.length < pageSize) break
  }
  return {
    intact: true,
    entries: checked,
    head: checked === 0 ? null : { seq: String(expectedSeq - 1n), hash: prevHash },
  }
}

function broken(entries: number, seq: bigint, problem: AuditProblem, message: string): AuditVerifyResult {
  return { intact: false, entries, seq: String(seq), problem, message }
}
