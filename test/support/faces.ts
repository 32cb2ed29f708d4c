/**
 * @module Face images for tests, made from the Human library's own demo screenshot
 * (`@vladmandic/human/assets/screenshot-facedetect.jpg`, MIT, five people side by side), read from
 * node_modules and never copied into the repository: a selfie is one face cropped out, a document
 * photo is a face pasted as the portrait of a grey card, "several faces" is the whole screenshot,
 * and "no face" is a plain gradient.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import jpeg from 'jpeg-js'

const require = createRequire(import.meta.url)
const SCREENSHOT = path.join(
  path.dirname(path.dirname(require.resolve('@vladmandic/human'))),
  'assets',
  'screenshot-facedetect.jpg',
)

/** Centres (x, y) of the five faces in the screenshot, left to right. */
export const CENTRES = [
  [82, 416],
  [241, 413],
  [397, 418],
  [544, 412],
  [704, 417],
] as const

export type Rgba = { width: number; height: number; data: Uint8Array }

let cached: Rgba | null = null
/** The decoded screenshot (RGBA), read once. */
export function screenshot(): Rgba {
  cached ??= jpeg.decode(readFileSync(SCREENSHOT), { useTArray: true, formatAsRGBA: true })
  return cached
}

function blank(width: number, height: number, shade: (x: number, y: number) => number): Rgba {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      const v = shade(x, y)
      data.set([v, v, v, 255], o)
    }
  }
  return { width, height, data }
}

/** Copies a square of side `side` centred on (cx, cy) of `from` to (dx, dy) of `to`. */
function paste(from: Rgba, cx: number, cy: number, side: number, to: Rgba, dx: number, dy: number) {
  const x0 = Math.max(0, Math.round(cx - side / 2))
  const y0 = Math.max(0, Math.round(cy - side / 2))
  for (let y = 0; y < side && y0 + y < from.height && dy + y < to.height; y++) {
    for (let x = 0; x < side && x0 + x < from.width && dx + x < to.width; x++) {
      const i = ((y0 + y) * from.width + x0 + x) * 4
      const o = ((dy + y) * to.width + dx + x) * 4
      to.data.set(from.data.subarray(i, i + 4), o)
    }
  }
}

const encode = (image: Rgba) =>
  new Uint8Array(jpeg.encode({ ...image, data: Buffer.from(image.data) }, 92).data)

/** A selfie: face `person` (0-4) of the screenshot, cropped square with room around it. */
export function selfieOf(person: number): Uint8Array {
  const [cx, cy] = CENTRES[person]!
  const out = blank(150, 150, () => 128)
  paste(screenshot(), cx, cy, 150, out, 0, 0)
  return encode(out)
}

/** A document photo: face `person` as the portrait on the left of a light grey card. */
export function documentOf(person: number): Uint8Array {
  const [cx, cy] = CENTRES[person]!
  const card = blank(480, 300, (x, y) => 215 + ((x + y) % 9))
  paste(screenshot(), cx, cy, 140, card, 30, 80)
  return encode(card)
}

/** All five people in one picture. */
export function severalFaces(): Uint8Array {
  return new Uint8Array(readFileSync(SCREENSHOT))
}

/** A picture without any face: a grey gradient. */
export function noFace(): Uint8Array {
  return encode(blank(320, 240, (x) => 40 + Math.round((x / 320) * 180)))
}
