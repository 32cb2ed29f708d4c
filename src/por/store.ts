/**
 * @module A round directory on disk and reading it back: the public summary (round.json), the private parameters
 * (private.json: round secret, never published), the leaf file, the stored tree levels and the user index.
 * Extracting a proof reads one block of 16 leaves and one record per upper level: well under a millisecond.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../platform/errors.ts'
import { foldChunk, leafRecordSize } from './chunk.ts'
import { hash64 } from './keytable.ts'
import { type HashBackend, sha256For } from './sha.ts'
import {
  type AssetRef,
  bytesEqual,
  fromHex,
  leafAsNode,
  MODE_MERKLE_SUM,
  nodeSize,
  POR_VERSION,
  padNode,
  type Sha256,
  userHash,
  userNonce,
} from './verify/layout.ts'
import type { PorProof, ProofSibling } from './verify/proof.ts'
import { nodeSums } from './verify/verify.ts'

/** File names inside a round directory. */
export const ROUND_FILES = {
  summary: 'round.json',
  private: 'private.json',
  auditor: 'auditor.json',
  leaves: 'leaves.bin',
  index: 'index.bin',
  level: (l: number) => `level-${String(l).padStart(2, '0')}.bin`,
} as const

/** The public round summary (published; the root is the commitment customers check against). */
export interface RoundSummary {
  format: 'bulwark-por-round'
  version: number
  mode: number
  roundId: string
  createdAt: string
  depth: number
  assets: AssetRef[]
  root: string
  topHash: string
  /** Per-asset totals of the tree, smallest units as decimal strings. */
  totals: { symbol: string; equity: string; debt: string }[]
  split: number
  exemptions: { count: number; listHash: string }
}

/** Private round parameters: never leave the operator (the secret derives every nonce). */
export interface RoundPrivate {
  roundSecret: string
  users: number
  indexSlots: number
}

/**
 * What an auditor gets besides round.json and the tree files: the padding key (not the round secret, so user
 * ids stay hidden), the leaf count, prices and haircuts, and the recorded collateral exemptions.
 */
export interface RoundAuditor {
  padKey: string
  leafCount: number
  storeFrom: number
  assets: { symbol: string; decimals: number; priceUsd: string; haircut: string }[]
  exemptions: string[]
  exemptedUndercollateralised: string[]
}

/** An open round directory. Call close() when done. */
export interface OpenRound {
  dir: string
  summary: RoundSummary
  /** Undefined for an auditor package (no private.json): proof() is then unavailable. */
  priv: RoundPrivate | undefined
  auditor: RoundAuditor
  /** Extracts the proof of `userId`; throws POR_USER_NOT_FOUND if the user has no leaf in this round. */
  proof(userId: string): PorProof
  /** The stored node at (level, index) in node form, or undefined if that level is not stored. */
  node(level: number, index: number): Uint8Array | undefined
  close(): void
}

function readExact(fd: number, length: number, position: number): Uint8Array {
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done)
    if (n === 0) throw new AppError('POR_ROUND_CORRUPT', 500, 'round file is shorter than expected')
    done += n
  }
  return out
}

/** Opens a round directory built by buildRound. */
export function openRound(dir: string, hash: HashBackend = 'openssl'): OpenRound {
  const summaryPath = join(dir, ROUND_FILES.summary)
  if (!existsSync(summaryPath))
    throw new AppError('POR_ROUND_NOT_FOUND', 404, `${dir} is not a round directory`)
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RoundSummary
  const privPath = join(dir, ROUND_FILES.private)
  const priv = existsSync(privPath) ? (JSON.parse(readFileSync(privPath, 'utf8')) as RoundPrivate) : undefined
  const auditor = readAuditor(dir)
  const sha256: Sha256 = sha256For(hash)
  const k = summary.assets.length
  const size = nodeSize(k)
  const leafSize = leafRecordSize(k)
  const secret = priv ? fromHex(priv.roundSecret) : new Uint8Array(32)
  const key = fromHex(auditor.padKey)
  const fds = new Map<string, number>()
  const fd = (name: string) => {
    let f = fds.get(name)
    if (f === undefined) {
      f = openSync(join(dir, name), 'r')
      fds.set(name, f)
    }
    return f
  }
  const countAt = (level: number) => Math.ceil(auditor.leafCount / 2 ** level)

  const node = (level: number, index: number): Uint8Array | undefined => {
    if (index >= countAt(level)) return padNode(sha256, key, level, index, k)
    if (level === 0) {
      const rec = readExact(fd(ROUND_FILES.leaves), leafSize, index * leafSize)
      return leafAsNode(rec.subarray(0, 32), rec.subarray(64))
    }
    if (level < auditor.storeFrom) return undefined
    return readExact(fd(ROUND_FILES.level(level)), size, index * size)
  }

  const findPositions = (userId: string, piece: number): number[] => {
    const id = new TextEncoder().encode(userId)
    const [lo, hi] = hash64(id, 0, id.length, piece)
    if (!priv) throw new AppError('POR_ROUND_PRIVATE_MISSING', 409, `${dir} has no ${ROUND_FILES.private}`)
    const mask = priv.indexSlots - 1
    const out: number[] = []
    const batch = 64
    for (let s = lo & mask; ; ) {
      const n = Math.min(batch, priv.indexSlots - s)
      const slots = new Uint32Array(readExact(fd(ROUND_FILES.index), n * 12, s * 12).buffer)
      for (let i = 0; i < n; i++) {
        if (slots[i * 3 + 1] === 0) return out
        if (slots[i * 3] === lo && slots[i * 3 + 1] === hi) out.push(slots[i * 3 + 2]!)
      }
      s = (s + n) & mask
    }
  }

  const proof = (userId: string): PorProof => {
    const pieces: PorProof['pieces'] = []
    for (let p = 0; p < summary.split; p++) {
      const nonce = userNonce(sha256, secret, userId, p)
      const uid = userHash(sha256, nonce, userId)
      const position = findPositions(userId, p).find((pos) =>
        bytesEqual(readExact(fd(ROUND_FILES.leaves), leafSize, pos * leafSize).subarray(32, 64), uid),
      )
      if (position === undefined) {
        throw new AppError(
          'POR_USER_NOT_FOUND',
          404,
          `user ${userId} has no leaf in round ${summary.roundId}`,
        )
      }
      pieces.push(pathOf(userId, p, nonce, position))
    }
    return {
      version: POR_VERSION,
      mode: MODE_MERKLE_SUM,
      roundId: summary.roundId,
      depth: summary.depth,
      assets: summary.assets,
      root: fromHex(summary.root),
      userId,
      pieces,
    }
  }

  const pathOf = (_userId: string, _piece: number, nonce: Uint8Array, position: number) => {
    const low = Math.min(auditor.storeFrom, summary.depth)
    const blockSize = 2 ** low
    const block = Math.floor(position / blockSize)
    const first = block * blockSize
    const count = Math.min(blockSize, auditor.leafCount - first)
    const leaves = readExact(fd(ROUND_FILES.leaves), count * leafSize, first * leafSize)
    // Recompute the unstored low levels of this block; keep every level's nodes to pick siblings from.
    const levels: Uint8Array[][] = [[]]
    for (let i = 0; i < count; i++) {
      levels[0]!.push(
        leafAsNode(
          leaves.subarray(i * leafSize, i * leafSize + 32),
          leaves.subarray(i * leafSize + 64, (i + 1) * leafSize),
        ),
      )
    }
    foldChunk(sha256, leaves, count, k, low, block, key, (level, _first, records, n) => {
      const list: Uint8Array[] = []
      for (let i = 0; i < n; i++) list.push(records.slice(i * size, (i + 1) * size))
      levels[level] = list
    })
    const siblings: ProofSibling[] = []
    for (let l = 0; l < summary.depth; l++) {
      const j = Math.floor(position / 2 ** l) ^ 1
      let rec: Uint8Array | undefined
      if (l < low) {
        const local = j - block * 2 ** (low - l)
        rec = levels[l]![local] ?? padNode(sha256, key, l, j, k)
      } else {
        rec = node(l, j)
      }
      if (!rec) throw new AppError('POR_ROUND_CORRUPT', 500, `level ${l} is missing`)
      siblings.push({ hash: rec.slice(0, 32), sums: nodeSums(rec, k) })
    }
    const leafRec = leaves.subarray((position - first) * leafSize, (position - first + 1) * leafSize)
    return {
      nonce,
      position,
      balances: nodeSums(leafAsNode(leafRec.subarray(0, 32), leafRec.subarray(64)), k),
      siblings,
    }
  }

  return {
    dir,
    summary,
    priv,
    auditor,
    proof,
    node,
    close() {
      for (const f of fds.values()) closeSync(f)
      fds.clear()
    },
  }
}

/** Reads round.json of a round or auditor package. */
export function readSummary(dir: string): RoundSummary {
  const path = join(dir, ROUND_FILES.summary)
  if (!existsSync(path))
    throw new AppError('POR_ROUND_NOT_FOUND', 404, `${dir} has no ${ROUND_FILES.summary}`)
  const summary = JSON.parse(readFileSync(path, 'utf8')) as RoundSummary
  // A round of another version or mode is never read by this version's rules (nor its root trusted).
  if (summary.version !== POR_VERSION || summary.mode !== MODE_MERKLE_SUM) {
    throw new AppError(
      'POR_UNSUPPORTED_VERSION',
      400,
      `${dir}/${ROUND_FILES.summary} is version ${summary.version}, mode ${summary.mode}; this Bulwark reads version ${POR_VERSION}, mode ${MODE_MERKLE_SUM}`,
    )
  }
  return summary
}

/** Reads auditor.json of a round or auditor package. */
export function readAuditor(dir: string): RoundAuditor {
  const path = join(dir, ROUND_FILES.auditor)
  if (!existsSync(path))
    throw new AppError('POR_ROUND_NOT_FOUND', 404, `${dir} has no ${ROUND_FILES.auditor}`)
  return JSON.parse(readFileSync(path, 'utf8')) as RoundAuditor
}
