/**
 * @module Staff management: invite (a single-use link valid 72 h sets the password), change role,
 * disable or re-enable. A security admin cannot demote or disable themselves, so a team can't lock
 * itself out by accident. Every change ends the person's sessions and lands in the audit log.
 */
import { appendAudit } from '../audit.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Db } from '../db/index.ts'
import { AppError, errors } from '../errors.ts'
import { type PasswordPolicy, passwordPolicyFor } from '../identity/password-policy.ts'
import { hashPassword } from '../identity/passwords.ts'
import type { Sessions } from '../identity/sessions.ts'
import { randomToken, tokenDigest } from '../identity/tokens.ts'
import { createUser, findUserById, presentUser, type UserView } from '../identity/users.ts'
import type { StaffRole } from '../rbac.ts'

export const INVITE_TTL_MS = 72 * 3_600_000

export type InviteParameters = { email: string; displayName: string; role: StaffRole; invitedBy: string }
export type InviteResult = { member: UserView; inviteToken: string; expiresAt: Date }

export type StaffServiceDeps = {
  db: Db
  clock: Clock
  sessions: Sessions
  config: Pick<Config, 'PASSWORD_BREACH_API' | 'PASSWORD_BREACH_TIMEOUT_MS'>
  /** The password policy; default: the configured one (customers use the same). */
  passwordPolicy?: PasswordPolicy
}

export function createStaffService({ db, clock, sessions, config, passwordPolicy }: StaffServiceDeps) {
  const policy = passwordPolicy ?? passwordPolicyFor(config)
  async function loadStaff(id: string) {
    const row = await findUserById(db, id)
    if (row?.kind !== 'staff') throw errors.notFound('Staff member')
    return row
  }

  return {
    async list(): Promise<UserView[]> {
      const rows = await db.selectFrom('users').selectAll().where('kind', '=', 'staff').execute()
      // Sorted here: with a DATA_KEK the stored emails are sealed, so SQL cannot order them.
      return rows.map(presentUser).sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0))
    },

    async invite({ email, displayName, role, invitedBy }: InviteParameters): Promise<InviteResult> {
      const inviteToken = randomToken(32)
      const now = clock.now()
      const expiresAt = new Date(now.getTime() + INVITE_TTL_MS)
      const member = await db.transaction().execute(async (tx) => {
        const created = await createUser(tx, { email, displayName, kind: 'staff', role, password: null })
        await tx
          .insertInto('staff_invites')
          .values({
            token_digest: tokenDigest(inviteToken),
            user_id: created.id,
            invited_by: invitedBy,
            created_at: now,
            expires_at: expiresAt,
            accepted_at: null,
          })
          .execute()
        await appendAudit(tx, {
          actor: `staff:${invitedBy}`,
          action: 'staff.invited',
          target: `user:${created.id}`,
          details: { email: created.email, role },
        })
        return created
      })
      return { member, inviteToken, expiresAt }
    },

    /**
     * Sets the invited person's password; the link works once, within 72 h. The password goes
     * through the customers' policy (no second factor yet: the longer minimum applies).
     */
    async acceptInvite(token: string, password: string): Promise<UserView> {
      const now = clock.now()
      const usable = (invite: { accepted_at: Date | null; expires_at: Date } | undefined) =>
        invite !== undefined && invite.accepted_at === null && invite.expires_at.getTime() > now.getTime()
      const inviteInvalid = () =>
        new AppError(
          'INVITE_INVALID',
          400,
          'This invitation link is invalid, used or expired. Ask a security admin for a new one.',
        )
      const invited = await db
        .selectFrom('staff_invites')
        .innerJoin('users', 'users.id', 'staff_invites.user_id')
        .select([
          'users.email',
          'users.display_name',
          'staff_invites.accepted_at',
          'staff_invites.expires_at',
        ])
        .where('token_digest', '=', tokenDigest(token))
        .executeTakeFirst()
      if (!invited || !usable(invited)) throw inviteInvalid()
      await policy.assertAcceptable(password, {
        email: invited.email,
        displayName: invited.display_name,
        hasSecondFactor: false,
      })
      const passwordHash = await hashPassword(password)
      return db.transaction().execute(async (tx) => {
        const invite = await tx
          .selectFrom('staff_invites')
          .selectAll()
          .where('token_digest', '=', tokenDigest(token))
          .forUpdate()
          .executeTakeFirst()
        if (!invite || !usable(invite)) throw inviteInvalid()
        await tx
          .updateTable('staff_invites')
          .set({ accepted_at: now })
          .where('token_digest', '=', invite.token_digest)
          .execute()
        const row = await tx
          .updateTable('users')
          .set({ password_hash: passwordHash, updated_at: now })
          .where('id', '=', invite.user_id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `user:${row.id}`,
          action: 'staff.invite_accepted',
          target: `user:${row.id}`,
        })
        return presentUser(row)
      })
    },

    async changeRole(id: string, role: StaffRole, actorId: string): Promise<UserView> {
      if (id === actorId)
        throw new AppError(
          'CANNOT_CHANGE_OWN_ROLE',
          409,
          'You cannot change your own role. Ask another security admin.',
        )
      const before = await loadStaff(id)
      const updated = await db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('users')
          .set({ role, updated_at: clock.now() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: 'staff.role_changed',
          target: `user:${id}`,
          details: { from: before.role, to: role },
        })
        return row
      })
      await sessions.revokeAll(id)
      return presentUser(updated)
    },

    async setStatus(id: string, status: 'active' | 'disabled', actorId: string): Promise<UserView> {
      if (id === actorId)
        throw new AppError('CANNOT_DISABLE_SELF', 409, 'You cannot disable your own account.')
      const before = await loadStaff(id)
      const updated = await db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('users')
          .set({ status, updated_at: clock.now() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendAudit(tx, {
          actor: `staff:${actorId}`,
          action: status === 'disabled' ? 'staff.disabled' : 'staff.enabled',
          target: `user:${id}`,
          details: { from: before.status, to: status },
        })
        return row
      })
      await sessions.revokeAll(id)
      return presentUser(updated)
    },
  }
}
