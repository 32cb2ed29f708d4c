/**
 * @module The face rules of a verification: the selfie must show exactly one face, the document
 * photo's portrait must match it above `FACE_THRESHOLDS.match`, and the selfie's anti-spoofing and
 * liveness scores must reach theirs. Each failed rule is a reason `{code, detail}` with a severity,
 * weighed with the document reasons into approved / review / rejected. How the thresholds were
 * chosen: docs/identity.md ("Faces"), measured by `npm run eval:identity-faces`.
 */
import type { WeighedReason } from '../document.ts'
import type { DetectedFace, FaceScan } from './engine.ts'

/**
 * - `match`: selfie ↔ document similarity (0-1) at or above which the faces are taken as one person;
 *   also the similarity at which a selfie matches another account's face (duplicate).
 * - `real`: anti-spoofing score below which the selfie may be a photo of a print or a screen.
 * - `live`: liveness score below which the selfie may not be of a live person.
 */
export const FACE_THRESHOLDS = { match: 0.6, real: 0.5, live: 0.5 } as const

export type FaceAssessment = {
  reasons: WeighedReason[]
  /** Similarity selfie ↔ document portrait, when both had a face. */
  similarity: number | null
  /** The selfie's face (one face found), for scores and the duplicate index. */
  selfie: DetectedFace | null
}

const area = (f: DetectedFace) => f.box[2] * f.box[3]
const fixed = (n: number) => n.toFixed(2)

/**
 * Weighs the faces of a document photo and a selfie.
 *
 * @example const { reasons, similarity } = assessFaces(documentScan, selfieScan, embeddingSimilarity)
 */
export function assessFaces(
  document: FaceScan,
  selfie: FaceScan,
  similarityOf: (a: readonly number[], b: readonly number[]) => number,
): FaceAssessment {
  const reasons: WeighedReason[] = []
  if (selfie.faces.length === 0) {
    reasons.push({
      code: 'SELFIE_FACE_NOT_FOUND',
      detail: 'No face was found in the selfie.',
      severity: 'reject',
    })
  } else if (selfie.faces.length > 1) {
    reasons.push({
      code: 'SELFIE_SEVERAL_FACES',
      detail: `${selfie.faces.length} faces were found in the selfie; it must show the customer alone.`,
      severity: 'reject',
    })
  }
  // A TD1 identity card carries its MRZ on the back and the portrait on the front, and a passport
  // may carry a second, smaller "ghost" portrait: a person looks rather than the pipeline rejecting.
  const portrait = [...document.faces].sort((a, b) => area(b) - area(a))[0] ?? null
  if (!portrait) {
    reasons.push({
      code: 'DOCUMENT_FACE_NOT_FOUND',
      detail: 'No portrait was found on the document photo: compare the selfie with the document yourself.',
      severity: 'review',
    })
  } else if (document.faces.length > 1) {
    reasons.push({
      code: 'DOCUMENT_SEVERAL_FACES',
      detail: `${document.faces.length} faces were found on the document photo; the largest was compared with the selfie.`,
      severity: 'review',
    })
  }
  const face = selfie.faces.length === 1 ? selfie.faces[0]! : null
  let similarity: number | null = null
  if (face && portrait) {
    similarity = similarityOf(face.embedding, portrait.embedding)
    if (similarity < FACE_THRESHOLDS.match) {
      reasons.push({
        code: 'FACE_MISMATCH',
        detail: `The selfie matches the document portrait at ${fixed(similarity)}, below ${fixed(FACE_THRESHOLDS.match)}.`,
        severity: 'review',
      })
    }
  }
  if (face && face.real !== null && face.real < FACE_THRESHOLDS.real) {
    reasons.push({
      code: 'FACE_SPOOF_SUSPECTED',
      detail: `The anti-spoofing model scores the selfie ${fixed(face.real)} real (below ${fixed(FACE_THRESHOLDS.real)}): it may be a photo of a print or a screen.`,
      severity: 'review',
    })
  }
  if (face && face.live !== null && face.live < FACE_THRESHOLDS.live) {
    reasons.push({
      code: 'FACE_LIVENESS_LOW',
      detail: `The liveness model scores the selfie ${fixed(face.live)} live (below ${fixed(FACE_THRESHOLDS.live)}).`,
      severity: 'review',
    })
  }
  return { reasons, similarity, selfie: face }
}
