/**
 * @module People: customers and staff share one table; staff carry a role.
 */
import { sql } from 'kysely'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import type { StaffRole } from '../rbac.ts'
import { assertDisplayName } from './display-name.ts'
import { hashPassword } from './passwords.ts'

export type NewUser = {
  email: string
  displayName: string
  password: string | null
} & ({ kind: 'customer'; role?: null } | { kind: 'staff'; role: StaffRole })

export type UserView = {
  id: string
  email: string
  kind: 'customer' | 'staff'
  role: string | null
  displayName: string
  status: 'active' | 'disabled' | 'frozen'
  createdAt: string
}

/** The stored form of an email: trimmed and lower-cased (one account per mailbox). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** A password hash no password verifies against: for invited staff who have not set one yet. */
export const UNUSABLE_PASSWORD_HASH = '!'

/**
 * Creates a person. Hashes the password before touching the database. The password must already
 * have passed the password policy (platform/identity/password-policy.ts); the name is checked here.
 */
export async function createUser(db: Db, input: NewUser): Promise<UserView> {
  const displayName = assertDisplayName(input.displayName)
  const passwordHash = input.password === null ? UNUSABLE_PASSWORD_HASH : await hashPassword(input.password)
  const email = normaliseEmail(input.email)
  const row = await db
    .insertInto('users')
    .values({
      email,
      kind: input.kind,
      role: input.kind === 'staff' ? input.role : null,
      display_name: displayName,
      password_hash: passwordHash,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw new AppError('EMAIL_TAKEN', 409, `An account with the email ${email} already exists.`)
  return presentUser(row)
}

export function presentUser(row: {
  id: string
  email: string
  kind: 'customer' | 'staff'
  role: string | null
  display_name: string
  status: 'active' | 'disabled' | 'frozen'
  created_at: Date
}): UserView {
  return {
    id: row.id,
    email: row.email,
    kind: row.kind,
    role: row.role,
    displayName: row.display_name,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  }
}

export async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst()
}

export async function findUserById(db: Db, id: string) {
  if (!isUuid(id)) return undefined
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db.selectFrom('users').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}
