/**
 * @module API request signatures, OKX style: the client sends
 *   BW-ACCESS-KEY, BW-ACCESS-PASSPHRASE, BW-ACCESS-TIMESTAMP (ISO 8601, UTC, milliseconds) and
 *   BW-ACCESS-SIGN = Base64(HMAC-SHA256(secret, timestamp + METHOD + path + body))
 * where path includes the query string and body is the raw request body ('' when none). The
 * timestamp must be within 30 s of the server clock; each signature is accepted once.
 * HMAC is Node's (OpenSSL) for throughput: the server verifies every API request with it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { base64 } from '@scure/base'

export const SIGNATURE_WINDOW_MS = 30_000

export type SignedRequest = { timestamp: string; method: string; path: string; body: string }

/** The prehash string: timestamp + METHOD + path + body. */
export function signaturePayload({ timestamp, method, path, body }: SignedRequest): string {
  return `${timestamp}${method.toUpperCase()}${path}${body}`
}

/**
 * Signs a request as a client would.
 * @example signRequest(secret, { timestamp: new Date().toISOString(), method: 'GET', path: '/api/accounts/me', body: '' })
 */
export function signRequest(secret: string, request: SignedRequest): string {
  return createHmac('sha256', secret).update(signaturePayload(request), 'utf8').digest('base64')
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; code: 'API_TIMESTAMP_INVALID' | 'API_TIMESTAMP_STALE' | 'API_SIGNATURE_INVALID' }

/** Checks the timestamp window and the HMAC in constant time (no replay check: see the api-keys service). */
export function verifySignature(
  secret: string,
  request: SignedRequest,
  signature: string,
  now: Date,
): SignatureCheck {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(request.timestamp)) {
    return { ok: false, code: 'API_TIMESTAMP_INVALID' }
  }
  const sent = Date.parse(request.timestamp)
  if (!Number.isFinite(sent) || Math.abs(now.getTime() - sent) > SIGNATURE_WINDOW_MS) {
    return { ok: false, code: 'API_TIMESTAMP_STALE' }
  }
  let given: Uint8Array
  try {
    given = base64.decode(signature)
  } catch {
    return { ok: false, code: 'API_SIGNATURE_INVALID' }
  }
  const expected = createHmac('sha256', secret).update(signaturePayload(request), 'utf8').digest()
  if (given.length !== expected.length) return { ok: false, code: 'API_SIGNATURE_INVALID' }
  return timingSafeEqual(expected, given) ? { ok: true } : { ok: false, code: 'API_SIGNATURE_INVALID' }
}
