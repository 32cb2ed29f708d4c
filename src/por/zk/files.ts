/**
 * @module Where a server round keeps its zk proofs (`DATA_DIR/por/rounds/ID/tree/zk`, written by
 * `bulwark por prove --round …/tree`) and which of them may be downloaded: the manifest, the verification key
 * and the batch files, nothing else.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { errors } from '../../platform/errors.ts'
import { resolveInside } from '../../platform/safe-path.ts'

/** Names a client may ask for: `manifest.json`, `vk.bin`, `batch-NNNNNN.json`. */
export const ZK_FILE_NAME = /^(manifest\.json|vk\.bin|batch-\d{6}\.json)$/

/** The path of a downloadable zk file of round `id`, or NOT_FOUND. */
export function zkRoundFile(dataDir: string, id: string, name: string): string {
  if (!ZK_FILE_NAME.test(name)) throw errors.notFound(`File ${name}`)
  const path = resolveInside(join(dataDir, 'por', 'rounds'), id, 'tree', 'zk', name)
  if (!existsSync(path)) throw errors.notFound(`File ${name}`)
  return path
}
