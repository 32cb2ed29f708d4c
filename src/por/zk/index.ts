/**
 * @module Public surface of the zk proof of liabilities (docs/por-zk.md): prove a round in batches, verify the
 * chain or one batch, the setup file, and the hashing a user needs to find their leaf.
 */
export { checkSetupFits, openBatchProver, openBatchVerifier, proveBatch, verificationKey } from './batch.ts'
export { type BatchShape, compileBatchCircuit } from './circuit.ts'
export { initHash, toHex } from './hash.ts'
export {
  batchOf,
  checkUserInBatch,
  proveRound,
  readZkLeaves,
  userLeaf,
  verifyZkRound,
  ZK_FILES,
  type ZkBatchFile,
  type ZkCheck,
  type ZkManifest,
  type ZkVerifyResult,
} from './round.ts'
export { INSECURE_FILE_NAME, insecureTestSetup, openSetup, type Setup, writeInsecureSetup } from './setup.ts'
