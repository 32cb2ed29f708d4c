/**
 * @module Balance vectors as exchanges publish them: a JSON object of asset -> decimal string whose
 * key ORDER matters (it is the order the exchange hashed). Helpers keep the order, add vectors
 * asset by asset and describe the first difference precisely.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { addDec, type Dec, equalDec, formatDecStripped, parseDec } from './decimal.ts'

export type Vector = { keys: string[]; values: Dec[]; raw: string[] }

/** Reads `{ "BTC": "0.1", … }` keeping key order; an error names the bad asset. */
export function readVector(value: unknown, where: string): Vector | { error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: `${where}: balances must be an object of asset -> decimal string` }
  }
  const keys: string[] = []
  const values: Dec[] = []
  const raw: string[] = []
  for (const [k, v] of Object.entries(value)) {
    const text = typeof v === 'number' ? String(v) : v
    const d = typeof text === 'string' ? parseDec(text) : null
    if (!d) return { error: `${where}: ${k} balance ${JSON.stringify(v)} is not a decimal number` }
    keys.push(k)
    values.push(d)
    raw.push(text as string)
  }
  if (keys.length === 0) return { error: `${where}: balances are empty` }
  return { keys, values, raw }
}

/** Sum of two vectors over the same assets in the same order, or a reason. */
export function addVectors(a: Vector, b: Vector, where: string): Vector | { error: string } {
  if (a.keys.join(',') !== b.keys.join(',')) {
    return { error: `${where}: asset lists differ (${a.keys.join(',')} vs ${b.keys.join(',')})` }
  }
  const values = a.values.map((v, i) => addDec(v, b.values[i]!))
  return { keys: a.keys, values, raw: values.map(formatDecStripped) }
}

/** First asset whose amounts differ, formatted for a failure message; null when equal. */
export function vectorDifference(computed: Vector, stated: Vector): string | null {
  if (computed.keys.join(',') !== stated.keys.join(',')) {
    return `asset lists differ (${computed.keys.join(',')} vs ${stated.keys.join(',')})`
  }
  for (let i = 0; i < computed.keys.length; i++) {
    if (!equalDec(computed.values[i]!, stated.values[i]!)) {
      return `${computed.keys[i]} sum is ${formatDecStripped(computed.values[i]!)} but the file says ${stated.raw[i]}`
    }
  }
  return null
}

export function vectorRecord(v: Vector): Record<string, string> {
  return Object.fromEntries(v.keys.map((k, i) => [k, v.raw[i] ?? '']))
}

/** Lowercase hex SHA-256 of a UTF-8 string, the hash all three exchanges use. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)))
}

export function hasNegative(v: Vector): string | null {
  const i = v.values.findIndex((d) => d.units < 0n)
  return i === -1 ? null : (v.keys[i] ?? null)
}
