/**
 * @module Public surface of PoR reserves: the round challenge, the reserves CSV, ownership and
 * balance verification, and the per-asset report. Other code imports only from here.
 */
export { formatAmount, parseAmount, ratioString } from './amount.ts'
export {
  bip322MessageHash,
  bitcoinMessageHash,
  type OwnershipResult,
  verifyBip322Simple,
  verifyBitcoinMessage,
  verifyBitcoinMultisig,
} from './bitcoin.ts'
export {
  challengeMessage,
  createChallenge,
  loadChallenge,
  parseChallenge,
  type ReserveChallenge,
  snapshotHeight,
} from './challenge.ts'
export {
  loadReserves,
  parseReservesCsv,
  RESERVES_HEADER,
  type ReserveEntry,
  type ReserveScheme,
} from './csv.ts'
export { ed25519Addresses, verifyEd25519 } from './ed25519.ts'
export { type EsploraClient, esploraBalanceAt, esploraBlockHash } from './esplora.ts'
export { type EvmReader, evmBalanceAt, verifyEip191, verifyErc1271, verifySafeOwners } from './evm.ts'
export { formatReserveReport, type ReserveReportRow, reserveReport } from './report.ts'
export { type RoundReserves, verifyRoundReserves } from './round.ts'
export { tronAddress, verifyTronMessage } from './tron.ts'
export {
  type ReserveRowResult,
  type ReservesVerification,
  type VerifyReservesParams,
  verifyReserves,
} from './verify.ts'
