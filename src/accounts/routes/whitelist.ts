import { z } from 'zod'
import { requireCustomer } from '../../platform/http/auth.ts'
import {
  factorFields,
  lockSchema,
  messageSchema,
  networkSchema,
  whitelistSchema,
  withdrawDecisionSchema,
} from '../schema.ts'
import {
  addWhitelistEntry,
  canWithdrawTo,
  listWhitelist,
  removeWhitelistEntry,
  setWhitelistMode,
} from '../whitelist.ts'
import { withdrawalLock } from '../withdrawal-locks.ts'
import { type AccountsApp, type AccountsRouteContext, idParams } from './context.ts'

export function whitelistRoutes(app: AccountsApp, ctx: AccountsRouteContext): void {
  const { deps } = ctx
  app.get(
    '/api/accounts/whitelist',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Withdrawal whitelist and mode',
        response: { 200: whitelistSchema },
      },
    },
    async (request) => listWhitelist(deps.db, request.user!.id, deps.clock.now()),
  )
  app.post(
    '/api/accounts/whitelist',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Add a whitelist address (second factor required; usable after 24 h)',
        body: z.object({
          network: networkSchema,
          address: z.string().trim().min(1).max(120),
          label: z.string().trim().min(1).max(60),
          ...factorFields,
        }),
        response: {
          201: z.object({
            id: z.uuid(),
            network: z.string(),
            address: z.string(),
            label: z.string(),
            usableAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await addWhitelistEntry(deps, request.user!.id, request.body)),
  )
  app.post(
    '/api/accounts/whitelist/:id/remove',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Remove a whitelist address (second factor required)',
        params: idParams,
        body: z.object(factorFields),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      await removeWhitelistEntry(deps, request.user!.id, request.params.id, request.body)
      return { message: 'Address removed.' }
    },
  )
  app.post(
    '/api/accounts/whitelist/mode',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Turn whitelist mode on (now) or off (after 24 h)',
        body: z.object({ enabled: z.boolean(), ...factorFields }),
        response: { 200: whitelistSchema },
      },
    },
    async (request) => {
      const { enabled, ...factor } = request.body
      return setWhitelistMode(deps, request.user!.id, enabled, factor)
    },
  )
  app.get(
    '/api/accounts/withdrawal-lock',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'The withdrawal lock in force, if any',
        response: { 200: lockSchema },
      },
    },
    async (request) => {
      const lock = await withdrawalLock(deps, request.user!.id, deps.clock.now())
      return { locked: lock.locked, until: lock.until?.toISOString() ?? null, reason: lock.reason }
    },
  )
  app.post(
    '/api/accounts/withdrawal-check',
    {
      preHandler: requireCustomer,
      schema: {
        tags: ['accounts'],
        summary: 'Would a withdrawal to this address be allowed now?',
        body: z.object({ network: z.string().max(40), address: z.string().max(120) }),
        response: { 200: withdrawDecisionSchema },
      },
    },
    async (request) =>
      canWithdrawTo(deps, request.user!.id, request.body.network, request.body.address, deps.clock.now()),
  )
}
