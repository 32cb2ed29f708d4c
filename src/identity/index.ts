/**
 * @module Identity verification ("Eagle Eye"), the customer-facing identity domain: MRZ parsing
 * and document rules, verifications with decisions and reasons, the compliance review queue,
 * sealed images with retention, duplicates across accounts. Other domains import from here only.
 */
export { type ApprovedIdentityName, approvedIdentityName } from './approved-name.ts'
export type { DocumentCheck, Reason, ReasonCode, VisualFields } from './document.ts'
export { checkDocument } from './document.ts'
export { migrations } from './migrations.ts'
export type { MrzFields, MrzParseResult } from './mrz.ts'
export { checkDigit, parseMrz } from './mrz.ts'
export { composeMrz } from './mrz-compose.ts'
export type { IdentityTables } from './tables.ts'
export type { IdentityVerifications, MrzReader } from './verifications.ts'
export { createIdentityVerifications } from './verifications.ts'
