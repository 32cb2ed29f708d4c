/**
 * @module People: customers and staff share one table; staff carry a role.
 */
import { sql } from 'kysely'
import type { Db } from '../db/index.ts'
import { AppError } from '../errors.ts'
import type { StaffRole } from '../rbac.ts'
import { assertDisplayName } from './display-name.ts'
import { hashPassword } from './passwords.ts'
import { emailLookups, normaliseEmail, sealUserFields } from './personal-fields.ts'

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

export { normaliseEmail } from './personal-fields.ts'

/** A password hash no password verifies against: for invited staff who have not set one yet. */
export const UNUSABLE_PASSWORD_HASH = '!'

/**
 * Creates a person. Hashes the password before touching the database. The password must already
 * have passed the password policy (platform/identity/password-policy.ts); the name is checked here.
 * The email and name are stored through personal-fields.ts (sealed when `db` carries a DATA_KEK).
 */
export async function createUser(db: Db, input: NewUser): Promise<UserView> {
  const displayName = assertDisplayName(input.displayName)
  const passwordHash = input.password === null ? UNUSABLE_PASSWORD_HASH : await hashPassword(input.password)
  const email = normaliseEmail(input.email)
  const row = await insertUser(db, {
    email,
    displayName,
    kind: input.kind,
    role: input.kind === 'staff' ? input.role : null,
    passwordHash,
  })
  if (!row) throw new AppError('EMAIL_TAKEN', 409, `An account with the email ${email} already exists.`)
  return presentUser(row)
}

/**
 * Inserts a person unless the email already has an account (under any of its lookup hashes, so a
 * row not yet sealed counts too); undefined when it has. One statement, so two sign-ups with the
 * same email cannot both pass.
 */
export async function insertUser(
  db: Db,
  input: {
    email: string
    displayName: string
    kind: 'customer' | 'staff'
    role: string | null
    passwordHash: string
  },
) {
  const stored = sealUserFields(db, input)
  const lookups = emailLookups(db, input.email)
  return db
    .insertInto('users')
    .columns(['email', 'email_lookup', 'kind', 'role', 'display_name', 'password_hash'])
    .expression(
      db
        .selectNoFrom((eb) => [
          eb.val(stored.email).as('email'),
          eb.val(stored.email_lookup).as('email_lookup'),
          eb.val(input.kind).as('kind'),
          eb.val(input.role).as('role'),
          eb.val(stored.display_name).as('display_name'),
          eb.val(input.passwordHash).as('password_hash'),
        ])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('users').select('id').where('email_lookup', 'in', lookups))),
        ),
    )
    .onConflict((oc) => oc.column('email_lookup').doNothing())
    .returningAll()
    .executeTakeFirst()
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

/** The person with this email (case and surrounding spaces ignored), looked up by its hash. */
export async function findUserByEmail(db: Db, email: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('email_lookup', 'in', emailLookups(db, email))
    .executeTakeFirst()
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
