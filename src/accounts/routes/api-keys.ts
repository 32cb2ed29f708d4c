import { z } from 'zod'
import { requireCustomer } from '../../platform/http/auth.ts'
import { createApiKey, listApiKeys, revokeApiKey } from '../api-keys.ts'
import { apiPermissionSchema, factorFields, lockSchema, withdrawDecisionSchema } from '../schema.ts'
import { canWithdrawTo } from '../whitelist.ts'
import { withdrawalLock } from '../withdrawal-locks.ts'
import { type AccountsApp, type AccountsRouteContext, idParams } from './context.ts'

export function apiKeyRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  // --- API keys (managed with a session only; see the hook above). ---
  const apiKeySchema = z.object({
    id: z.uuid(),
    accessKey: z.string(),
    label: z.string(),
    permissions: z.array(apiPermissionSchema),
    allowedIps: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    expired: z.boolean(),
  })
  app.get(
    '/api/accounts/api-keys',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'List API keys',
        response: { 200: z.object({ keys: z.array(apiKeySchema) }) },
      },
    },
    async (request) => ({ keys: await listApiKeys(deps, request.user!.id) }),
  )
  app.post(
    '/api/accounts/api-keys',
    {
      config: { reauth: true },
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Create an API key; the secret is shown once (needs a fresh sign-in or re-authentication)',
        body: z.object({
          label: z.string().trim().min(1).max(60),
          permissions: z.array(apiPermissionSchema).min(1).max(3),
          allowedIps: z.array(z.string().max(45)).max(20).default([]),
          passphrase: z.string().min(8).max(64),
          ...factorFields,
        }),
        response: {
          201: z.object({
            id: z.uuid(),
            accessKey: z.string(),
            secret: z.string(),
            permissions: z.array(apiPermissionSchema),
            allowedIps: z.array(z.string()),
            label: z.string(),
            createdAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createApiKey(deps, request.user!.id, request.body, request.user!.sessionId)),
  )
  app.delete(
    '/api/accounts/api-keys/:id',
    {
      config: { reauth: true },
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Revoke an API key (needs a fresh sign-in or re-authentication)',
        params: idParams,
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps, request.user!.id, request.params.id)
      return reply.status(204).send()
    },
  )

  // --- The signed API for integrations (reachable with an API key or a session). ---
  app.get(
    '/api/v1/account',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags: ['api'],
        summary: 'The account behind the key, with its withdrawal lock (permission: read)',
        response: {
          200: z.object({
            id: z.uuid(),
            email: z.string(),
            status: z.string(),
            withdrawalLock: lockSchema,
            authMethod: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const user = request.user!
      const lock = await withdrawalLock(deps, user.id, deps.clock.now())
      return {
        id: user.id,
        email: user.email,
        status: user.status,
        withdrawalLock: {
          locked: lock.locked,
          until: lock.until?.toISOString() ?? null,
          reason: lock.reason,
        },
        authMethod: request.authMethod ?? 'session',
      }
    },
  )
  app.post(
    '/api/v1/withdrawal-check',
    {
      config: { apiKey: 'withdraw' },
      preHandler: requireCustomer,
      schema: {
        tags: ['api'],
        summary: 'Would a withdrawal to this address be allowed now? (permission: withdraw)',
        body: z.object({ network: z.string().max(40), address: z.string().max(120) }),
        response: { 200: withdrawDecisionSchema },
      },
    },
    async (request) =>
      canWithdrawTo(deps, request.user!.id, request.body.network, request.body.address, deps.clock.now()),
  )
}
