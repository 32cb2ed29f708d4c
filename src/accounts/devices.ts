/**
 * @module Devices: every sign-in is bound to a browser by a long-lived random cookie (stored as its
 * SHA-256) plus its user agent. A sign-in from a device the account has not approved waits for a
 * single-use link emailed to the account (valid 10 minutes). Revoking a device ends its sessions at once.
 */
import { appendAudit } from '../platform/audit.ts'
import { loadKek } from '../platform/crypto/field-encryption.ts'
import { readStoredIp } from '../platform/crypto/session-ips.ts'
import { AppError, errors } from '../platform/errors.ts'
import { tokenDigest } from '../platform/identity/tokens.ts'
import { type AccountsDeps, MINUTE_MS, publicUrl } from './context.ts'
import { issueEmailLink, linkInvalid, redeemEmailLink } from './email-links.ts'
import type { Executor } from './repo.ts'
import { userRow } from './repo.ts'

export const DEVICE_APPROVAL_MS = 10 * MINUTE_MS

/** A short human description of a user agent ("Chrome on Linux"). */
export function describeUserAgent(ua: string): string {
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /curl|python|node|undici|lightMyRequest/i.test(ua)
            ? 'Script'
            : 'Browser'
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Mac OS X/.test(ua)
      ? 'macOS'
      : /Android/.test(ua)
        ? 'Android'
        : /iPhone|iPad/.test(ua)
          ? 'iOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'an unknown system'
  return `${browser} on ${os}`
}

/** Finds this browser's device record for the user, or creates a pending one. */
export async function deviceFor(
  db: Executor,
  userId: string,
  token: string,
  userAgent: string,
  ip: string,
  at: Date,
) {
  const digest = tokenDigest(token)
  const existing = await db
    .selectFrom('devices')
    .selectAll()
    .where('user_id', '=', userId)
    .where('cookie_digest', '=', digest)
    .executeTakeFirst()
  if (existing) {
    // A device is the cookie plus its browser: the cookie replayed from another browser or system
    // needs approval again (compared by family, so a browser update does not).
    const sameBrowser = describeUserAgent(existing.user_agent) === describeUserAgent(userAgent)
    const status = existing.status === 'revoked' || !sameBrowser ? 'pending' : existing.status
    await db
      .updateTable('devices')
      .set({ ip, last_seen_at: at, status, user_agent: userAgent.slice(0, 512) })
      .where('id', '=', existing.id)
      .execute()
    return { ...existing, status, ip, user_agent: userAgent.slice(0, 512) }
  }
  return db
    .insertInto('devices')
    .values({
      user_id: userId,
      cookie_digest: digest,
      user_agent: userAgent.slice(0, 512),
      ip,
      place: null,
      status: 'pending',
      created_at: at,
      approved_at: null,
      last_seen_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function trustedDeviceCount(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('status', '=', 'trusted')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Emails the single-use approval link for a pending device. */
export async function sendDeviceApproval(
  deps: AccountsDeps,
  userId: string,
  device: { id: string; user_agent: string; ip: string },
) {
  const at = deps.clock.now()
  const token = await issueEmailLink(deps.db, {
    userId,
    purpose: 'device_approval',
    deviceId: device.id,
    at,
    validForMs: DEVICE_APPROVAL_MS,
  })
  const user = await userRow(deps.db, userId)
  await deps.mailer.send({
    to: user.email,
    subject: 'Approve a sign-in from a new device',
    text: [
      `Someone signed in to your Bulwark account from a device we have not seen: ${describeUserAgent(device.user_agent)}, IP ${device.ip}, at ${at.toISOString()}.`,
      '',
      `If this was you, approve the device within 10 minutes: ${publicUrl(deps.config)}/devices/approve#${token}`,
      '',
      'If this was not you, do not open the link: your password is known to someone else. Change it now in Security center.',
    ].join('\n'),
  })
  await appendAudit(deps.db, {
    actor: `user:${userId}`,
    action: 'accounts.device_approval_requested',
    target: `user:${userId}`,
    details: { deviceId: device.id, ip: device.ip },
    at,
  })
}

/** Approves the device named by an emailed link (single use, 10 minutes). */
export async function approveDevice(deps: AccountsDeps, token: string) {
  const at = deps.clock.now()
  const row = await redeemEmailLink(deps.db, token, 'device_approval', at)
  if (!row.device_id) throw linkInvalid()
  const device = await deps.db
    .updateTable('devices')
    .set({ status: 'trusted', approved_at: at })
    .where('id', '=', row.device_id)
    .where('status', '=', 'pending')
    .returning(['id', 'user_agent', 'ip'])
    .executeTakeFirst()
  if (!device) throw new AppError('LINK_INVALID', 400, 'This device was already approved or removed.')
  await appendAudit(deps.db, {
    actor: `user:${row.user_id}`,
    action: 'accounts.device_approved',
    target: `user:${row.user_id}`,
    details: { deviceId: device.id },
    at,
  })
  return { device: describeUserAgent(device.user_agent), ip: device.ip }
}

export async function bindSession(db: Executor, sessionId: string, deviceId: string) {
  await db.insertInto('session_devices').values({ session_id: sessionId, device_id: deviceId }).execute()
}

export async function listDevices(deps: AccountsDeps, userId: string, currentSessionId: string | null) {
  const rows = await deps.db
    .selectFrom('devices')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '!=', 'revoked')
    .orderBy('last_seen_at', 'desc')
    .execute()
  const current = currentSessionId
    ? await deps.db
        .selectFrom('session_devices')
        .select('device_id')
        .where('session_id', '=', currentSessionId)
        .executeTakeFirst()
    : undefined
  // Devices unseen for PERSONAL_DATA_RETENTION_DAYS hold their IP encrypted (platform/crypto).
  const kek = loadKek(deps.config)
  const ips = await Promise.all(rows.map((d) => readStoredIp({ db: deps.db, kek }, 'devices', 'ip', d.ip)))
  return rows.map((d, i) => ({
    id: d.id,
    description: describeUserAgent(d.user_agent),
    userAgent: d.user_agent,
    ip: ips[i] ?? '',
    place: d.place,
    status: d.status as 'trusted' | 'pending',
    createdAt: d.created_at.toISOString(),
    lastSeenAt: d.last_seen_at.toISOString(),
    current: current?.device_id === d.id,
  }))
}

/** Revokes a device and ends every session it holds, immediately. */
export async function revokeDevice(deps: AccountsDeps, userId: string, deviceId: string) {
  const at = deps.clock.now()
  const ended = await deps.db.transaction().execute(async (tx) => {
    const device = await tx
      .updateTable('devices')
      .set({ status: 'revoked' })
      .where('id', '=', deviceId)
      .where('user_id', '=', userId)
      .where('status', '!=', 'revoked')
      .returning(['id'])
      .executeTakeFirst()
    if (!device) throw errors.notFound('The device')
    const result = await tx
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('revoked_at', 'is', null)
      .where('id', 'in', (eb) =>
        eb.selectFrom('session_devices').select('session_id').where('device_id', '=', deviceId),
      )
      .executeTakeFirst()
    await appendAudit(tx, {
      actor: `user:${userId}`,
      action: 'accounts.device_revoked',
      target: `user:${userId}`,
      details: { deviceId, sessionsEnded: Number(result.numUpdatedRows) },
      at,
    })
    return Number(result.numUpdatedRows)
  })
  return { sessionsEnded: ended }
}

/** The customer looked through the device list (a Security center checklist item). */
export async function markDevicesReviewed(deps: AccountsDeps, userId: string) {
  await deps.db
    .updateTable('account_security')
    .set({ devices_reviewed_at: deps.clock.now() })
    .where('user_id', '=', userId)
    .execute()
}
