/**
 * @module Identity verification tables: verifications (decision, reasons, scores, sealed fields),
 * the duplicate links between accounts, and the sealed images.
 */
import type { ColumnType, Generated } from 'kysely'
import type { Reason } from './document.ts'
import type { LivenessStep, StepResult } from './liveness/assess.ts'

type Json<T> = ColumnType<T, string, string>

export type VerificationStatus = 'approved' | 'rejected' | 'review'

/** Figures the pipeline measured; null when that step did not run. */
export type VerificationScores = {
  /** Valid MRZ check digits out of those present. */
  mrzChecks: { valid: number; total: number } | null
  /** OCR confidence of the MRZ band (0-1), when the MRZ was read from the image. */
  ocrConfidence: number | null
  /** OCR confidence per MRZ field (lowest character confidence), when read from the image. */
  ocrFields: Record<string, number> | null
  /** Face similarity selfie <-> document photo (0-1), when faces were compared. */
  faceSimilarity: number | null
  /** The selfie's anti-spoofing score (0 print/screen - 1 real), when faces were checked. */
  faceReal?: number | null
  /** The selfie's liveness score (0-1), when faces were checked. */
  faceLive?: number | null
  /** Similarity of the selfie to the face seen in the head-turn check, when one was used. */
  livenessSimilarity?: number | null
}

export interface IdentityVerificationsTable {
  id: Generated<string>
  user_id: string
  status: VerificationStatus
  decided_by: 'system' | 'staff'
  document_format: 'TD1' | 'TD2' | 'TD3' | null
  document_type: string | null
  country: string | null
  document_digest: string | null
  /** The extracted fields sealed with IDENTITY_SEALING_KEY (one blob), when no DATA_KEK is configured. */
  fields_sealed: string | null
  /**
   * With a DATA_KEK: a JSON object of the extracted fields, each an envelope-encrypted `enc1:`
   * value (src/platform/crypto), and `fields_sealed` is null.
   */
  fields_encrypted: ColumnType<string | null, string | null | undefined, string | null>
  /** Keyed hash (the table's search key) of the document number, for lookup; with a DATA_KEK only. */
  document_number_search: ColumnType<string | null, string | null | undefined, string | null>
  reasons: Json<Reason[]>
  scores: Json<VerificationScores>
  reviewer_id: string | null
  review_note: string | null
  created_at: Date
  decided_at: Date | null
  images_deleted_at: Date | null
}

export interface IdentityDuplicatesTable {
  verification_id: string
  other_verification_id: string
  other_user_id: string
  kind: 'document' | 'face'
  created_at: Date
}

export interface IdentityImagesTable {
  verification_id: string
  kind: 'document' | 'selfie'
  content_type: 'image/jpeg' | 'image/png' | 'image/webp'
  sealed: Uint8Array
  created_at: Date
}

/** The duplicate-face index: one selfie embedding per verification, sealed (1,024 float32 values). */
export interface IdentityFaceEmbeddingsTable {
  verification_id: string
  user_id: string
  sealed: Uint8Array
  created_at: Date
}

/** An active liveness challenge (liveness/challenges.ts); used by at most one verification. */
export interface IdentityLivenessChallengesTable {
  id: string
  user_id: string
  steps: Json<LivenessStep[]>
  /** The camera's name as the browser reported it (MediaStreamTrack.label). */
  camera_label: string | null
  results: Json<StepResult[]>
  baseline_yaw: number | null
  /** The first step's face embedding, sealed like the selfie's (context `<id>:liveness`). */
  reference_sealed: Uint8Array | null
  status: 'open' | 'passed' | 'failed'
  verification_id: string | null
  created_at: Date
  expires_at: Date
}

export interface IdentityTables {
  identity_verifications: IdentityVerificationsTable
  identity_duplicates: IdentityDuplicatesTable
  identity_images: IdentityImagesTable
  identity_face_embeddings: IdentityFaceEmbeddingsTable
  identity_liveness_challenges: IdentityLivenessChallengesTable
}
