/**
 * @module Worker-thread entry of the builder: runs leaf hashing of a bucket and folding of a leaf chunk off the
 * main thread, reading and writing the round's files directly so only small results cross the thread boundary.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { foldChunk, hashBucket, leafRecordSize } from './chunk.ts'
import { type ImportRangeResult, type ImportRangeTask, importRange } from './import-range.ts'
import { type HashBackend, sha256For } from './sha.ts'
import { nodeSize } from './verify/layout.ts'

export type WorkerTask =
  | {
      kind: 'leaves'
      hash: HashBackend
      bucketPaths: string[]
      count: number
      assetCount: number
      roundSecret: Uint8Array
      shuffleSeed: Uint8Array | undefined
      leavesPath: string
      firstPosition: number
    }
  | {
      kind: 'chunk'
      hash: HashBackend
      leavesPath: string
      levelPaths: Record<number, string>
      first: number
      count: number
      assetCount: number
      levels: number
      chunkIndex: number
      padKey: Uint8Array
    }
  | ImportRangeTask

export type WorkerResult =
  | { kind: 'leaves'; keys: Uint32Array }
  | { kind: 'chunk'; top: Uint8Array }
  | ImportRangeResult

function writeAt(path: string, data: Uint8Array, position: number) {
  const fd = openSync(path, 'r+')
  try {
    let done = 0
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done)
  } finally {
    closeSync(fd)
  }
}

function readAt(path: string, length: number, position: number): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const out = new Uint8Array(length)
    let done = 0
    while (done < length) {
      const n = readSync(fd, out, done, length - done, position + done)
      if (n === 0) throw new Error(`${path} is shorter than expected`)
      done += n
    }
    return out
  } finally {
    closeSync(fd)
  }
}

/** Runs one task (exported for in-thread use when workers = 0). */
export function runTask(task: WorkerTask): WorkerResult {
  if (task.kind === 'import') return importRange(task)
  const sha256 = sha256For(task.hash)
  if (task.kind === 'leaves') {
    const parts = task.bucketPaths.map((p) => readFileSync(p))
    const bucket = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    const batch = hashBucket(sha256, bucket, task.count, task.assetCount, task.roundSecret, task.shuffleSeed)
    writeAt(task.leavesPath, batch.leaves, task.firstPosition * leafRecordSize(task.assetCount))
    return { kind: 'leaves', keys: batch.keys }
  }
  const leafSize = leafRecordSize(task.assetCount)
  const leaves = readAt(task.leavesPath, task.count * leafSize, task.first * leafSize)
  const size = nodeSize(task.assetCount)
  const top = foldChunk(
    sha256,
    leaves,
    task.count,
    task.assetCount,
    task.levels,
    task.chunkIndex,
    task.padKey,
    (level, firstIndex, records, n) => {
      const path = task.levelPaths[level]
      if (path) writeAt(path, records.subarray(0, n * size), firstIndex * size)
    },
  )
  return { kind: 'chunk', top }
}

parentPort?.on('message', (task: WorkerTask) => {
  try {
    const result = runTask(task)
    const transfer =
      result.kind === 'leaves'
        ? [result.keys.buffer]
        : result.kind === 'chunk'
          ? [result.top.buffer]
          : [result.keys.buffer, result.offsets.buffer, result.localLines.buffer]
    parentPort!.postMessage({ ok: true, result }, transfer as ArrayBuffer[])
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) })
  }
})
