/**
 * @module Staff management: invite (a single-use link valid 72 h sets the password), change role,
 * disable or re-enable. A security admin cannot demote or disable themselves, so a team can't lock
 * itself out by accident. Every change ends the person's sessions and lands in the audit log.
 */
import { appendAudit } from '../audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { AppError, errors } from '../errors.ts'
import { hashPassword } from '../identity/passwords.ts'
import type { Sessions } from '../identity/sessions.ts'
import { randomToken, tokenDigest } from '../identity/tokens.ts'
import { createUser, findUserById, presentUser, type UserView } from '../identity/users.ts'
import type { StaffRole } from '../rbac.ts'

export const INVITE_TTL_MS = 72 * 3_600_000

export type InviteParameters = { email: string; displayName: string; role: StaffRole; invitedBy: string }
export type InviteResult = { member: UserView; inviteToken: string; expiresAt: Date }

export function createStaffService({ db, clock, sessions }: { db: Db; clock: Clock; sessions: Sessions }) {
  async function loadStaff(id: string) {
    const row = await findUserById(db, id)
    if (row?.kind !== 'staff') throw errors.notFound('Staff member')
    return row
  }

  return {
    async list(): Promise<UserView[]> {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('kind', '=', 'staff')
        .orderBy('email')
        .execute()
      return rows.map(presentUser)
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

    /** Sets the invited person's password; the link works once, within 72 h. */
    async acceptInvite(token: string, password: string): Promise<UserView> {
      const passwordHash = await hashPassword(password)
      const now = clock.now()
      return db.transaction().execute(async (tx) => {
        const invite = await tx
          .selectFrom('staff_invites')
          .selectAll()
          .where('token_digest', '=', tokenDigest(token))
          .forUpdate()
          .executeTakeFirst()
        if (!invite || invite.accepted_at !== null || invite.expires_at.getTime() <= now.getTime()) {
          throw new AppError(
            'INVITE_INVALID',
            400,
            'This invitation link is invalid, used or expired. Ask a security admin for a new one.',
          )
        }
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
