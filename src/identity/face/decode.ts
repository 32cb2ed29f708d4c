/**
 * @module Decodes a JPEG or PNG upload into RGB pixels for the face models, in pure JavaScript
 * (jpeg-js, pngjs: no native image library), shrunk so its longest side is at most `maxSide`:
 * the face models work on small inputs, and a 12 MP photo as float32 would take 144 MB.
 */
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { AppError } from '../../platform/errors.ts'
import type { ImageInput } from '../verifications.ts'

export type RgbImage = { width: number; height: number; rgb: Uint8Array }

/** Longest side, in pixels, of the image given to the face models. */
export const FACE_INPUT_MAX_SIDE = 1280

/**
 * Decodes a JPEG or PNG into RGB (alpha dropped). WebP is not decoded: the caller sends such a
 * verification to a person (`FACE_NOT_VERIFIED`).
 *
 * @example const { width, height, rgb } = decodeRgb({ contentType: 'image/png', bytes })
 */
export function decodeRgb(image: ImageInput, maxSide = FACE_INPUT_MAX_SIDE): RgbImage {
  let width: number
  let height: number
  let rgba: Uint8Array
  try {
    if (image.contentType === 'image/jpeg') {
      const decoded = jpeg.decode(image.bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: 40,
        maxMemoryUsageInMB: 512,
      })
      ;({ width, height } = decoded)
      rgba = decoded.data
    } else if (image.contentType === 'image/png') {
      const decoded = PNG.sync.read(Buffer.from(image.bytes))
      ;({ width, height } = decoded)
      rgba = decoded.data
    } else {
      throw new AppError(
        'FACE_IMAGE_UNSUPPORTED',
        400,
        'Faces are read from JPEG and PNG photos only. Take or choose the photo as a JPEG.',
      )
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw new AppError(
      'IDENTITY_IMAGE_UNREADABLE',
      400,
      'The photo could not be opened. Take the photo again or choose another one.',
      { cause: error },
    )
  }
  return shrink(width, height, rgba, maxSide)
}

/** Box-averages RGBA down to RGB with the longest side at most `maxSide`. */
function shrink(width: number, height: number, rgba: Uint8Array, maxSide: number): RgbImage {
  const scale = Math.min(1, maxSide / Math.max(width, height))
  const w = Math.max(1, Math.round(width * scale))
  const h = Math.max(1, Math.round(height * scale))
  const rgb = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y / scale)
    const y1 = Math.min(height, Math.max(y0 + 1, Math.floor((y + 1) / scale)))
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x / scale)
      const x1 = Math.min(width, Math.max(x0 + 1, Math.floor((x + 1) / scale)))
      let r = 0
      let g = 0
      let b = 0
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * width + sx) * 4
          r += rgba[i] ?? 0
          g += rgba[i + 1] ?? 0
          b += rgba[i + 2] ?? 0
        }
      }
      const n = (y1 - y0) * (x1 - x0)
      const o = (y * w + x) * 3
      rgb[o] = Math.round(r / n)
      rgb[o + 1] = Math.round(g / n)
      rgb[o + 2] = Math.round(b / n)
    }
  }
  return { width: w, height: h, rgb }
}
