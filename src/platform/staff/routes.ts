/**
 * @module Staff management routes (security_admin) and invitation acceptance (public, by token).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../deps.ts'
import { requireStaff } from '../http/auth.ts'
import { displayNameSchema } from '../identity/display-name.ts'
import { PASSWORD_MAX } from '../identity/password-policy.ts'
import { emailSchema, userSchema } from '../identity/routes.ts'
import type { UserView } from '../identity/users.ts'
import { staffRoles } from '../rbac.ts'
import { createStaffService } from './service.ts'

const memberSchema = userSchema.extend({ createdAt: z.string() })
const idParams = z.object({ id: z.uuid({ message: 'expected a staff member id (UUID)' }) })
/** Bounded only: the password policy (identity/password-policy.ts) says what is wrong and why. */
export const newPasswordSchema = z
  .string()
  .min(1)
  .max(PASSWORD_MAX * 4)

export async function staffRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const staff = createStaffService(deps)
  const publicUrl = deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`

  app.get(
    '/api/staff/members',
    {
      preHandler: requireStaff('staff.read'),
      schema: {
        tags: ['staff'],
        summary: 'List staff members',
        response: { 200: z.object({ members: z.array(memberSchema) }) },
      },
    },
    async () => ({ members: await staff.list() }),
  )

  app.get(
    '/api/staff/people',
    {
      preHandler: requireStaff('people.read'),
      schema: {
        tags: ['staff'],
        summary: 'Names and emails of up to 100 accounts by id, so staff pages show people instead of ids',
        querystring: z.object({
          ids: z
            .string()
            .max(100 * 37)
            .transform((v) => v.split(',').filter(Boolean))
            .pipe(z.array(z.uuid()).max(100)),
        }),
        response: {
          200: z.object({
            people: z.record(
              z.string(),
              z.object({ name: z.string(), email: z.string(), kind: z.enum(['customer', 'staff']) }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const ids = [...new Set(request.query.ids)]
      if (ids.length === 0) return { people: {} }
      const rows = await deps.db
        .selectFrom('users')
        .select(['id', 'email', 'display_name', 'kind'])
        .where('id', 'in', ids)
        .execute()
      return {
        people: Object.fromEntries(
          rows.map((r) => [
            r.id,
            { name: r.display_name, email: r.email, kind: r.kind as 'customer' | 'staff' },
          ]),
        ),
      }
    },
  )

  app.post(
    '/api/staff/members',
    {
      preHandler: requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: 'Invite a staff member; returns a single-use link (72 h) to pass on over a trusted channel',
        body: z.object({
          email: emailSchema,
          displayName: displayNameSchema,
          role: z.enum(staffRoles),
        }),
        response: { 201: z.object({ member: memberSchema, inviteUrl: z.string(), expiresAt: z.string() }) },
      },
    },
    async (request, reply) => {
      const result = await staff.invite({ ...request.body, invitedBy: request.user!.id })
      return reply.status(201).send({
        member: result.member,
        inviteUrl: `${publicUrl}/staff/invite#${result.inviteToken}`,
        expiresAt: result.expiresAt.toISOString(),
      })
    },
  )

  app.patch(
    '/api/staff/members/:id',
    {
      preHandler: requireStaff('staff.manage'),
      schema: {
        tags: ['staff'],
        summary: 'Change a staff member’s role or disable/enable them (ends their sessions)',
        params: idParams,
        body: z
          .object({ role: z.enum(staffRoles).optional(), status: z.enum(['active', 'disabled']).optional() })
          .refine((b) => b.role !== undefined || b.status !== undefined, { message: 'give role or status' }),
        response: { 200: z.object({ member: memberSchema }) },
      },
    },
    async (request) => {
      const actor = request.user!.id
      let member: UserView | undefined
      if (request.body.role) member = await staff.changeRole(request.params.id, request.body.role, actor)
      if (request.body.status) member = await staff.setStatus(request.params.id, request.body.status, actor)
      return { member: member! }
    },
  )

  app.post(
    '/api/staff/invites/accept',
    {
      config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' } },
      schema: {
        tags: ['staff'],
        summary: 'Accept a staff invitation by setting a password',
        body: z.object({ token: z.string().min(20).max(100), password: newPasswordSchema }),
        response: { 200: z.object({ member: memberSchema }) },
      },
    },
    async (request) => ({ member: await staff.acceptInvite(request.body.token, request.body.password) }),
  )
}
