/**
 * @module The face engine's worker thread: scans arrive as messages, so decoding and the models
 * (about 0.3-0.5 s per photo) never block the API's event loop. Started by `createFaceWorker`.
 */
import { parentPort } from 'node:worker_threads'
import { AppError } from '../../platform/errors.ts'
import type { ImageInput } from '../verifications.ts'
import { createFaceEngine } from './engine.ts'

const engine = createFaceEngine()
const port = parentPort!
port.on('message', async (message: { id: number; image: ImageInput }) => {
  try {
    port.postMessage({ id: message.id, scan: await engine.scan(message.image) })
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'FACE_ENGINE_FAILED'
    const status = error instanceof AppError ? error.status : 500
    port.postMessage({ id: message.id, error: { code, status, message: String((error as Error).message) } })
  }
})
