/**
 * The face rules on made-up scans (no model): each rule's reason, its severity, and the thresholds'
 * edges. The real models are exercised over HTTP in faces.db.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { assessFaces, FACE_THRESHOLDS } from './assess.ts'
import type { DetectedFace, FaceScan } from './engine.ts'

const face = (over: Partial<DetectedFace> = {}): DetectedFace => ({
  score: 0.99,
  box: [10, 10, 100, 100],
  embedding: [1, 0, 0],
  real: 0.9,
  live: 0.9,
  yaw: 0,
  ...over,
})
const scan = (...faces: DetectedFace[]): FaceScan => ({ width: 640, height: 480, faces })
const same = () => 0.9
const codes = (document: FaceScan, selfie: FaceScan, similarity = same) =>
  assessFaces(document, selfie, similarity).reasons.map((r) => `${r.code}:${r.severity}`)

describe('face rules', () => {
  it('gives no reason for one matching, real, live selfie face', () => {
    expect(codes(scan(face()), scan(face()))).toEqual([])
  })

  it('sends a selfie the liveness model scores below its threshold to review, and not one at it', () => {
    expect(codes(scan(face()), scan(face({ live: FACE_THRESHOLDS.live - 0.01 })))).toEqual([
      'FACE_LIVENESS_LOW:review',
    ])
    expect(codes(scan(face()), scan(face({ live: FACE_THRESHOLDS.live })))).toEqual([])
    expect(codes(scan(face()), scan(face({ live: null })))).toEqual([])
  })

  it('sends a selfie the anti-spoofing model doubts to review', () => {
    expect(codes(scan(face()), scan(face({ real: 0.2 })))).toEqual(['FACE_SPOOF_SUSPECTED:review'])
  })

  it('rejects a selfie without a face or with several, and reviews a mismatch below the match threshold', () => {
    expect(codes(scan(face()), scan())).toEqual(['SELFIE_FACE_NOT_FOUND:reject'])
    expect(codes(scan(face()), scan(face(), face()))).toEqual(['SELFIE_SEVERAL_FACES:reject'])
    expect(codes(scan(face()), scan(face()), () => FACE_THRESHOLDS.match - 0.01)).toEqual([
      'FACE_MISMATCH:review',
    ])
  })

  it('compares the largest document portrait and says so', () => {
    const small = face({ box: [0, 0, 10, 10], embedding: [0, 1, 0] })
    const large = face({ box: [0, 0, 200, 200], embedding: [1, 0, 0] })
    const compared: number[][] = []
    const result = assessFaces(scan(small, large), scan(face()), (_a, b) => {
      compared.push([...b])
      return 0.9
    })
    expect(compared).toEqual([[1, 0, 0]])
    expect(result.reasons.map((r) => r.code)).toEqual(['DOCUMENT_SEVERAL_FACES'])
  })
})
