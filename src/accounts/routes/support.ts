import { z } from 'zod'
import { requireStaff } from '../../platform/http/auth.ts'
import { unfreezeAccount } from '../alerts.ts'
import { messageSchema } from '../schema.ts'
import { type AccountsApp, type AccountsRouteContext, idParams } from './context.ts'

export function supportRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- Support: frozen accounts. ---
  app.get(
    '/api/staff/accounts/frozen',
    {
      preHandler: requireStaff('accounts.frozen.read'),
      schema: {
        tags: ['accounts'],
        summary: 'Accounts frozen by "This wasn\'t me", waiting for review',
        response: {
          200: z.object({
            accounts: z.array(
              z.object({
                id: z.uuid(),
                email: z.string(),
                displayName: z.string(),
                frozenAt: z.string().nullable(),
                reason: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const rows = await deps.db
        .selectFrom('users')
        .leftJoin('account_security', 'account_security.user_id', 'users.id')
        .select([
          'users.id',
          'users.email',
          'users.display_name',
          'account_security.frozen_at',
          'account_security.frozen_reason',
        ])
        .where('users.status', '=', 'frozen')
        .orderBy('account_security.frozen_at', 'desc')
        .execute()
      return {
        accounts: rows.map((r) => ({
          id: r.id,
          email: r.email,
          displayName: r.display_name,
          frozenAt: r.frozen_at?.toISOString() ?? null,
          reason: r.frozen_reason ?? null,
        })),
      }
    },
  )
  app.post(
    '/api/staff/accounts/:id/unfreeze',
    {
      preHandler: requireStaff('accounts.unfreeze'),
      schema: {
        tags: ['accounts'],
        summary: 'Unfreeze an account after review (withdrawal locks stay)',
        params: idParams,
        body: z.object({ note: z.string().trim().min(3).max(500) }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await unfreezeAccount(deps, request.user!.id, request.params.id, request.body.note)
      return { message: 'Account unfrozen.' }
    },
  )
}
