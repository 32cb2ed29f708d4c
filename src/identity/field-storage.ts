/**
 * @module Where the extracted fields of an identity verification are written and read. With a
 * DATA_KEK configured each field (names, birth date, document number, nationality, the other MRZ
 * fields) is envelope-encrypted on its own (`enc1:` values in `fields_encrypted`, one data key for
 * the table, `identity_verifications.<field>` bound as AAD) and the document number gets a keyed
 * hash (`document_number_search`) so staff can look it up; without one the fields stay sealed as
 * one blob with IDENTITY_SEALING_KEY, as before. `encryptExistingIdentityFields` moves old rows.
 */

import { type FieldCipher, fieldCipher, type Kek } from '../platform/crypto/field-encryption.ts'
import type { Db } from '../platform/db/index.ts'
import { AppError } from '../platform/errors.ts'
import type { IdentitySealer } from './sealing.ts'
import type { ExtractedFields } from './verifications.ts'

export const IDENTITY_TABLE = 'identity_verifications'

const FIELD_NAMES = [
  'documentNumber',
  'surname',
  'givenNames',
  'sex',
  'issuingState',
  'nationality',
  'birthDate',
  'expiryDate',
] as const satisfies ReadonlyArray<keyof ExtractedFields>

/** What is stored for a verification's fields: exactly one of the two columns is set. */
export type StoredFields = {
  fields_sealed: string | null
  fields_encrypted: string | null
  document_number_search: string | null
}

/** How the identity service stores fields: the sealer always, the envelope cipher with a KEK. */
export type IdentityFieldStore = {
  /** The columns to write for `fields` of verification `id`. */
  write(id: string, fields: ExtractedFields | null): Promise<StoredFields>
  /** The fields of a stored row, whichever way they were stored. */
  read(
    id: string,
    row: Pick<StoredFields, 'fields_sealed' | 'fields_encrypted'>,
  ): Promise<ExtractedFields | null>
  /** The keyed hash to look a document number up by; null without a KEK (no lookup). */
  documentNumberSearch(documentNumber: string): Promise<string | null>
}

/** The document number as it is hashed: upper case, no spaces or filler. */
function normaliseNumber(documentNumber: string): string {
  return documentNumber.toUpperCase().replace(/[\s<]/g, '')
}

async function encryptFields(cipher: FieldCipher, fields: ExtractedFields): Promise<string> {
  const out: Record<string, string | null> = {}
  for (const name of FIELD_NAMES) {
    const value = fields[name]
    out[name] = value === null || value === undefined ? null : await cipher.encrypt(name, String(value))
  }
  return JSON.stringify(out)
}

async function decryptFields(cipher: FieldCipher, text: string): Promise<ExtractedFields> {
  const stored = JSON.parse(text) as Record<string, string | null>
  const out: Record<string, string | null> = {}
  for (const name of FIELD_NAMES) {
    const value = stored[name]
    out[name] = value === null || value === undefined ? null : await cipher.decrypt(name, value)
  }
  return out as ExtractedFields
}

function openSealed(sealer: IdentitySealer, id: string, sealed: string): ExtractedFields {
  const bytes = sealer.open(Buffer.from(sealed, 'base64'), `${id}:fields`)
  return JSON.parse(new TextDecoder().decode(bytes)) as ExtractedFields
}

/**
 * The field store of the identity service.
 * @example const store = identityFieldStore({ db, sealer, kek: loadKek(config) })
 */
export function identityFieldStore(deps: {
  db: Db
  sealer: IdentitySealer
  kek: Kek | null
}): IdentityFieldStore {
  const cipher = deps.kek ? fieldCipher({ db: deps.db, kek: deps.kek, table: IDENTITY_TABLE }) : null
  const search = async (number: string) =>
    cipher ? cipher.searchHash('documentNumber', normaliseNumber(number)) : null
  return {
    async write(id, fields) {
      if (!fields) return { fields_sealed: null, fields_encrypted: null, document_number_search: null }
      if (!cipher) {
        const sealed = deps.sealer.seal(new TextEncoder().encode(JSON.stringify(fields)), `${id}:fields`)
        return {
          fields_sealed: Buffer.from(sealed).toString('base64'),
          fields_encrypted: null,
          document_number_search: null,
        }
      }
      return {
        fields_sealed: null,
        fields_encrypted: await encryptFields(cipher, fields),
        document_number_search: await search(fields.documentNumber),
      }
    },
    async read(id, row) {
      if (row.fields_encrypted) {
        if (!cipher) {
          throw new AppError(
            'DATA_KEK_REQUIRED',
            500,
            'These identity fields are encrypted with a DATA_KEK, but none is configured: set DATA_KEK or DATA_KEK_FILE.',
          )
        }
        return decryptFields(cipher, row.fields_encrypted)
      }
      return row.fields_sealed ? openSealed(deps.sealer, id, row.fields_sealed) : null
    },
    documentNumberSearch: search,
  }
}

/**
 * Re-stores the fields of every verification still sealed the old way under the envelope scheme,
 * in batches; running it again finds nothing left (idempotent). Returns how many rows moved.
 * @example await encryptExistingIdentityFields({ db, sealer, kek })
 */
export async function encryptExistingIdentityFields(deps: {
  db: Db
  sealer: IdentitySealer
  kek: Kek
}): Promise<{ encrypted: number }> {
  const store = identityFieldStore(deps)
  let encrypted = 0
  for (;;) {
    const rows = await deps.db
      .selectFrom('identity_verifications')
      .select(['id', 'fields_sealed'])
      .where('fields_sealed', 'is not', null)
      .where('fields_encrypted', 'is', null)
      .limit(200)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      const fields = openSealed(deps.sealer, row.id, row.fields_sealed!)
      const stored = await store.write(row.id, fields)
      await deps.db
        .updateTable('identity_verifications')
        .set(stored)
        .where('id', '=', row.id)
        .where('fields_encrypted', 'is', null)
        .execute()
      encrypted++
    }
  }
  return { encrypted }
}
