/**
 * @module Signed tree heads of the audit log: (log, size, root, timestamp) signed with Ed25519 by a
 * key that is never stored in the database, so someone who can rewrite the database still cannot
 * issue a head for the rewritten log. The signed bytes are a few text lines (see `treeHeadMessage`
 * and docs/security-model.md) so a verifier in any language can rebuild them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes, randomBytes as nobleRandomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { z } from 'zod'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'

export const TREE_HEAD_VERSION = 'bulwark-audit-tree-head/v1'
/** File name of the key generated in DATA_DIR when no key is configured (demo and development). */
export const GENERATED_KEY_FILE = 'audit-signing.key'

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits')

/** A signed tree head as published (HTTP, `bulwark audit checkpoint`, PoR rounds). */
export const signedTreeHeadSchema = z.object({
  version: z.literal(TREE_HEAD_VERSION),
  /** The log's name: this exchange's EXCHANGE_ID. */
  log: z.string().min(1).max(64),
  /** Number of entries (leaves) in the tree. */
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** MTH of the first `size` entries, hex. */
  root: hex64,
  /** When the head was signed, ISO 8601 UTC with milliseconds. */
  timestamp: z.iso.datetime(),
  /** Ed25519 public key, hex (32 bytes). */
  publicKey: hex64,
  /** Ed25519 signature of `treeHeadMessage(...)`, hex (64 bytes). */
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'expected 128 lower-case hex digits'),
})
export type SignedTreeHead = z.infer<typeof signedTreeHeadSchema>
export type TreeHead = Pick<SignedTreeHead, 'log' | 'size' | 'root' | 'timestamp'>

/**
 * The exact bytes signed: UTF-8 of five lines, each ending in "\n":
 * version, log, size (decimal), root (hex), timestamp.
 * @example treeHeadMessage({ log: 'bulwark-demo', size: 3, root: 'ab…', timestamp: '2026-12-07T01:00:00.000Z' })
 */
export function treeHeadMessage(head: TreeHead): Uint8Array {
  if (/[\r\n]/.test(head.log)) throw new RangeError('the log name cannot contain a line break')
  return utf8ToBytes(`${TREE_HEAD_VERSION}\n${head.log}\n${head.size}\n${head.root}\n${head.timestamp}\n`)
}

/**
 * Checks a head's signature against its own public key, or against `trustedKey` when given (a
 * verifier should pin the key it got out of band; a head carrying its own key proves only that
 * whoever holds that key signed it).
 */
export function verifyTreeHead(head: SignedTreeHead, trustedKey?: string): boolean {
  if (trustedKey !== undefined && trustedKey.toLowerCase() !== head.publicKey) return false
  try {
    return ed25519.verify(hexToBytes(head.signature), treeHeadMessage(head), hexToBytes(head.publicKey))
  } catch {
    // A malformed point or signature is simply not a valid signature.
    return false
  }
}

export type TreeHeadSigner = {
  /** The public key, hex, for verifiers. */
  publicKey(): string
  sign(head: Omit<TreeHead, 'timestamp' | 'log'>): SignedTreeHead
}

export type TreeHeadSignerOptions = {
  config: Pick<Config, 'AUDIT_SIGNING_KEY' | 'AUDIT_SIGNING_KEY_FILE' | 'DATA_DIR' | 'EXCHANGE_ID'>
  clock: Clock
  /** Told once when a key was generated in DATA_DIR (so the operator sees it in the log). */
  onGenerated?: (path: string) => void
  randomBytes?: (n: number) => Uint8Array
}

/**
 * A signer whose key is read (or, without configuration, generated in DATA_DIR) on first use, so
 * processes that never sign a head never touch the key.
 * @example const signer = createTreeHeadSigner({ config, clock }); signer.sign({ size: 3, root })
 */
export function createTreeHeadSigner(options: TreeHeadSignerOptions): TreeHeadSigner {
  let seed: Uint8Array | undefined
  const key = () => {
    seed ??= loadSigningSeed(options)
    return seed
  }
  return {
    publicKey: () => bytesToHex(ed25519.getPublicKey(key())),
    sign({ size, root }) {
      const head: TreeHead = {
        log: options.config.EXCHANGE_ID,
        size,
        root,
        timestamp: options.clock.now().toISOString(),
      }
      const secret = key()
      return {
        version: TREE_HEAD_VERSION,
        ...head,
        publicKey: bytesToHex(ed25519.getPublicKey(secret)),
        signature: bytesToHex(ed25519.sign(treeHeadMessage(head), secret)),
      }
    },
  }
}

/**
 * This log's public key if a key is configured or was generated already, else null (reading it
 * never generates one, so a verifier does not create a key as a side effect).
 */
export function configuredPublicKey(config: TreeHeadSignerOptions['config']): string | null {
  const generated = join(config.DATA_DIR, GENERATED_KEY_FILE)
  if (!config.AUDIT_SIGNING_KEY && !config.AUDIT_SIGNING_KEY_FILE && !existsSync(generated)) return null
  return bytesToHex(ed25519.getPublicKey(loadSigningSeed({ config, clock: { now: () => new Date() } })))
}

function loadSigningSeed(options: TreeHeadSignerOptions): Uint8Array {
  const { config } = options
  if (config.AUDIT_SIGNING_KEY) return hexToBytes(config.AUDIT_SIGNING_KEY.toLowerCase())
  if (config.AUDIT_SIGNING_KEY_FILE) return readSeed(config.AUDIT_SIGNING_KEY_FILE, 'AUDIT_SIGNING_KEY_FILE')
  const path = join(config.DATA_DIR, GENERATED_KEY_FILE)
  if (existsSync(path)) return readSeed(path, 'the generated key file')
  const seed = (options.randomBytes ?? nobleRandomBytes)(32)
  mkdirSync(dirname(path), { recursive: true })
  try {
    writeFileSync(path, `${bytesToHex(seed)}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    // Another process generated it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readSeed(path, 'the generated key file')
    throw error
  }
  options.onGenerated?.(path)
  return seed
}

function readSeed(path: string, what: string): Uint8Array {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (error) {
    throw new AppError(
      'AUDIT_SIGNING_KEY_UNREADABLE',
      500,
      `The audit signing key (${what}) cannot be read: check the path and its permissions.`,
      { cause: error },
    )
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new AppError(
      'AUDIT_SIGNING_KEY_MALFORMED',
      500,
      `The audit signing key (${what}) must hold 64 hex digits (openssl rand -hex 32).`,
    )
  }
  return hexToBytes(text.toLowerCase())
}
