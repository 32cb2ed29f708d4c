/**
 * @module The rules of the active liveness challenge, as pure functions over face scans: which
 * steps are asked (a random order of head turns after a first "look at the camera" step), whether
 * the frames of a step show the turn asked (head yaw measured by the face mesh, relative to the
 * first step), whether every frame shows the same face, and the injection tells (identical frames,
 * timestamps too regular or too fast, a virtual camera's name). The service (challenges.ts) stores
 * the results; the verification turns them into `FACE_LIVENESS_*` reasons. Why these numbers:
 * docs/identity.md ("Active liveness challenge").
 */
import type { WeighedReason } from '../document.ts'
import type { FaceScan } from '../face/engine.ts'

export type LivenessStep = 'centre' | 'left' | 'right'

export const LIVENESS = {
  /** Head turns asked after the first "look at the camera" step (2^4 = 16 possible orders). */
  turns: 4,
  /** Yaw change (radians, ~7°) from the first step's median that counts as a turn. */
  turnYaw: 0.12,
  /** Frames of a step that must show the turn asked. */
  turnFrames: 2,
  /** Frames of a step that must show exactly one face (the first step: to set the baseline). */
  faceFrames: 2,
  /** Similarity (0-1) of each frame's face to the first step's face, within one challenge. */
  sameFace: 0.45,
  /** Mean grey difference (0-255) of two frames' thumbnails below which they count as identical. */
  identical: 0.15,
  /** Frames closer together than this (ms) are faster than the page captures. */
  minIntervalMs: 100,
  /** Intervals (ms) that all lie within this of each other are too regular for the page's jittered capture. */
  regularWithinMs: 2,
  /** How long a challenge may be worked on and then used by a submission. */
  ttlMs: 10 * 60_000,
} as const

/**
 * Draws the steps of a new challenge: "centre" first, then `LIVENESS.turns` turns, each left or
 * right at random (`random` returns bytes, e.g. `crypto.getRandomValues`).
 *
 * @example drawSteps((n) => crypto.getRandomValues(new Uint8Array(n))) // ['centre','left','left','right','left']
 */
export function drawSteps(random: (n: number) => Uint8Array): LivenessStep[] {
  const bytes = random(LIVENESS.turns)
  return ['centre', ...Array.from(bytes, (b): LivenessStep => ((b & 1) === 0 ? 'left' : 'right'))]
}

export type LivenessFrame = { scan: FaceScan; at: number; digest: string }

/** What one step's frames showed, as stored on the challenge. */
export type StepResult = {
  step: LivenessStep
  passed: boolean
  frames: number
  /** Frames with exactly one face. */
  faces: number
  /** Frames with more than one face. */
  crowded: number
  /** Frames turned the way asked / the opposite way (turn steps). */
  towards: number
  against: number
  /** Frames whose face is not the first step's face. */
  otherFace: number
  /** Consecutive frame pairs that were (nearly) identical, out of `pairs`. */
  identicalPairs: number
  pairs: number
  /** Timing tell: 'regular' | 'fast' | 'unordered', or null. */
  timing: 'regular' | 'fast' | 'unordered' | null
  /** Yaw range seen in the step (radians), for the reviewer. */
  yawRange: number | null
}

/** What the first step establishes: the head's resting yaw and the face every later frame must match. */
export type Baseline = { yaw: number; embedding: number[] }

type Similarity = (a: readonly number[], b: readonly number[]) => number

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Mean absolute difference of two thumbnails (Infinity when either is missing or sizes differ). */
export function thumbDifference(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (!a || !b || a.length === 0 || a.length !== b.length) return Number.POSITIVE_INFINITY
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length
}

/** The timing tell of a step's frame timestamps (ms, as the page captured them). */
export function timingTell(at: readonly number[]): StepResult['timing'] {
  const intervals = at.slice(1).map((t, i) => t - at[i]!)
  if (intervals.some((d) => d <= 0)) return 'unordered'
  if (intervals.some((d) => d < LIVENESS.minIntervalMs)) return 'fast'
  if (intervals.length >= 3 && Math.max(...intervals) - Math.min(...intervals) < LIVENESS.regularWithinMs) {
    return 'regular'
  }
  return null
}

/** The first step's baseline, or null when fewer than `LIVENESS.faceFrames` frames show one face. */
export function baselineOf(frames: readonly LivenessFrame[]): Baseline | null {
  const single = frames.flatMap((f) => (f.scan.faces.length === 1 ? [f.scan.faces[0]!] : []))
  const posed = single.filter((f) => f.yaw !== null && f.embedding.length > 0)
  if (posed.length < LIVENESS.faceFrames) return null
  const yaw = median(posed.map((f) => f.yaw!))
  const closest = posed.reduce((best, f) => (Math.abs(f.yaw! - yaw) < Math.abs(best.yaw! - yaw) ? f : best))
  return { yaw, embedding: closest.embedding }
}

/**
 * Weighs one step's frames. "Turn left" is the customer's own left: in the camera's (unmirrored)
 * picture the nose moves to the right, and the face mesh's yaw goes down (checked on a turned
 * face in liveness.db.test.ts).
 *
 * @example assessStep('left', frames, baseline, embeddingSimilarity).passed
 */
export function assessStep(
  step: LivenessStep,
  frames: readonly LivenessFrame[],
  baseline: Baseline | null,
  similarityOf: Similarity,
): StepResult {
  const single = frames.flatMap((f) => (f.scan.faces.length === 1 ? [f.scan.faces[0]!] : []))
  const crowded = frames.filter((f) => f.scan.faces.length > 1).length
  const otherFace = baseline
    ? single.filter(
        (f) => f.embedding.length > 0 && similarityOf(f.embedding, baseline.embedding) < LIVENESS.sameFace,
      ).length
    : 0
  const yaws = single.flatMap((f) => (f.yaw === null ? [] : [f.yaw]))
  const sign = step === 'left' ? -1 : 1
  const towards =
    step === 'centre' || !baseline
      ? 0
      : yaws.filter((y) => sign * (y - baseline.yaw) >= LIVENESS.turnYaw).length
  const against =
    step === 'centre' || !baseline
      ? 0
      : yaws.filter((y) => -sign * (y - baseline.yaw) >= LIVENESS.turnYaw).length
  let identicalPairs = 0
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!
    const b = frames[i]!
    if (a.digest === b.digest || thumbDifference(a.scan.thumb, b.scan.thumb) < LIVENESS.identical)
      identicalPairs++
  }
  const passed =
    baseline !== null &&
    single.length >= LIVENESS.faceFrames &&
    crowded === 0 &&
    otherFace === 0 &&
    (step === 'centre' || (towards >= LIVENESS.turnFrames && against === 0))
  return {
    step,
    passed,
    frames: frames.length,
    faces: single.length,
    crowded,
    towards,
    against,
    otherFace,
    identicalPairs,
    pairs: Math.max(0, frames.length - 1),
    timing: timingTell(frames.map((f) => f.at)),
    yawRange: yaws.length > 0 ? Math.round((Math.max(...yaws) - Math.min(...yaws)) * 1000) / 1000 : null,
  }
}

/** Words for the customer about one step (shown by the page as the answer to that step). */
export function stepMessage(result: StepResult): string {
  if (result.passed) return 'Done.'
  // Several faces first: frames with two faces do not count as frames showing the customer's face.
  if (result.crowded > 0) return 'We saw more than one face: make sure only you are in view.'
  if (result.faces < LIVENESS.faceFrames)
    return 'We could not see your face clearly: face the camera in good light.'
  if (result.otherFace > 0) return 'The face changed during the check: the same person must do every step.'
  if (result.against > 0) return `You turned the other way: turn to your ${result.step} when asked.`
  return `We did not see you turn to your ${result.step}: turn your head clearly, then look back.`
}

/**
 * Camera names of virtual cameras and capture tools (matched case-insensitively in the track
 * label), and a file path or video file name: Chromium's fake camera names itself `fake_device_0`,
 * or, playing a file (`--use-file-for-fake-video-capture`), the file's path.
 */
export const VIRTUAL_CAMERA =
  /\b(obs|manycam|virtual|fake|v4l2 ?loopback|dummy|snap camera|xsplit|camtwist|splitcam|e2esoft|vcam|droidcam|epoccam|iriun|mmhmm|youcam|camo)\b|fake_device|^\/|\.(y4m|mjpe?g)$/i

/**
 * The reasons a finished challenge adds to a verification: failed steps, a still picture
 * (rejected: the customer can retry with a live camera), repeated frames, timing, a virtual
 * camera (unless its exact name is in `acceptCameras`, for tests with Chromium's fake camera).
 *
 * @example livenessReasons(steps, results, { cameraLabel: 'FaceTime HD Camera', acceptCameras: [] })
 */
export function livenessReasons(
  steps: readonly LivenessStep[],
  results: readonly StepResult[],
  camera: { cameraLabel: string | null; acceptCameras: readonly string[] },
): WeighedReason[] {
  const reasons: WeighedReason[] = []
  const pairs = results.reduce((n, r) => n + r.pairs, 0)
  const identical = results.reduce((n, r) => n + r.identicalPairs, 0)
  const yawMoved = results.some((r) => r.yawRange !== null && r.yawRange >= LIVENESS.turnYaw)
  if (pairs > 0 && identical === pairs) {
    reasons.push({
      code: 'FACE_LIVENESS_STILL',
      detail: `Every frame of the head-turn check was the same picture (${identical} of ${pairs} consecutive pairs identical): a still image fed as a camera.`,
      severity: 'reject',
    })
  } else if (identical >= 2) {
    reasons.push({
      code: 'FACE_LIVENESS_REPEATED_FRAMES',
      detail: `${identical} of ${pairs} consecutive frame pairs were identical: a live camera never repeats a frame; a looped or injected video may.`,
      severity: 'review',
    })
  }
  const failed = results.filter((r) => !r.passed)
  if (results.length < steps.length || failed.length > 0) {
    const seen = results.map((r, i) => `${i + 1}. ${r.step}: ${r.passed ? 'done' : failText(r)}`)
    reasons.push({
      code: 'FACE_LIVENESS_FAILED',
      detail: `Asked ${steps.join(', ')}; ${seen.join('; ')}${results.length < steps.length ? `; ${steps.length - results.length} step(s) never sent` : ''}${yawMoved ? '' : '; the head never turned'}.`,
      severity: 'review',
    })
  }
  const other = results.reduce((n, r) => n + r.otherFace + r.crowded, 0)
  if (other > 0) {
    reasons.push({
      code: 'FACE_LIVENESS_OTHER_FACE',
      detail: `${other} frame(s) of the head-turn check showed another face or several faces.`,
      severity: 'review',
    })
  }
  const timing = results.flatMap((r, i) => (r.timing ? [`step ${i + 1} ${r.timing}`] : []))
  if (timing.length > 0) {
    reasons.push({
      code: 'FACE_LIVENESS_TIMING',
      detail: `Frame timestamps not as a live capture by our page makes them (${timing.join(', ')}): scripted or injected frames.`,
      severity: 'review',
    })
  }
  const label = camera.cameraLabel
  if (label !== null && VIRTUAL_CAMERA.test(label) && !camera.acceptCameras.includes(label)) {
    reasons.push({
      code: 'FACE_LIVENESS_VIRTUAL_CAMERA',
      detail: `The camera is named "${label}", the name of a virtual camera or capture tool that can feed a recorded or generated video.`,
      severity: 'review',
    })
  }
  return reasons
}

function failText(r: StepResult): string {
  if (r.crowded > 0) return `several faces in ${r.crowded} frame(s)`
  if (r.faces < LIVENESS.faceFrames) return `face in ${r.faces} of ${r.frames} frames`
  if (r.otherFace > 0) return `another face in ${r.otherFace} frame(s)`
  if (r.against > 0) return `turned the other way in ${r.against} frame(s)`
  return `no turn (${r.towards} frame(s) turned, yaw range ${r.yawRange ?? '-'} rad)`
}
