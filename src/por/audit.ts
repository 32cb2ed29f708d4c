/**
 * @module The independent auditor's check of a round: from the auditor package alone (round.json, auditor.json,
 * leaves.bin, the stored levels; no round secret, no user ids) recompute every leaf hash, every node and the root,
 * look for duplicated leaves, and compare with what was published. Reports each check by name.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { foldChunk, leafRecordSize } from './chunk.ts'
import { KeyTable } from './keytable.ts'
import { type HashBackend, sha256For } from './sha.ts'
import { ROUND_FILES, readAuditor, readSummary } from './store.ts'
import {
  bytesEqual,
  fromHex,
  leafHash,
  nodeSize,
  padNode,
  parentInto,
  rootCommitment,
  toHex,
} from './verify/layout.ts'
import { type Check, nodeSums } from './verify/verify.ts'

export interface AuditReport {
  ok: boolean
  roundId: string
  leaves: number
  checks: Check[]
  failed?: Check
}

const CHUNK_LEVELS = 16

/**
 * Audits the round directory (or auditor package) at `dir`. Stops at the first failing check of each kind.
 *
 * @example const report = auditRound('/var/bulwark/rounds/2026-11'); if (!report.ok) console.log(report.failed)
 */
export function auditRound(dir: string, hash: HashBackend = 'openssl'): AuditReport {
  const sha256 = sha256For(hash)
  const summary = readSummary(dir)
  const auditor = readAuditor(dir)
  const k = summary.assets.length
  const symbols = summary.assets.map((a) => a.symbol)
  const size = nodeSize(k)
  const leafSize = leafRecordSize(k)
  const key = fromHex(auditor.padKey)
  const checks: Check[] = []
  const fail = (c: Omit<Check, 'ok'>) => {
    if (!checks.some((x) => !x.ok && x.name === c.name)) checks.push({ ...c, ok: false })
  }
  const depth = summary.depth
  const chunkLevels = Math.min(CHUNK_LEVELS, depth)
  const chunkSize = 2 ** chunkLevels
  const leafCount = auditor.leafCount
  const chunkCount = Math.max(1, Math.ceil(leafCount / chunkSize))
  if (leafCount > 2 ** depth) fail({ name: 'depth', detail: `${leafCount} leaves do not fit depth ${depth}` })

  const leavesFd = openSync(join(dir, ROUND_FILES.leaves), 'r')
  const levelFds = new Map<number, number>()
  for (let l = auditor.storeFrom; l <= depth; l++) {
    const p = join(dir, ROUND_FILES.level(l))
    if (existsSync(p)) levelFds.set(l, openSync(p, 'r'))
    else fail({ name: 'files', level: l, detail: `${ROUND_FILES.level(l)} is missing` })
  }
  const read = (fd: number, length: number, position: number) => {
    const out = new Uint8Array(length)
    let done = 0
    while (done < length) {
      const n = readSync(fd, out, done, length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done === length ? out : undefined
  }
  const compareStored = (level: number, first: number, records: Uint8Array, n: number) => {
    const fd = levelFds.get(level)
    if (fd === undefined) return
    const stored = read(fd, n * size, first * size)
    if (!stored) {
      fail({ name: 'tree-node', level, detail: `${ROUND_FILES.level(level)} is truncated` })
      return
    }
    if (bytesEqual(stored, records.subarray(0, n * size))) return
    for (let i = 0; i < n; i++) {
      const a = records.subarray(i * size, (i + 1) * size)
      const b = stored.subarray(i * size, (i + 1) * size)
      if (bytesEqual(a, b)) continue
      const sa = nodeSums(a, k)
      const sb = nodeSums(b, k)
      const asset = sa.findIndex((s, j) => s.equity !== sb[j]!.equity || s.debt !== sb[j]!.debt)
      fail({
        name: 'tree-node',
        level,
        hash: toHex(b.subarray(0, 32)),
        ...(asset >= 0 ? { asset: symbols[asset]! } : {}),
        detail:
          asset >= 0
            ? `level ${level} node #${first + i}: stored ${symbols[asset]} sums differ from the sum of its children`
            : `level ${level} node #${first + i}: stored hash ${toHex(b.subarray(0, 32))} is not the hash of its children (${toHex(a.subarray(0, 32))})`,
      })
      return
    }
  }

  const seen = new KeyTable(leafCount)
  const tops = new Uint8Array(chunkCount * size)
  for (let c = 0; c < chunkCount; c++) {
    const first = c * chunkSize
    const count = Math.min(chunkSize, leafCount - first)
    const leaves = read(leavesFd, count * leafSize, first * leafSize)
    if (!leaves) {
      fail({ name: 'leaves', detail: `${ROUND_FILES.leaves} is shorter than ${leafCount} leaves` })
      break
    }
    const view = new DataView(leaves.buffer)
    for (let i = 0; i < count; i++) {
      const r = i * leafSize
      const stored = leaves.subarray(r, r + 32)
      const uid = leaves.subarray(r + 32, r + 64)
      const computed = leafHash(sha256, uid, leaves.subarray(r + 64, r + leafSize))
      if (!bytesEqual(stored, computed)) {
        fail({
          name: 'leaf-hash',
          level: 0,
          hash: toHex(stored),
          detail: `leaf #${first + i}: stored hash ${toHex(stored)} is not the hash of its user commitment and balances`,
        })
      }
      const lo = view.getUint32(r + 32)
      const hi = view.getUint32(r + 36) | 1
      for (const s of seen.find(lo, hi >>> 0)) {
        const other = read(leavesFd, 32, seen.value(s) * leafSize + 32)
        if (other && bytesEqual(other, uid)) {
          fail({
            name: 'duplicate-leaf',
            level: 0,
            hash: toHex(uid),
            detail: `leaves #${seen.value(s)} and #${first + i} carry the same user commitment ${toHex(uid)}`,
          })
        }
      }
      seen.insert(lo, hi >>> 0, first + i)
    }
    try {
      const top = foldChunk(sha256, leaves, count, k, chunkLevels, c, key, compareStored)
      tops.set(top, c * size)
    } catch (e) {
      fail({ name: 'sum-overflow', detail: (e as Error).message })
    }
  }
  let level = tops
  let n = chunkCount
  const scratch = new Uint8Array(8 + 2 * size)
  for (let l = chunkLevels; l < depth; l++) {
    const padded = new Uint8Array((n + 1) * size)
    padded.set(level.subarray(0, n * size))
    if (n % 2 === 1) padded.set(padNode(sha256, key, l, n, k), n * size)
    const m = Math.ceil(n / 2)
    const next = new Uint8Array(m * size)
    for (let i = 0; i < m; i++)
      parentInto(sha256, padded.subarray(2 * i * size, (2 * i + 2) * size), scratch, next, i * size)
    compareStored(l + 1, 0, next, m)
    level = next
    n = m
  }
  const top = level.slice(0, size)
  const root = toHex(rootCommitment(sha256, summary.roundId, depth, summary.assets, top))
  if (root !== summary.root) {
    fail({
      name: 'root',
      hash: root,
      detail: `recomputed root ${root} is not the published root ${summary.root}`,
    })
  } else {
    checks.push({
      name: 'root',
      ok: true,
      hash: root,
      detail: `recomputed the published root from ${leafCount} leaves`,
    })
  }
  nodeSums(top, k).forEach((s, i) => {
    const t = summary.totals[i]
    for (const part of ['equity', 'debt'] as const) {
      const published = t?.[part]
      if (t?.symbol !== symbols[i] || published !== s[part].toString()) {
        fail({
          name: 'totals',
          asset: symbols[i]!,
          detail: `${symbols[i]} ${part}: tree sums to ${s[part]}, round.json says ${published ?? 'nothing'}`,
        })
      }
    }
  })
  const exemptHash = toHex(nobleSha256(new TextEncoder().encode([...auditor.exemptions].sort().join('\n'))))
  if (exemptHash !== summary.exemptions.listHash || auditor.exemptions.length !== summary.exemptions.count) {
    fail({
      name: 'exemptions',
      detail: 'the exemption list does not match the count and hash published in round.json',
    })
  }
  for (const name of ['leaf-hash', 'duplicate-leaf', 'tree-node', 'totals', 'exemptions']) {
    if (!checks.some((c) => c.name === name))
      checks.push({ name, ok: true, detail: passDetail(name, leafCount) })
  }
  closeSync(leavesFd)
  for (const fd of levelFds.values()) closeSync(fd)
  const failed = checks.find((c) => !c.ok)
  return { ok: !failed, roundId: summary.roundId, leaves: leafCount, checks, ...(failed ? { failed } : {}) }
}

function passDetail(name: string, leaves: number): string {
  switch (name) {
    case 'leaf-hash':
      return `all ${leaves} leaf hashes recomputed`
    case 'duplicate-leaf':
      return 'no user commitment appears twice'
    case 'tree-node':
      return 'every stored node is the hash and sum of its children'
    case 'totals':
      return 'published totals equal the root sums'
    default:
      return 'exemption list matches round.json'
  }
}
