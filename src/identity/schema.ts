/**
 * @module The identity HTTP contracts: the customer's submission (two images as base64 in JSON,
 * the MRZ lines, the visual-zone fields), the customer's view and the reviewer's view.
 */
import { z } from 'zod'
import { text } from '../platform/http/input-hygiene.ts'

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' })

export const imageSchema = z.object({
  contentType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
  /** The image bytes, base64. */
  data: z.base64().min(16).max(16_777_216),
})

export const submitSchema = z.object({
  document: imageSchema,
  selfie: imageSchema,
  /** The two or three MRZ lines at the bottom of the document, as printed; read from the photo when absent. */
  mrz: text({ min: 1, max: 200, multiline: true }).optional(),
  visual: z
    .object({
      documentNumber: text({ min: 1, max: 40 }).optional(),
      surname: text({ min: 1, max: 100 }).optional(),
      givenNames: text({ min: 1, max: 100 }).optional(),
      birthDate: isoDate.optional(),
      expiryDate: isoDate.optional(),
    })
    .default({}),
  /** The head-turn check finished for this verification (POST /api/identity/liveness/challenges). */
  livenessChallengeId: z.uuid({ message: 'expected an id (UUID)' }).optional(),
})

const status = z.enum(['approved', 'rejected', 'review'])
const reason = z.object({ code: z.string(), detail: z.string() })

export const customerVerificationSchema = z.object({
  id: z.string(),
  status,
  country: z.string().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  problems: z.array(z.string()),
})

export const staffVerificationSchema = z.object({
  id: z.string(),
  userId: z.string(),
  email: z.string(),
  displayName: z.string(),
  status,
  decidedBy: z.enum(['system', 'staff']),
  documentFormat: z.string().nullable(),
  documentType: z.string().nullable(),
  country: z.string().nullable(),
  fields: z
    .object({
      documentNumber: z.string(),
      surname: z.string(),
      givenNames: z.string(),
      sex: z.string(),
      issuingState: z.string(),
      nationality: z.string(),
      birthDate: z.string().nullable(),
      expiryDate: z.string().nullable(),
    })
    .nullable(),
  reasons: z.array(reason),
  scores: z.object({
    mrzChecks: z.object({ valid: z.number(), total: z.number() }).nullable(),
    ocrConfidence: z.number().nullable(),
    ocrFields: z.record(z.string(), z.number()).nullable(),
    faceSimilarity: z.number().nullable(),
    faceReal: z.number().nullable().optional(),
    faceLive: z.number().nullable().optional(),
    livenessSimilarity: z.number().nullable().optional(),
  }),
  duplicates: z.array(
    z.object({
      kind: z.enum(['document', 'face']),
      userId: z.string(),
      email: z.string(),
      verificationId: z.string(),
    }),
  ),
  reviewNote: z.string().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  imagesDeletedAt: z.string().nullable(),
})

export const decisionSchema = z.object({
  decision: z.enum(['approved', 'rejected']),
  note: z.string().trim().min(1, { message: 'say why, for the audit log' }).max(1000),
})

/** One camera frame of a head-turn step: a small JPEG and when the page captured it. */
export const livenessFrameSchema = z.object({
  /** JPEG bytes, base64 (at most 120,000 bytes). */
  data: z
    .base64()
    .min(16)
    .max(160_000, { message: 'a camera frame may be at most 120,000 bytes: capture smaller frames' }),
  /** Capture time on the page's clock, milliseconds. */
  at: z.number().min(0).max(86_400_000),
})

export const livenessStepSchema = z.object({
  frames: z.array(livenessFrameSchema).min(3).max(8),
  /** The camera's name as the browser reports it (MediaStreamTrack.label). */
  cameraLabel: text({ max: 200 }).optional(),
})

const livenessStepName = z.enum(['centre', 'left', 'right'])

export const livenessChallengeSchema = z.object({
  id: z.string(),
  steps: z.array(livenessStepName),
  answered: z.number(),
  expiresAt: z.string(),
})

export const livenessAnswerSchema = z.object({
  index: z.number(),
  step: livenessStepName,
  passed: z.boolean(),
  message: z.string(),
  result: z.enum(['passed', 'failed']).nullable(),
})
