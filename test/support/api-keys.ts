/**
 * @module Customer API keys for tests that are about what a key can do (withdraw, be refused by
 * scope, survive a restart), not about how a key is created: the key is stored directly, and
 * requests are signed the way a client library signs them (src/accounts/api-signature.ts).
 */
import type { InjectOptions } from 'fastify'
import { passphraseDigest } from '../../src/accounts/api-keys.ts'
import { signRequest } from '../../src/accounts/api-signature.ts'
import { createSealer } from '../../src/accounts/sealing.ts'
import type { Clock } from '../../src/platform/clock.ts'
import type { Config } from '../../src/platform/config.ts'
import type { Db } from '../../src/platform/db/index.ts'
import type { TestApp } from './app.ts'

/** A key as its holder has it: the access key, the secret (shown once) and the passphrase. */
export type TestApiKey = { accessKey: string; secret: string; passphrase: string }

export type StoreApiKeyOptions = {
  permissions?: ReadonlyArray<'read' | 'trade' | 'withdraw'>
  label?: string
  allowedIps?: string
  createdAt?: Date
}

/** Stores `key` for `userId` as the create route would (secret sealed, passphrase digested). */
export async function storeApiKey(
  { db, config }: { db: Db; config: Pick<Config, 'ACCOUNTS_SEALING_KEY' | 'EXCHANGE_ID'> },
  userId: string,
  key: TestApiKey,
  {
    permissions = ['read', 'withdraw'],
    label = 'test',
    allowedIps = '127.0.0.1',
    createdAt,
  }: StoreApiKeyOptions = {},
) {
  const sealer = createSealer(config.ACCOUNTS_SEALING_KEY, config.EXCHANGE_ID)
  await db
    .insertInto('api_keys')
    .values({
      user_id: userId,
      access_key: key.accessKey,
      secret_sealed: sealer.seal(key.secret),
      passphrase_digest: passphraseDigest(key.accessKey, key.passphrase),
      label,
      permissions: permissions.join(','),
      allowed_ips: allowedIps,
      created_at: createdAt ?? new Date(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute()
}

/** The headers of a request signed with `key`; `body` is the exact text sent ('' for none). */
export function signedHeaders(
  key: TestApiKey,
  { method, path, body, timestamp }: { method: string; path: string; body: string; timestamp: string },
): Record<string, string> {
  return {
    'bw-access-key': key.accessKey,
    'bw-access-passphrase': key.passphrase,
    'bw-access-timestamp': timestamp,
    'bw-access-sign': signRequest(key.secret, { timestamp, method, path, body }),
    ...(body
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      : {}),
  }
}

/**
 * A client injecting requests signed with `key` into `t.app` (or the `app` given per call, e.g.
 * after a restart). Each request is stamped one millisecond after the last on the test clock, so
 * two identical requests never look like a replay to the server.
 */
export function signedClient(t: { app: TestApp['app']; clock: Clock }, key: TestApiKey) {
  let sequence = 0
  return (method: 'GET' | 'POST', url: string, payload?: unknown, app: TestApp['app'] = t.app) => {
    const body = payload === undefined ? '' : JSON.stringify(payload)
    const timestamp = new Date(t.clock.now().getTime() + ++sequence).toISOString()
    const request: InjectOptions = {
      method,
      url,
      headers: signedHeaders(key, { method, path: url, body, timestamp }),
      ...(body ? { payload: body } : {}),
    }
    return app.inject(request)
  }
}
