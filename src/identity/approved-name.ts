/**
 * @module The name on a customer's approved identity document, for another domain that must compare
 * a name given for the customer with it (the Travel Rule's beneficiary check). Read through the
 * identity field store, so it opens fields sealed with IDENTITY_SEALING_KEY or envelope-encrypted
 * under DATA_KEK alike; only the two name fields leave this module.
 */
import { loadKek } from '../platform/crypto/field-encryption.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { identityFieldStore } from './field-storage.ts'
import { createIdentitySealer } from './sealing.ts'

/** The document's names as the MRZ gives them (upper case, Latin letters). */
export type ApprovedIdentityName = { surname: string; givenNames: string }

/**
 * The names of the customer's most recently approved identity verification; null when none is
 * approved (or an approved one has no extracted fields).
 * @example await approvedIdentityName({ db, config }, userId) // { surname: 'MARTIN', givenNames: 'ALICE' }
 */
export async function approvedIdentityName(
  deps: Pick<DomainDeps, 'db' | 'config'>,
  userId: string,
): Promise<ApprovedIdentityName | null> {
  const row = await deps.db
    .selectFrom('identity_verifications')
    .select(['id', 'fields_sealed', 'fields_encrypted'])
    .where('user_id', '=', userId)
    .where('status', '=', 'approved')
    .orderBy('decided_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!row) return null
  const store = identityFieldStore({
    db: deps.db,
    sealer: createIdentitySealer(deps.config.IDENTITY_SEALING_KEY, deps.config.EXCHANGE_ID),
    kek: loadKek(deps.config),
  })
  const fields = await store.read(row.id, row)
  if (!fields?.surname) return null
  return { surname: fields.surname, givenNames: fields.givenNames ?? '' }
}
