/**
 * @module The withdrawal whitelist. Entries are added only with a second factor, validated for
 * their network, and usable 24 h after they were added. Whitelist mode turns on at once; turning it
 * off takes effect 24 h after the request. `canWithdrawTo` is the one question custody asks.
 */
import { appendAudit } from '../platform/audit.ts'
import { errors } from '../platform/errors.ts'
import { canonicalAddress, isWithdrawalNetwork, requireCanonicalAddress } from './addresses.ts'
import { raiseAlert } from './alerts.ts'
import { type AccountsDeps, HOUR_MS } from './context.ts'
import type { Executor } from './repo.ts'
import { assertNotFrozen, securityRow, userRow } from './repo.ts'
import { type SecondFactorInput, verifySecondFactor } from './two-factor.ts'
import { recordProtectionChange, startWithdrawalLock, withdrawalLock } from './withdrawal-locks.ts'

export const WHITELIST_DELAY_MS = 24 * HOUR_MS

export async function listWhitelist(db: Executor, userId: string, at: Date) {
  const security = await securityRow(db, userId)
  const rows = await db
    .selectFrom('whitelist_entries')
    .selectAll()
    .where('user_id', '=', userId)
    .where('removed_at', 'is', null)
    .orderBy('created_at')
    .execute()
  const offAt = security.whitelist_disable_requested_at
    ? new Date(security.whitelist_disable_requested_at.getTime() + WHITELIST_DELAY_MS)
    : null
  return {
    enabled: whitelistInForce(security, at),
    requested: security.whitelist_enabled,
    turnsOffAt: security.whitelist_enabled && offAt ? offAt.toISOString() : null,
    entries: rows.map((r) => ({
      id: r.id,
      network: r.network,
      address: r.address,
      label: r.label,
      createdAt: r.created_at.toISOString(),
      usableAt: r.usable_at.toISOString(),
      usable: r.usable_at.getTime() <= at.getTime(),
    })),
  }
}

/** Whitelist mode at `at`: on, unless a request to turn it off is at least 24 h old. */
function whitelistInForce(
  security: { whitelist_enabled: boolean; whitelist_disable_requested_at: Date | null },
  at: Date,
): boolean {
  if (!security.whitelist_enabled) return false
  const off = security.whitelist_disable_requested_at
  return !(off && off.getTime() + WHITELIST_DELAY_MS <= at.getTime())
}

export type AddWhitelistEntry = { network: string; address: string; label: string } & SecondFactorInput

/** Adds an address (second factor required); usable 24 h later. A security change: alert + 24 h lock. */
export async function addWhitelistEntry(deps: AccountsDeps, userId: string, input: AddWhitelistEntry) {
  assertNotFrozen(await userRow(deps.db, userId))
  if (!isWithdrawalNetwork(input.network))
    throw errors.invalidInput(`Unknown network "${input.network}".`, { field: 'network' })
  const address = requireCanonicalAddress(input.network, input.address)
  await verifySecondFactor(deps, userId, input)
  const at = deps.clock.now()
  const usableAt = new Date(at.getTime() + WHITELIST_DELAY_MS)
  const entry = await deps.db.transaction().execute(async (tx) => {
    const duplicate = await tx
      .selectFrom('whitelist_entries')
      .select('id')
      .where('user_id', '=', userId)
      .where('network', '=', input.network)
      .where('address', '=', address)
      .where('removed_at', 'is', null)
      .executeTakeFirst()
    if (duplicate) throw errors.conflict('WHITELIST_DUPLICATE', 'This address is already on your whitelist.')
    const row = await tx
      .insertInto('whitelist_entries')
      .values({
        user_id: userId,
        network: input.network,
        address,
        label: input.label,
        created_at: at,
        usable_at: usableAt,
        removed_at: null,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow()
    await recordProtectionChange(tx, {
      userId,
      lock: 'whitelist_changed',
      action: 'accounts.whitelist_added',
      details: { network: input.network, address, usableAt: usableAt.toISOString() },
      at,
    })
    return row
  })
  deps.events.publish({ type: 'whitelist_changed', at: at.toISOString(), account: userId, change: 'added' })
  await raiseAlert(deps, userId, 'whitelist_changed', {
    change: 'address added',
    network: input.network,
    address,
  })
  return {
    id: entry.id,
    network: input.network,
    address,
    label: input.label,
    usableAt: usableAt.toISOString(),
  }
}

export async function removeWhitelistEntry(
  deps: AccountsDeps,
  userId: string,
  id: string,
  factor: SecondFactorInput,
) {
  assertNotFrozen(await userRow(deps.db, userId))
  await verifySecondFactor(deps, userId, factor)
  const at = deps.clock.now()
  await deps.db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('whitelist_entries')
      .set({ removed_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('removed_at', 'is', null)
      .returning(['network', 'address'])
      .executeTakeFirst()
    if (!row) throw errors.notFound('The whitelist entry')
    await recordProtectionChange(tx, {
      userId,
      lock: 'whitelist_changed',
      action: 'accounts.whitelist_removed',
      details: row,
      at,
    })
  })
  deps.events.publish({ type: 'whitelist_changed', at: at.toISOString(), account: userId, change: 'removed' })
  await raiseAlert(deps, userId, 'whitelist_changed', { change: 'address removed' })
}

/** Turns whitelist mode on (immediately) or asks to turn it off (effective 24 h later). */
export async function setWhitelistMode(
  deps: AccountsDeps,
  userId: string,
  enabled: boolean,
  factor: SecondFactorInput,
) {
  assertNotFrozen(await userRow(deps.db, userId))
  await verifySecondFactor(deps, userId, factor)
  const at = deps.clock.now()
  const security = await securityRow(deps.db, userId)
  await deps.db.transaction().execute(async (tx) => {
    if (enabled) {
      await tx
        .updateTable('account_security')
        .set({ whitelist_enabled: true, whitelist_disable_requested_at: null })
        .where('user_id', '=', userId)
        .execute()
    } else {
      if (!security.whitelist_enabled) return
      // Keep an earlier request's time: asking again must not restart (or shorten) the delay.
      await tx
        .updateTable('account_security')
        .set({ whitelist_disable_requested_at: security.whitelist_disable_requested_at ?? at })
        .where('user_id', '=', userId)
        .execute()
      await startWithdrawalLock(tx, userId, 'whitelist_changed', at)
    }
    await appendAudit(tx, {
      actor: `user:${userId}`,
      action: enabled ? 'accounts.whitelist_on' : 'accounts.whitelist_off_requested',
      target: `user:${userId}`,
      at,
    })
  })
  await raiseAlert(deps, userId, 'whitelist_changed', {
    change: enabled ? 'whitelist mode turned on' : 'whitelist mode turning off in 24 h',
  })
  return listWhitelist(deps.db, userId, at)
}

export type WithdrawDecision =
  | { allowed: true }
  | {
      allowed: false
      code:
        | 'ACCOUNT_UNKNOWN'
        | 'ACCOUNT_FROZEN'
        | 'WITHDRAWAL_LOCKED'
        | 'ADDRESS_INVALID'
        | 'ADDRESS_NOT_WHITELISTED'
        | 'WHITELIST_ENTRY_PENDING'
      message: string
      until?: string
    }

/**
 * May value leave `userId`'s account at all at `at`? The account exists and is active (not frozen
 * after "This wasn't me", not disabled) and no withdrawal lock is in force. Every outflow asks this
 * through the outflow gate (outflow-gate.ts); on-chain withdrawals ask canWithdrawTo, which starts here.
 */
export async function accountMayMoveValue(
  deps: { db: Executor },
  userId: string,
  at: Date,
): Promise<WithdrawDecision> {
  const user = await deps.db
    .selectFrom('users')
    .select(['status'])
    .where('id', '=', userId)
    .executeTakeFirst()
  if (!user) return { allowed: false, code: 'ACCOUNT_UNKNOWN', message: 'There is no account with this id.' }
  if (user.status !== 'active')
    return {
      allowed: false,
      code: 'ACCOUNT_FROZEN',
      message: 'The account is frozen pending a support review.',
    }
  const lock = await withdrawalLock(deps, userId, at)
  if (lock.locked) {
    return {
      allowed: false,
      code: 'WITHDRAWAL_LOCKED',
      message: `Withdrawals are locked until ${lock.until!.toISOString()} after a security change (${lock.reason}).`,
      until: lock.until!.toISOString(),
    }
  }
  return { allowed: true }
}

/**
 * May `userId` withdraw to `address` on `network` at `at`? Checks, in order: the account is not
 * frozen, no withdrawal lock is in force, the address is valid for the network, and, while
 * whitelist mode is in force, the address is a whitelist entry added at least 24 h before `at`.
 * Addresses are compared in canonical form, so a case-changed EVM address with a broken checksum
 * is invalid and a case-changed base58 address is a different address.
 * @example const d = await canWithdrawTo({ db }, userId, 'ethereum', '0xAbc…', clock.now()); if (!d.allowed) throw …
 */
export async function canWithdrawTo(
  deps: { db: Executor },
  userId: string,
  network: string,
  address: string,
  at: Date,
): Promise<WithdrawDecision> {
  const account = await accountMayMoveValue(deps, userId, at)
  if (!account.allowed) return account
  const check = canonicalAddress(network, address)
  if (!check.ok)
    return {
      allowed: false,
      code: 'ADDRESS_INVALID',
      message: `Not a valid ${network} address: ${check.reason}.`,
    }
  const security = await securityRow(deps.db, userId)
  if (!whitelistInForce(security, at)) return { allowed: true }
  const entry = await deps.db
    .selectFrom('whitelist_entries')
    .select(['usable_at', 'created_at'])
    .where('user_id', '=', userId)
    .where('network', '=', network)
    .where('address', '=', check.canonical)
    .where('created_at', '<=', at)
    .where((eb) => eb.or([eb('removed_at', 'is', null), eb('removed_at', '>', at)]))
    .orderBy('usable_at')
    .executeTakeFirst()
  if (!entry)
    return {
      allowed: false,
      code: 'ADDRESS_NOT_WHITELISTED',
      message: 'This address is not on your withdrawal whitelist.',
    }
  if (entry.usable_at.getTime() > at.getTime()) {
    return {
      allowed: false,
      code: 'WHITELIST_ENTRY_PENDING',
      message: `This whitelist address becomes usable at ${entry.usable_at.toISOString()} (24 h after it was added).`,
      until: entry.usable_at.toISOString(),
    }
  }
  return { allowed: true }
}
