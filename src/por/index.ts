/**
 * @module Public surface of the proof-of-reserves domain (liabilities half): build a round from CSV files, open a
 * round directory, extract and verify proofs, audit a round. The reserves half exports from ./reserves/index.ts
 * and ./external/index.ts.
 */
export { type AuditReport, auditRound } from './audit.ts'
export { type BuildParameters, type BuildResult, buildRound, defaultDepth } from './build.ts'
export { demoAssetsCsv, writeDemoAssets, writeDemoLiabilities } from './demo.ts'
export { ROUND_ID_FORMAT, ROUND_ID_PATTERN } from './schema.ts'
export {
  type OpenRound,
  openRound,
  ROUND_FILES,
  type RoundAuditor,
  type RoundSummary,
  readAuditor,
  readSummary,
} from './store.ts'
export * from './verify/index.ts'
