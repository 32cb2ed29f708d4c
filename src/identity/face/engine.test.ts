import { createRequire } from 'node:module'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRgb } from './decode.ts'
import { embeddingSimilarity } from './engine.ts'

const require = createRequire(import.meta.url)

describe('face similarity', () => {
  it('gives the same figure as the Human library for any two embeddings', async () => {
    const entry = path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js')
    const human = require(entry) as { match: { similarity(a: number[], b: number[]): number } }
    const embedding = fc.array(fc.float({ min: Math.fround(-0.2), max: Math.fround(0.2), noNaN: true }), {
      minLength: 16,
      maxLength: 16,
    })
    fc.assert(
      fc.property(embedding, embedding, (a, b) => {
        expect(embeddingSimilarity(a, b)).toBe(human.match.similarity(a, b))
      }),
    )
    expect(embeddingSimilarity([0.1, 0.2], [0.1, 0.2])).toBe(1)
  }, 60_000)

  it('is 0 for embeddings of different lengths (a model mismatch), never a match', () => {
    expect(embeddingSimilarity([0.1, 0.2], [0.1])).toBe(0)
    expect(embeddingSimilarity([], [])).toBe(0)
  })
})

describe('face image decoding', () => {
  it('refuses WebP with FACE_IMAGE_UNSUPPORTED and a corrupt JPEG with IDENTITY_IMAGE_UNREADABLE', () => {
    expect(() => decodeRgb({ contentType: 'image/webp', bytes: new Uint8Array(16) })).toThrow(
      expect.objectContaining({ code: 'FACE_IMAGE_UNSUPPORTED' }),
    )
    expect(() =>
      decodeRgb({ contentType: 'image/jpeg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]) }),
    ).toThrow(expect.objectContaining({ code: 'IDENTITY_IMAGE_UNREADABLE' }))
  })
})
