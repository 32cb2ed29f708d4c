/**
 * @module The per-round reserve challenge: the exact text every reserve address signs. It binds a
 * signature to one exchange, one round, one random nonce and the snapshot height of every chain,
 * so a signature made for an earlier round (or another exchange) never verifies for this one.
 *
 * The text is canonical (one byte string per challenge) and is always rebuilt by the verifier from
 * the round's parameters; the message carried inside a reserves file is never trusted.
 * Byte layout: docs/por-reserves.md, "Challenge message".
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { AppError } from '../../platform/errors.ts'

export type ReserveChallenge = {
  /** Format version of the text; only 1 exists. */
  version: 1
  /** Stable identifier of the exchange, e.g. `bulwark-demo`. */
  exchange: string
  /** Identifier of the round, e.g. `2026-11`. */
  round: string
  /** 32 random bytes as 64 lowercase hex characters, drawn when the round is created. */
  nonce: string
  /** Snapshot block height per chain id (`bitcoin`, `ethereum`, …). */
  snapshots: Record<string, number>
}

const ID_RE = /^[A-Za-z0-9._:-]{1,64}$/
const CHAIN_RE = /^[a-z0-9][a-z0-9-]{0,31}$/
const NONCE_RE = /^[0-9a-f]{64}$/

function invalid(message: string): AppError {
  return new AppError('POR_CHALLENGE_INVALID', 400, message)
}

/**
 * Checks every field of a challenge and returns it normalised (snapshots sorted by chain id).
 * Throws `POR_CHALLENGE_INVALID` naming the bad field.
 */
export function parseChallenge(value: unknown): ReserveChallenge {
  if (typeof value !== 'object' || value === null) throw invalid('The challenge must be a JSON object.')
  const v = value as Record<string, unknown>
  if (v.version !== 1)
    throw invalid(`Unsupported challenge version ${JSON.stringify(v.version)}; expected 1.`)
  for (const field of ['exchange', 'round'] as const) {
    const s = v[field]
    if (typeof s !== 'string' || !ID_RE.test(s)) {
      throw invalid(
        `Challenge field "${field}" must be 1-64 characters of A-Z a-z 0-9 . _ : - (got ${JSON.stringify(s)}).`,
      )
    }
  }
  if (typeof v.nonce !== 'string' || !NONCE_RE.test(v.nonce)) {
    throw invalid('Challenge field "nonce" must be 64 lowercase hex characters (32 random bytes).')
  }
  if (typeof v.snapshots !== 'object' || v.snapshots === null || Array.isArray(v.snapshots)) {
    throw invalid('Challenge field "snapshots" must be an object { chain: height }.')
  }
  const entries = Object.entries(v.snapshots as Record<string, unknown>)
  if (entries.length === 0) throw invalid('Challenge field "snapshots" must name at least one chain.')
  const snapshots: Record<string, number> = {}
  for (const [chain, height] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!CHAIN_RE.test(chain)) throw invalid(`Chain id "${chain}" must match ${CHAIN_RE.source}.`)
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0) {
      throw invalid(
        `Snapshot height of "${chain}" must be a non-negative integer (got ${JSON.stringify(height)}).`,
      )
    }
    snapshots[chain] = height
  }
  return { version: 1, exchange: v.exchange as string, round: v.round as string, nonce: v.nonce, snapshots }
}

/**
 * Draws a fresh challenge for a new round. Randomness is injectable for reproducible tests.
 * @example createChallenge({ exchange: 'bulwark-demo', round: '2026-11', snapshots: { bitcoin: 870000 } })
 */
export function createChallenge(params: {
  exchange: string
  round: string
  snapshots: Record<string, number>
  random?: (n: number) => Uint8Array
}): ReserveChallenge {
  const nonce = bytesToHex((params.random ?? randomBytes)(32))
  return parseChallenge({
    version: 1,
    exchange: params.exchange,
    round: params.round,
    nonce,
    snapshots: params.snapshots,
  })
}

/**
 * The canonical challenge text: ASCII, LF line endings, no trailing newline, chains sorted by id.
 * This exact string is what EIP-191, Bitcoin signmessage, BIP-322 and Ed25519 signatures cover.
 */
export function challengeMessage(challenge: ReserveChallenge): string {
  const c = parseChallenge(challenge)
  const lines = [
    'Bulwark proof of reserves: I control this address.',
    'version: 1',
    `exchange: ${c.exchange}`,
    `round: ${c.round}`,
    `nonce: ${c.nonce}`,
    ...Object.entries(c.snapshots).map(([chain, height]) => `snapshot ${chain}: ${height}`),
  ]
  return lines.join('\n')
}

/** Snapshot height of a chain, or a `POR_CHALLENGE_INVALID` error naming the missing chain. */
export function snapshotHeight(challenge: ReserveChallenge, chain: string): number {
  const height = challenge.snapshots[chain]
  if (height === undefined) {
    throw invalid(
      `The challenge has no snapshot height for chain "${chain}"; add it before collecting signatures.`,
    )
  }
  return height
}

/** Reads and checks a challenge JSON file (`{ version, exchange, round, nonce, snapshots }`). */
export async function loadChallenge(file: string): Promise<ReserveChallenge> {
  const { readFile } = await import('node:fs/promises')
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (cause) {
    throw new AppError(
      'POR_CHALLENGE_INVALID',
      400,
      `${file} is not readable JSON: ${(cause as Error).message}`,
    )
  }
  return parseChallenge(json)
}
