/**
 * @module The duplicate-face index: each verification's selfie embedding, sealed at rest with the
 * identity sealer (AES-256-GCM, the verification id as authenticated data, like the images), and
 * the search of a new selfie against every other account's embeddings. The search opens every
 * sealed embedding (a linear scan: fine for tens of thousands of verifications, not millions).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../platform/db/index.ts'
import type { IdentitySealer } from '../sealing.ts'
import { FACE_THRESHOLDS } from './assess.ts'

export type FaceDuplicate = { verificationId: string; userId: string; similarity: number }

const context = (verificationId: string) => `${verificationId}:face`

function toBytes(embedding: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(embedding).buffer)
}

function fromBytes(bytes: Uint8Array): number[] {
  const copy = bytes.slice()
  return Array.from(new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4)))
}

/**
 * Other accounts' verifications whose selfie matches `embedding` at or above the match threshold,
 * best first (at most 20).
 *
 * @example const matches = await findFaceDuplicates(db, sealer, userId, embedding, similarity)
 */
export async function findFaceDuplicates(
  db: Pick<Kysely<Database>, 'selectFrom'>,
  sealer: IdentitySealer,
  userId: string,
  embedding: readonly number[],
  similarityOf: (a: readonly number[], b: readonly number[]) => number,
): Promise<FaceDuplicate[]> {
  const rows = await db
    .selectFrom('identity_face_embeddings')
    .select(['verification_id', 'user_id', 'sealed'])
    .where('user_id', '!=', userId)
    .execute()
  const matches: FaceDuplicate[] = []
  for (const row of rows) {
    const other = fromBytes(sealer.open(row.sealed, context(row.verification_id)))
    const similarity = similarityOf(embedding, other)
    if (similarity >= FACE_THRESHOLDS.match) {
      matches.push({ verificationId: row.verification_id, userId: row.user_id, similarity })
    }
  }
  return matches.sort((a, b) => b.similarity - a.similarity).slice(0, 20)
}

/** Adds a verification's selfie embedding to the index, sealed. */
export async function storeFaceEmbedding(
  tx: Transaction<Database>,
  sealer: IdentitySealer,
  input: { verificationId: string; userId: string; embedding: readonly number[]; at: Date },
): Promise<void> {
  await tx
    .insertInto('identity_face_embeddings')
    .values({
      verification_id: input.verificationId,
      user_id: input.userId,
      sealed: sealer.seal(toBytes(input.embedding), context(input.verificationId)),
      created_at: input.at,
    })
    .execute()
}
