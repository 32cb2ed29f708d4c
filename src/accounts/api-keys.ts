/**
 * @module API keys for third-party integrations (OKX style): an access key, a secret shown once and
 * a passphrase chosen by the customer; requests are signed (see api-signature.ts), fresh (±30 s),
 * never replayed, and come from an allowed IP when the key has any. `withdraw` keys must have IPs;
 * keys without IPs expire after 14 days without use. A frozen account's keys stop working.
 */
import { isIP } from 'node:net'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { appendAudit } from '../platform/audit.ts'
import { AppError, errors } from '../platform/errors.ts'
import type { ApiKeyAuthentication, ApiKeyPermission, SignedApiRequest } from '../platform/http/api-keys.ts'
import type { SessionUser } from '../platform/identity/sessions.ts'
import { constantTimeEqual, randomToken } from '../platform/identity/tokens.ts'
import { raiseAlert } from './alerts.ts'
import { verifySignature } from './api-signature.ts'
import { type AccountsDeps, HOUR_MS } from './context.ts'
import { assertNotFrozen, userRow } from './repo.ts'
import {
  type SecondFactorInput,
  secondFactorRequired,
  secondFactors,
  verifySecondFactor,
} from './two-factor.ts'

export const apiPermissions = ['read', 'trade', 'withdraw'] as const satisfies readonly ApiKeyPermission[]
export type ApiPermission = ApiKeyPermission
export const MAX_ALLOWED_IPS = 20
export const UNUSED_KEY_EXPIRY_MS = 14 * 24 * HOUR_MS

/** How a key's passphrase is stored (digest bound to the access key). */
export function passphraseDigest(accessKey: string, passphrase: string): string {
  return bytesToHex(sha256(utf8ToBytes(`bulwark-api-passphrase:${accessKey}:${passphrase}`)))
}

export type CreateApiKeyParameters = {
  label: string
  permissions: ApiPermission[]
  allowedIps: string[]
  passphrase: string
} & SecondFactorInput

/** Creates a key; the secret is in the answer and nowhere else in readable form. */
export async function createApiKey(
  deps: AccountsDeps,
  userId: string,
  input: CreateApiKeyParameters,
  /** The session creating it, recorded so "This wasn't me" on that session revokes the key. */
  sessionId: string | null = null,
) {
  assertNotFrozen(await userRow(deps.db, userId))
  const permissions = [...new Set(input.permissions)].sort()
  if (permissions.length === 0)
    throw errors.invalidInput('Choose at least one permission.', { field: 'permissions' })
  const ips = [...new Set(input.allowedIps.map((ip) => ip.trim()).filter(Boolean))]
  if (ips.length > MAX_ALLOWED_IPS)
    throw errors.invalidInput(`At most ${MAX_ALLOWED_IPS} IP addresses.`, { field: 'allowedIps' })
  const bad = ips.find((ip) => isIP(ip) === 0)
  if (bad) throw errors.invalidInput(`"${bad}" is not an IP address.`, { field: 'allowedIps' })
  if (permissions.includes('withdraw') && ips.length === 0) {
    throw new AppError(
      'API_KEY_IPS_REQUIRED',
      400,
      'A key with the withdraw permission must be limited to at least one IP address.',
    )
  }
  const factors = await secondFactors(deps, userId)
  if (factors.any) await verifySecondFactor(deps, userId, input)
  else if (permissions.includes('withdraw')) throw secondFactorRequired([])
  const accessKey = `bwk_${randomToken(16)}`
  const secret = randomToken(32)
  const at = deps.clock.now()
  const row = await deps.db.transaction().execute(async (tx) => {
    const created = await tx
      .insertInto('api_keys')
      .values({
        user_id: userId,
        access_key: accessKey,
        secret_sealed: deps.sealer.seal(secret),
        passphrase_digest: passphraseDigest(accessKey, input.passphrase),
        label: input.label,
        permissions: permissions.join(','),
        allowed_ips: ips.join(','),
        created_at: at,
        last_used_at: null,
        revoked_at: null,
        created_session_id: sessionId,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow()
    await appendAudit(tx, {
      actor: `user:${userId}`,
      action: 'accounts.api_key_created',
      target: `user:${userId}`,
      details: { keyId: created.id, permissions, allowedIps: ips },
      at,
    })
    return created
  })
  deps.events.publish({ type: 'api_key_created', at: at.toISOString(), account: userId, permissions })
  await raiseAlert(
    deps,
    userId,
    'api_key_created',
    { label: input.label, permissions: permissions.join(', ') },
    undefined,
    sessionId ? { sessionId } : undefined,
  )
  return {
    id: row.id,
    accessKey,
    secret,
    permissions,
    allowedIps: ips,
    label: input.label,
    createdAt: at.toISOString(),
  }
}

function expiresAt(row: { allowed_ips: string; created_at: Date; last_used_at: Date | null }): Date | null {
  if (row.allowed_ips !== '') return null
  return new Date((row.last_used_at ?? row.created_at).getTime() + UNUSED_KEY_EXPIRY_MS)
}

export async function listApiKeys(deps: AccountsDeps, userId: string) {
  const rows = await deps.db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute()
  const now = deps.clock.now()
  return rows.map((r) => {
    const expiry = expiresAt(r)
    return {
      id: r.id,
      accessKey: r.access_key,
      label: r.label,
      permissions: r.permissions.split(',') as ApiPermission[],
      allowedIps: r.allowed_ips ? r.allowed_ips.split(',') : [],
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
      expiresAt: expiry?.toISOString() ?? null,
      expired: expiry !== null && expiry.getTime() <= now.getTime(),
    }
  })
}

export async function revokeApiKey(deps: AccountsDeps, userId: string, id: string) {
  const at = deps.clock.now()
  const row = await deps.db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning(['id'])
    .executeTakeFirst()
  if (!row) throw errors.notFound('The API key')
  await appendAudit(deps.db, {
    actor: `user:${userId}`,
    action: 'accounts.api_key_revoked',
    target: `user:${userId}`,
    details: { keyId: id },
    at,
  })
}

const refused = (code: string, message: string) => new AppError(code, 401, message)
let acceptedSinceSweep = 0

/**
 * Authenticates a signed API request and returns the key's owner as a request user, or throws
 * API_KEY_INVALID / API_KEY_EXPIRED / API_KEY_SUSPENDED / API_KEY_IP_NOT_ALLOWED /
 * API_TIMESTAMP_STALE / API_SIGNATURE_INVALID / API_SIGNATURE_REPLAYED.
 */
export async function authenticateApiRequest(
  deps: AccountsDeps,
  request: SignedApiRequest,
): Promise<ApiKeyAuthentication> {
  const now = deps.clock.now()
  const key = await deps.db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select([
      'api_keys.id',
      'api_keys.secret_sealed',
      'api_keys.passphrase_digest',
      'api_keys.permissions',
      'api_keys.allowed_ips',
      'api_keys.created_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
      'users.id as userId',
      'users.email',
      'users.kind',
      'users.role',
      'users.display_name',
      'users.status',
    ])
    .where('api_keys.access_key', '=', request.accessKey.slice(0, 64))
    .executeTakeFirst()
  if (!key || key.revoked_at !== null || key.kind !== 'customer')
    throw refused('API_KEY_INVALID', 'Unknown or revoked API key.')
  if (key.status !== 'active')
    throw refused('API_KEY_SUSPENDED', 'This account is frozen or disabled: its API keys are suspended.')
  const expiry = expiresAt(key)
  if (expiry && expiry.getTime() <= now.getTime()) {
    throw refused(
      'API_KEY_EXPIRED',
      'This key expired after 14 days without use. Create a new one, or limit keys to IP addresses.',
    )
  }
  const ips = key.allowed_ips ? key.allowed_ips.split(',') : []
  if (ips.length > 0 && !ips.includes(request.ip))
    throw refused('API_KEY_IP_NOT_ALLOWED', `Requests from ${request.ip} are not allowed for this key.`)
  if (!constantTimeEqual(passphraseDigest(request.accessKey, request.passphrase), key.passphrase_digest)) {
    throw refused('API_KEY_INVALID', 'The passphrase does not match this key.')
  }
  const check = verifySignature(
    deps.sealer.open(key.secret_sealed),
    { timestamp: request.timestamp, method: request.method, path: request.path, body: request.body },
    request.signature,
    now,
  )
  if (!check.ok) {
    throw refused(
      check.code,
      check.code === 'API_SIGNATURE_INVALID'
        ? 'The request signature is not valid.'
        : 'The timestamp must be an ISO 8601 UTC time within 30 seconds of ours.',
    )
  }
  // Replay cache: a signature is accepted once while its timestamp could still be fresh.
  const fresh = await deps.db
    .insertInto('api_signatures')
    .values({ signature: request.signature, expires_at: new Date(now.getTime() + 2 * 30_000) })
    .onConflict((oc) => oc.column('signature').doNothing())
    .returning('signature')
    .executeTakeFirst()
  if (!fresh) throw refused('API_SIGNATURE_REPLAYED', 'This signed request was already used.')
  await deps.db
    .updateTable('api_keys')
    .set({ last_used_at: now, last_used_ip: request.ip.slice(0, 64) })
    .where('id', '=', key.id)
    .execute()
  // Expired replay entries are swept every hundredth accepted request (they can no longer replay).
  if (++acceptedSinceSweep >= 100) {
    acceptedSinceSweep = 0
    await deps.db.deleteFrom('api_signatures').where('expires_at', '<', now).execute()
  }
  const user: SessionUser = {
    id: key.userId,
    email: key.email,
    kind: key.kind,
    role: key.role,
    displayName: key.display_name,
    status: key.status,
    sessionId: `api_key:${key.id}`,
    csrfToken: '',
  }
  return { user, keyId: key.id, permissions: key.permissions.split(',') as ApiPermission[] }
}
