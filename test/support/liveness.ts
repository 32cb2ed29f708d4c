/**
 * @module Head-turn videos for the liveness tests, made from the Human library's own demo
 * screenshot (test/support/faces.ts; MIT, read from node_modules): a face is "turned" by mapping
 * it onto a vertical cylinder and rotating that (the nose moves sideways, the far cheek narrows),
 * which the face mesh reads as a change of yaw. Every frame gets its own sensor-like noise, as a
 * live camera's would. Frames come out as JPEGs (posted over HTTP) or as a YUV4MPEG2 file that
 * Chromium plays as its fake camera (`--use-file-for-fake-video-capture`).
 */
import { writeFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import type { LivenessStep } from '../../src/identity/liveness/assess.ts'
import { CENTRES, type Rgba, screenshot } from './faces.ts'

export const FRAME = { width: 320, height: 240 } as const
/**
 * Cylinder rotation (radians) of a turned frame. "Left" is the person's own left: in the
 * (unmirrored) camera picture the nose moves to the right, which is a positive rotation here.
 */
export const TURN = 0.75

/** One RGBA frame: face `person` in an oval on grey, rotated by `theta`, with noise from `seed`. */
export function turnedFace(person: number, theta: number, seed: number): Rgba {
  const img = screenshot()
  const [cx, cy] = CENTRES[person]!
  const { width: W, height: H } = FRAME
  const R = 55
  const data = new Uint8Array(W * H * 4)
  let s = (seed * 2654435761) >>> 0
  const noise = () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return Math.round((s / 2 ** 32 - 0.5) * 8)
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - W / 2
      const dy = y - H / 2
      const o = (y * W + x) * 4
      const n = noise()
      if ((dx * dx) / 4900 + (dy * dy) / 8100 > 1) {
        data.set([120 + n, 120 + n, 120 + n, 255], o)
        continue
      }
      let sx = cx + dx
      if (Math.abs(dx / R) < 1) {
        const phi = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, Math.asin(dx / R) - theta))
        sx = cx + R * Math.sin(phi)
      }
      const ix = Math.max(0, Math.min(img.width - 1, Math.round(sx)))
      const iy = Math.max(0, Math.min(img.height - 1, Math.round(cy + dy)))
      const i = (iy * img.width + ix) * 4
      data.set([img.data[i]! + n, img.data[i + 1]! + n, img.data[i + 2]! + n, 255], o)
    }
  }
  return { width: W, height: H, data }
}

/** A frame as a JPEG, the way the /verify page sends it. */
export function turnedFaceJpeg(person: number, theta: number, seed: number): Uint8Array {
  const frame = turnedFace(person, theta, seed)
  return new Uint8Array(jpeg.encode({ ...frame, data: Buffer.from(frame.data) }, 80).data)
}

/**
 * A frame twice as wide with two people side by side: `person` turned by `theta` on the left and
 * `other` facing the camera on the right (someone standing beside the customer), as a JPEG.
 */
export function twoFacesJpeg(person: number, other: number, theta: number, seed: number): Uint8Array {
  const left = turnedFace(person, theta, seed)
  const right = turnedFace(other, 0, seed + 1)
  // 640 × 480 (a camera's own shape; a wide strip hides one face from the detector), faces mid-height on grey.
  const W = FRAME.width * 2
  const H = FRAME.height * 2
  const top = (H - FRAME.height) / 2
  const data = new Uint8Array(W * H * 4).fill(120)
  const row = FRAME.width * 4
  for (let y = 0; y < FRAME.height; y++) {
    data.set(left.data.subarray(y * row, (y + 1) * row), (top + y) * W * 4)
    data.set(right.data.subarray(y * row, (y + 1) * row), (top + y) * W * 4 + row)
  }
  return new Uint8Array(jpeg.encode({ width: W, height: H, data: Buffer.from(data) }, 80).data)
}

/** The rotation that shows `step` (left: positive, see TURN). */
export const rotationOf = (step: LivenessStep) => (step === 'left' ? TURN : step === 'right' ? -TURN : 0)

/**
 * Five frames for one step, as a live person does it: facing the camera, turned three frames,
 * facing again; timestamps about 350 ms apart with some jitter.
 */
export function stepFrames(person: number, step: LivenessStep, seed: number) {
  const poses = [0, 1, 1, 1, 0].map((turned) => (turned ? rotationOf(step) : 0))
  let at = 1000 * seed
  return poses.map((theta, i) => {
    at += 330 + ((seed * 7 + i * 13) % 40)
    return { data: Buffer.from(turnedFaceJpeg(person, theta, seed * 10 + i)).toString('base64'), at }
  })
}

/**
 * A YUV4MPEG2 (I420) video at 10 frames per second for Chromium's fake camera: for each step,
 * `stepMs` of the person facing the camera, turning the way the step asks from 25 % to 70 % of it
 * (where the /verify page takes most of its frames),
 * and facing again; then `tailMs` facing the camera. `still` writes the first frame only (a
 * photo fed as a camera; Chromium loops it).
 */
export function writeHeadTurnY4m(
  file: string,
  person: number,
  steps: readonly LivenessStep[],
  options: { stepMs: number; tailMs?: number; still?: boolean },
): void {
  const fps = 10
  const perStep = Math.round((options.stepMs / 1000) * fps)
  const thetas: number[] = []
  for (const step of steps) {
    for (let i = 0; i < perStep; i++) {
      const t = i / perStep
      thetas.push(t >= 0.25 && t < 0.7 ? rotationOf(step) : 0)
    }
  }
  for (let i = 0; i < Math.round(((options.tailMs ?? 3000) / 1000) * fps); i++) thetas.push(0)
  const frames = options.still ? [0] : thetas
  const { width: W, height: H } = FRAME
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F${fps}:1 Ip A1:1 C420jpeg\n`)]
  frames.forEach((theta, k) => {
    const { data } = turnedFace(person, theta, k + 1)
    const y = Buffer.alloc(W * H)
    const u = Buffer.alloc((W / 2) * (H / 2))
    const v = Buffer.alloc((W / 2) * (H / 2))
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const o = (j * W + i) * 4
        const [r, g, b] = [data[o]!, data[o + 1]!, data[o + 2]!]
        y[j * W + i] = Math.max(0, Math.min(255, Math.round(0.299 * r + 0.587 * g + 0.114 * b)))
        if (j % 2 === 0 && i % 2 === 0) {
          const c = (j / 2) * (W / 2) + i / 2
          u[c] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)))
          v[c] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)))
        }
      }
    }
    parts.push(Buffer.from('FRAME\n'), y, u, v)
  })
  writeFileSync(file, Buffer.concat(parts))
}

type Injector = {
  inject(options: {
    method: 'GET' | 'POST'
    url: string
    headers: Record<string, string>
    payload?: unknown
  }): Promise<{
    statusCode: number
    // biome-ignore lint/suspicious/noExplicitAny: a JSON reply, read by the tests
    json(): any
  }>
}

export type HeadTurnAnswer = {
  index: number
  step: LivenessStep
  passed: boolean
  message: string
  result: string | null
}

/**
 * Starts a head-turn check over HTTP and sends frames for every step: the turns asked (`asked`),
 * each the other way (`opposite`), the same JPEG every time (`still`), the turns asked with the
 * turned picture repeated three frames running (`looped`: a looped or frozen video), or the turns
 * asked with timestamps exactly 300 ms apart (`scripted`: frames sent by a script, not captured),
 * or the turns asked with face `crowd` beside the customer after the first step (`crowded`);
 * `person` is one of the five faces, or which face does each step (a stand-in doing the turns).
 */
export async function doHeadTurnCheck(
  app: Injector,
  headers: Record<string, string>,
  person: number | ((stepIndex: number) => number),
  how: 'asked' | 'opposite' | 'still' | 'looped' | 'scripted' | 'crowded' = 'asked',
  cameraLabel = 'FaceTime HD Camera',
  crowd = 0,
): Promise<{ id: string; steps: LivenessStep[]; answers: HeadTurnAnswer[] }> {
  const issued = await app.inject({ method: 'POST', url: '/api/identity/liveness/challenges', headers })
  if (issued.statusCode !== 200)
    throw new Error(`challenge: ${issued.statusCode} ${JSON.stringify(issued.json())}`)
  const { id, steps } = issued.json().challenge as { id: string; steps: LivenessStep[] }
  const personAt = typeof person === 'number' ? () => person : person
  const still = Buffer.from(turnedFaceJpeg(personAt(0), 0, 1)).toString('base64')
  const answers: HeadTurnAnswer[] = []
  for (const [index, step] of steps.entries()) {
    const shown: LivenessStep =
      how === 'opposite' && step !== 'centre' ? (step === 'left' ? 'right' : 'left') : step
    const captured = stepFrames(personAt(index), shown, index + 1)
    const frames = captured.map((f, i) => {
      if (how === 'still') return { ...f, data: still }
      if (how === 'looped' && (i === 2 || i === 3)) return { ...f, data: captured[1]!.data }
      if (how === 'scripted') return { ...f, at: 1000 * (index + 1) + 300 * i }
      if (how === 'crowded' && index > 0)
        return {
          ...f,
          data: Buffer.from(
            twoFacesJpeg(personAt(index), crowd, rotationOf(shown) * (i % 4 ? 1 : 0), index * 10 + i),
          ).toString('base64'),
        }
      return f
    })
    const response = await app.inject({
      method: 'POST',
      url: `/api/identity/liveness/challenges/${id}/steps/${index}`,
      headers,
      payload: { frames, cameraLabel },
    })
    if (response.statusCode !== 200)
      throw new Error(`step ${index}: ${response.statusCode} ${JSON.stringify(response.json())}`)
    answers.push(response.json().answer)
  }
  return { id, steps, answers }
}
