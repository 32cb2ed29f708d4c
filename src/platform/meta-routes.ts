/**
 * @module `GET /api/meta`: what the web app must know about this install before anything else,
 * i.e. whether it is a demo whose mail is public (the banner on every page) and where mail goes.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from './deps.ts'
import { isDemoInstall, mailOutboxAccess } from './settings.ts'

export const metaSchema = z.object({
  /** The database was created by the demo seed (and SEED_DEMO is on). */
  demo: z.boolean(),
  /** Who can read the mail outbox: anyone (demo), staff (no SMTP_URL), or nobody (SMTP). */
  mailOutbox: z.enum(['public', 'staff', 'none']),
})

export async function metaRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.get(
    '/api/meta',
    {
      schema: {
        tags: ['ops'],
        summary: 'This install: demo or not, and who can read the mail outbox',
        response: { 200: metaSchema },
      },
    },
    async () => ({
      demo: deps.config.SEED_DEMO && (await isDemoInstall(deps.db)),
      mailOutbox: await mailOutboxAccess(deps.db, deps.config),
    }),
  )
}
