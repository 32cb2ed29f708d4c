/**
 * @module Identity documents for tests: the specimen passport holder of every identity test (Marie
 * Dupont, French, born 15 March 1990) with a machine-readable zone composed for a given document
 * number and still valid at the test's clock, and images as the verification routes take them.
 */
import { type ComposeFields, composeMrz } from '../../src/identity/mrz-compose.ts'
import { createIdentitySealer } from '../../src/identity/sealing.ts'
import { createIdentityVerifications } from '../../src/identity/verifications.ts'
import type { TestApp } from './app.ts'

/** The name as printed on the specimen's visual zone (what a customer types). */
export const SPECIMEN_VISUAL = { surname: 'Dupont', givenNames: 'Marie' } as const

/**
 * The specimen passport's MRZ (TD3), expiring on 1 January `yearsValid` years after `now`'s year;
 * `overrides` change any field (a wrong check digit is made by editing the returned text).
 */
export function specimenPassportMrz(
  now: Date,
  { yearsValid = 5, ...overrides }: Partial<ComposeFields> & { yearsValid?: number } = {},
): string {
  const yy = String((now.getUTCFullYear() + yearsValid) % 100).padStart(2, '0')
  return composeMrz({
    format: 'TD3',
    issuingState: 'FRA',
    documentNumber: '12AB34567',
    nationality: 'FRA',
    birthDate: '900315',
    sex: 'F',
    expiryDate: `${yy}0101`,
    ...SPECIMEN_VISUAL,
    ...overrides,
  })
}

/** An image as the verification routes take it: content type and base64 data. */
export function imageUpload(bytes: Uint8Array, contentType = 'image/jpeg') {
  return { contentType, data: Buffer.from(bytes).toString('base64') }
}

/**
 * The identity service as the server's daily retention sweep runs it (`purgeExpiredImages`), on the
 * test app's database, clock and configuration: for tests that move the clock past the retention.
 */
export function identityRetentionSweep(t: TestApp): () => Promise<number> {
  const identity = createIdentityVerifications({
    db: t.db,
    clock: t.clock,
    events: { publish() {}, subscribe: () => () => true },
    sealer: createIdentitySealer(t.config.IDENTITY_SEALING_KEY, t.config.EXCHANGE_ID),
    minimumAge: t.config.IDENTITY_MINIMUM_AGE,
    retentionDays: t.config.IDENTITY_IMAGE_RETENTION_DAYS,
  })
  return () => identity.purgeExpiredImages()
}
