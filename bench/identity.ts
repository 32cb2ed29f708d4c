/**
 * @module `npm run bench:identity`: time per verification of the MRZ OCR (src/identity/ocr.ts) on
 * this machine: the worker's start (model load, once per server), then the read of each synthetic
 * passport photo (eval/identity-render.ts, mild distortion) one after another, as one server reads
 * submissions. Then the face pipeline (src/identity/face/): model load, and per verification the scan of
 * a document photo and a selfie plus their comparison, on the Human library's sample faces
 * (test/support/faces.ts). Then the head-turn liveness check (src/identity/liveness/): per challenge,
 * the scans and rules of its five steps of five frames each (test/support/liveness.ts), without the
 * HTTP and database time. Options: --photos N (default 12), --challenges N (default 3).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { DISTORTIONS, prng, randomPassport, renderDocument } from '../eval/identity-render.ts'
import { assessFaces } from '../src/identity/face/assess.ts'
import { createFaceEngine } from '../src/identity/face/engine.ts'
import { assessStep, baselineOf, drawSteps, type LivenessFrame } from '../src/identity/liveness/assess.ts'
import { createMrzOcr } from '../src/identity/ocr.ts'
import { launchBrowser } from '../test/support/browser.ts'
import { documentOf, selfieOf } from '../test/support/faces.ts'
import { stepFrames } from '../test/support/liveness.ts'

const { values } = parseArgs({ options: { photos: { type: 'string' }, challenges: { type: 'string' } } })
const photos = Number(values.photos ?? 12)
const challenges = Number(values.challenges ?? 3)
const random = prng(7)
const browser = await launchBrowser()
const page = await browser.newPage()
const images = []
for (let i = 0; i < photos; i++) {
  images.push(await renderDocument(page, randomPassport(random), DISTORTIONS[1]!, i + 1))
}
await browser.close()

const ocr = createMrzOcr()
const started = performance.now()
await ocr.read(images[0]!)
const first = performance.now() - started
const times: number[] = []
let read = 0
for (const image of images) {
  const t0 = performance.now()
  if (await ocr.read(image)) read++
  times.push(performance.now() - t0)
}
await ocr.close()
times.sort((a, b) => a - b)
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0)
console.log('| figure | value |')
console.log('| --- | --- |')
console.log(`| cores | ${availableParallelism()} |`)
console.log(`| first read (model load + read) | ${first.toFixed(0)} ms |`)
console.log(`| MRZ OCR per photo, median | ${at(0.5)} ms |`)
console.log(`| MRZ OCR per photo, p90 | ${at(0.9)} ms |`)
console.log(`| photos with an MRZ found | ${read}/${photos} |`)

const faces = createFaceEngine()
const jpeg = (bytes: Uint8Array) => ({ contentType: 'image/jpeg' as const, bytes })
const f0 = performance.now()
await faces.scan(jpeg(selfieOf(0)))
const faceFirst = performance.now() - f0
const faceTimes: number[] = []
for (let i = 0; i < photos; i++) {
  const t0 = performance.now()
  const document = await faces.scan(jpeg(documentOf(i % 5)))
  const selfie = await faces.scan(jpeg(selfieOf((i + 1) % 5)))
  assessFaces(document, selfie, faces.similarity)
  faceTimes.push(performance.now() - t0)
}
const challengeTimes: number[] = []
let passed = 0
for (let c = 0; c < challenges; c++) {
  const steps = drawSteps((n) => crypto.getRandomValues(new Uint8Array(n)))
  const posted = steps.map((step, i) => stepFrames(4, step, i + 1))
  const t0 = performance.now()
  let baseline = null
  let all = true
  for (const [i, step] of steps.entries()) {
    const frames: LivenessFrame[] = []
    for (const f of posted[i]!) {
      const scan = await faces.scan(jpeg(Buffer.from(f.data, 'base64')))
      frames.push({ scan, at: f.at, digest: String(frames.length) })
    }
    if (i === 0) baseline = baselineOf(frames)
    all &&= assessStep(step, frames, baseline, faces.similarity).passed
  }
  challengeTimes.push(performance.now() - t0)
  if (all) passed++
}
await faces.close()
faceTimes.sort((a, b) => a - b)
const faceAt = (q: number) =>
  faceTimes[Math.min(faceTimes.length - 1, Math.floor(q * faceTimes.length))]!.toFixed(0)
console.log(`| face models load + first scan | ${faceFirst.toFixed(0)} ms |`)
console.log(`| face pipeline per verification (2 scans + compare), median | ${faceAt(0.5)} ms |`)
console.log(`| face pipeline per verification, p90 | ${faceAt(0.9)} ms |`)
challengeTimes.sort((a, b) => a - b)
console.log(
  `| head-turn check per challenge (5 steps × 5 frames scanned + rules), median of ${challenges} | ${challengeTimes[Math.floor(challengeTimes.length / 2)]!.toFixed(0)} ms |`,
)
console.log(`| head-turn checks passed | ${passed}/${challenges} |`)
