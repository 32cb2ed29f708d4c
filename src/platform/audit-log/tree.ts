/**
 * @module The audit log as a transparency log: entry i (seq i + 1) is leaf i of an RFC 9162 Merkle
 * tree whose leaf bytes are the entry's canonical JSON (`auditEntryBytes`). Everything here
 * recomputes leaves from the entries themselves, streamed in pages, so a proof or a verification
 * reflects what the database holds now, and memory stays O(page + log n) however long the log.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { sql } from 'kysely'
import { auditEntryBytes } from '../audit.ts'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import {
  consistencyRanges,
  inclusionRanges,
  type LeafRange,
  leafHash,
  RangeHasher,
  verifyConsistency,
} from './merkle.ts'
import { type SignedTreeHead, type TreeHeadSigner, verifyTreeHead } from './tree-head.ts'

const PAGE_SIZE = 5000

type Leaf = { seq: bigint; leaf: Uint8Array; stored: string | null }

/**
 * Entries in seq order after `afterSeq`, at most `limit`, as recomputed leaf hashes (and the stored
 * ones when `withStored`). Each page is two range scans on primary keys, never a join over the log.
 */
async function* leafPages(
  db: Db,
  limit: number,
  { afterSeq = 0n, withStored = false }: { afterSeq?: bigint; withStored?: boolean } = {},
): AsyncGenerator<Leaf[]> {
  let after = afterSeq
  let left = limit
  while (left > 0) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'actor', 'action', 'target', 'details'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(Math.min(PAGE_SIZE, left))
      .execute()
    if (rows.length === 0) return
    const last = BigInt(rows[rows.length - 1]!.seq)
    const stored = new Map<bigint, string>()
    if (withStored) {
      const leaves = await db
        .selectFrom('audit_leaves')
        .select(['seq', 'leaf_hash'])
        .where('seq', '>', after)
        .where('seq', '<=', last)
        .execute()
      for (const l of leaves) stored.set(BigInt(l.seq), l.leaf_hash)
    }
    yield rows.map((row) => {
      const seq = BigInt(row.seq)
      return { seq, leaf: leafHash(auditEntryBytes({ ...row, seq })), stored: stored.get(seq) ?? null }
    })
    after = last
    left -= rows.length
  }
}

/** The number of entries, i.e. the current tree size. */
export async function auditTreeSize(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from audit_log`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * Streams the first `size` entries once, computing the MTH of each range and the root at each size.
 * @example const h = await hashAuditTree(db, 1000, inclusionRanges(4, 1000), [1000])
 */
export async function hashAuditTree(
  db: Db,
  size: number,
  ranges: readonly LeafRange[] = [],
  sizes: readonly number[] = [size],
): Promise<RangeHasher> {
  const hasher = new RangeHasher(ranges, sizes)
  for await (const page of leafPages(db, size)) for (const { leaf } of page) hasher.push(leaf)
  if (hasher.size < size) {
    throw new AppError(
      'AUDIT_TREE_SHORT',
      409,
      `The audit log holds ${hasher.size} entries, fewer than ${size}.`,
    )
  }
  return hasher
}

export type AuditTreeHeads = {
  /** The current tree head, signed now. */
  signedHead(): Promise<SignedTreeHead>
  publicKey(): string
}

/**
 * Signed heads of the current log. The root is kept incrementally in memory: each call reads only
 * the entries appended since the last one, so the public head route stays cheap on a long log.
 */
export function createAuditTreeHeads(deps: { db: Db; signer: TreeHeadSigner }): AuditTreeHeads {
  const hasher = new RangeHasher([])
  let lastSeq = 0n
  let queue: Promise<unknown> = Promise.resolve()
  async function catchUp() {
    for await (const page of leafPages(deps.db, Number.MAX_SAFE_INTEGER, { afterSeq: lastSeq })) {
      for (const { seq, leaf } of page) {
        hasher.push(leaf)
        lastSeq = seq
      }
    }
  }
  return {
    publicKey: () => deps.signer.publicKey(),
    signedHead() {
      // One catch-up at a time, so two requests never push the same entries twice.
      const next = queue.then(async () => {
        await catchUp()
        return deps.signer.sign({ size: hasher.size, root: bytesToHex(hasher.root()) })
      })
      queue = next.catch(() => undefined)
      return next
    },
  }
}

export type InclusionProof = {
  seq: string
  leafIndex: number
  treeSize: number
  /** The entry's canonical bytes as UTF-8 text: the leaf is SHA-256(0x00 ‖ these bytes). */
  leaf: string
  leafHash: string
  root: string
  proof: string[]
}

/** Inclusion proof of entry `seq` in the tree of `treeSize` entries (default: all of them). */
export async function auditInclusionProof(db: Db, seq: bigint, treeSize?: number): Promise<InclusionProof> {
  const size = treeSize ?? (await auditTreeSize(db))
  const index = Number(seq - 1n)
  if (seq < 1n || index >= size) {
    throw new AppError('AUDIT_ENTRY_OUT_OF_RANGE', 404, `Entry ${seq} is not in a tree of ${size} entries.`)
  }
  const entry = await db.selectFrom('audit_log').selectAll().where('seq', '=', seq).executeTakeFirst()
  if (!entry) throw new AppError('AUDIT_ENTRY_OUT_OF_RANGE', 404, `Entry ${seq} is not in the log.`)
  const hasher = await hashAuditTree(db, size, inclusionRanges(index, size))
  const bytes = auditEntryBytes({ ...entry, seq: BigInt(entry.seq) })
  return {
    seq: String(seq),
    leafIndex: index,
    treeSize: size,
    leaf: new TextDecoder().decode(bytes),
    leafHash: bytesToHex(leafHash(bytes)),
    root: bytesToHex(hasher.rootAt(size)),
    proof: hasher.rangeHashes().map(bytesToHex),
  }
}

export type ConsistencyProof = { from: number; to: number; fromRoot: string; toRoot: string; proof: string[] }

/** Consistency proof between the trees of `from` and `to` entries (default: all of them). */
export async function auditConsistencyProof(db: Db, from: number, to?: number): Promise<ConsistencyProof> {
  const size = to ?? (await auditTreeSize(db))
  if (from > size) {
    throw new AppError(
      'AUDIT_TREE_SIZE_OUT_OF_RANGE',
      404,
      `A tree of ${from} entries cannot be a prefix of one of ${size}.`,
    )
  }
  const hasher = await hashAuditTree(db, size, consistencyRanges(from, size), [from, size])
  return {
    from,
    to: size,
    fromRoot: bytesToHex(hasher.rootAt(from)),
    toRoot: bytesToHex(hasher.rootAt(size)),
    proof: hasher.rangeHashes().map(bytesToHex),
  }
}

export type VerifySinceResult =
  | { consistent: true; from: number; to: number; root: string; message: string }
  | {
      consistent: false
      from: number
      to: number
      /** The first entry that differs from the head, when it can be named. */
      seq: string | null
      problem: 'signature' | 'key' | 'changed' | 'removed' | 'unknown'
      message: string
    }

/**
 * Checks that the log now extends the log an earlier signed head described: the head's
 * signature, then a consistency proof from its size to the current one over leaves recomputed
 * from the entries. On failure it names the first entry that differs when the stored leaf hashes
 * let it: they are trusted only if their own tree matches the signed head.
 * @example const result = await verifySince(db, JSON.parse(readFileSync('head.json', 'utf8')), signer.publicKey())
 */
export async function verifySince(
  db: Db,
  head: SignedTreeHead,
  trustedKey?: string,
): Promise<VerifySinceResult> {
  const m = head.size
  const n = await auditTreeSize(db)
  const fail = (
    problem: Exclude<VerifySinceResult, { consistent: true }>['problem'],
    seq: bigint | null,
    message: string,
  ): VerifySinceResult => ({
    consistent: false,
    from: m,
    to: n,
    seq: seq === null ? null : String(seq),
    problem,
    message,
  })

  if (trustedKey !== undefined && trustedKey.toLowerCase() !== head.publicKey) {
    return fail(
      'key',
      null,
      `The head was signed by key ${head.publicKey}, not by this log's key ${trustedKey}.`,
    )
  }
  if (!verifyTreeHead(head)) {
    return fail(
      'signature',
      null,
      'The head’s signature does not verify: the file was altered or not issued by this log.',
    )
  }

  const hasher = new RangeHasher(m <= n ? consistencyRanges(m, n) : [], [Math.min(m, n), n])
  const stored = new RangeHasher([], [Math.min(m, n)])
  let gap: bigint | null = null
  let firstChanged: bigint | null = null
  let index = 0
  for await (const page of leafPages(db, n, { withStored: true })) {
    for (const { seq, leaf, stored: storedHex } of page) {
      if (gap === null && seq !== BigInt(index + 1)) gap = BigInt(index + 1)
      hasher.push(leaf)
      if (index < m) {
        stored.push(storedHex ? hexToBytes(storedHex) : new Uint8Array(32))
        if (firstChanged === null && storedHex !== bytesToHex(leaf)) firstChanged = seq
      }
      index++
    }
  }
  if (m > n) {
    return fail(
      'removed',
      BigInt(n + 1),
      `The log has ${n} entries, fewer than the ${m} of the head: entries were removed.`,
    )
  }
  const oldRoot = hexToBytes(head.root)
  const newRoot = hasher.rootAt(n)
  if (verifyConsistency(m, n, oldRoot, newRoot, hasher.rangeHashes())) {
    return {
      consistent: true,
      from: m,
      to: n,
      root: bytesToHex(newRoot),
      message: `consistent: the ${m} entries of the head are unchanged and ${n - m} were appended since.`,
    }
  }
  if (gap !== null && gap <= BigInt(m)) {
    return fail(
      'removed',
      gap,
      `Entry ${gap} is missing: the log no longer matches the head of ${m} entries.`,
    )
  }
  if (firstChanged !== null && bytesToHex(stored.rootAt(m)) === head.root) {
    return fail(
      'changed',
      firstChanged,
      `Entry ${firstChanged} was changed after the head of ${m} entries was signed.`,
    )
  }
  return fail(
    'unknown',
    null,
    `The log no longer matches the head of ${m} entries, and its stored leaf hashes were rewritten too, so the first changed entry cannot be named from the database: compare with an export or backup.`,
  )
}
