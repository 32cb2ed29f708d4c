import { z } from 'zod'
import { requireUser } from '../../platform/http/auth.ts'
import {
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
} from '../passkeys.ts'
import { registrationResponse } from '../schema.ts'
import type { AccountsApp, AccountsRouteContext } from './context.ts'

export function passkeyRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  const passkeySchema = z.object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  app.get(
    '/api/accounts/passkeys',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'List passkeys',
        response: { 200: z.object({ passkeys: z.array(passkeySchema) }) },
      },
    },
    async (request) => ({ passkeys: await listPasskeys(deps.db, request.user!.id) }),
  )
  app.post(
    '/api/accounts/passkeys/registration-options',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: { tags: ['accounts'], summary: 'WebAuthn options to create a passkey (single-use challenge)' },
    },
    async (request) => passkeyRegistrationOptions(deps, request.user!),
  )
  app.post(
    '/api/accounts/passkeys',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Register a passkey',
        body: z.object({ name: z.string().trim().min(1).max(60), response: registrationResponse }),
        response: { 201: z.object({ id: z.string(), name: z.string(), createdAt: z.string() }) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await registerPasskey(deps, request.user!.id, request.body.response, request.body.name)),
  )
  app.delete(
    '/api/accounts/passkeys/:id',
    {
      config: { reauth: true },
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a passkey',
        params: z.object({ id: z.string().max(512) }),
      },
    },
    async (request, reply) => {
      await removePasskey(deps, request.user!.id, request.params.id)
      return reply.status(204).send()
    },
  )
  app.post(
    '/api/accounts/passkeys/authentication-options',
    {
      preHandler: requireUser,
      schema: {
        tags: ['accounts'],
        summary: 'WebAuthn options to confirm a sensitive action with a passkey',
      },
    },
    async (request) => passkeyAuthenticationOptions(deps, request.user!.id),
  )
}
