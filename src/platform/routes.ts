/**
 * @module The platform's own routes: health, identity, staff management, audit log.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { z } from 'zod'
import { auditRoutes } from './audit-routes.ts'
import type { DomainDeps } from './deps.ts'
import { AppError } from './errors.ts'
import { identityRoutes } from './identity/routes.ts'
import { metaRoutes } from './meta-routes.ts'
import { staffRoutes } from './staff/routes.ts'

export async function platformRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the database answers',
        response: { 200: z.object({ status: z.literal('ready') }) },
      },
    },
    async (request) => {
      try {
        await sql`select 1`.execute(deps.db)
      } catch (cause) {
        request.log.error({ err: cause }, 'database not ready')
        throw new AppError('NOT_READY', 503, 'The database is not reachable yet.')
      }
      return { status: 'ready' as const }
    },
  )

  await app.register(identityRoutes, deps)
  await app.register(staffRoutes, deps)
  await app.register(auditRoutes, deps)
  await app.register(metaRoutes, deps)
}
