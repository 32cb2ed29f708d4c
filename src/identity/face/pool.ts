/**
 * @module The face engine behind a worker thread (worker.ts), as the OCR runs in tesseract.js's
 * worker: one worker per server, started on the first scan, restarted if it dies, stopped with the
 * server.
 */
import { Worker } from 'node:worker_threads'
import { AppError } from '../../platform/errors.ts'
import type { ImageInput } from '../verifications.ts'
import { embeddingSimilarity, type FaceEngine, type FaceScan } from './engine.ts'

type Pending = { resolve: (scan: FaceScan) => void; reject: (error: Error) => void }
type Reply = { id: number; scan?: FaceScan; error?: { code: string; status: number; message: string } }

/**
 * A face engine whose scans run in a worker thread.
 *
 * @example const faces = createFaceWorker(); const scan = await faces.scan(selfie); await faces.close()
 */
export function createFaceWorker(): FaceEngine {
  let worker: Worker | null = null
  let nextId = 0
  const pending = new Map<number, Pending>()

  function failAll(error: Error) {
    for (const p of pending.values()) p.reject(error)
    pending.clear()
    worker = null
  }

  function start(): Worker {
    const w = new Worker(new URL('./worker.ts', import.meta.url))
    w.on('message', (reply: Reply) => {
      const p = pending.get(reply.id)
      if (!p) return
      pending.delete(reply.id)
      if (reply.scan) p.resolve(reply.scan)
      else
        p.reject(
          new AppError(
            reply.error?.code ?? 'FACE_ENGINE_FAILED',
            reply.error?.status ?? 500,
            reply.error?.message ?? 'The face engine failed.',
          ),
        )
    })
    w.on('error', (error) =>
      failAll(new AppError('FACE_ENGINE_FAILED', 500, 'The face engine stopped.', { cause: error })),
    )
    w.on('exit', () => {
      if (worker === w) failAll(new AppError('FACE_ENGINE_FAILED', 500, 'The face engine stopped.'))
    })
    return w
  }

  return {
    scan(image: ImageInput) {
      worker ??= start()
      const id = ++nextId
      const w = worker
      return new Promise<FaceScan>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        w.postMessage({ id, image })
      })
    },
    similarity: embeddingSimilarity,
    async close() {
      const w = worker
      worker = null
      if (w) await w.terminate()
    },
  }
}
