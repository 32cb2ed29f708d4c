/**
 * @module zk proof-of-liabilities routes (docs/por-zk.md). Staff: start or stop the proving job of a built
 * round and poll its progress. Public: the zk hashes a published round records (circuit, verification key,
 * setup, top root), which the browser and CLI verifiers pin.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DomainDeps } from '../../platform/deps.ts'
import { errors } from '../../platform/errors.ts'
import { requireStaff } from '../../platform/http/auth.ts'
import type { Rounds } from '../rounds.ts'
import { roundIdSchema } from '../schema.ts'
import { createZkProving } from './job.ts'
import { browserWasm } from './wasm.ts'

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)
const recordSchema = z.object({
  exchangeId: z.string(),
  circuitHash: hex64,
  vkHash: hex64,
  setupHash: hex64,
  setupInsecure: z.boolean(),
  setupG2: z.string().regex(/^[0-9a-f]{256}$/),
  topRoot: z.string().max(80),
  batchSize: z.number().int(),
  batchCount: z.number().int(),
  leafCount: z.number().int(),
  provedAt: z.string(),
})
const progressSchema = z.object({
  state: z.enum(['running', 'done', 'failed', 'stopped', 'interrupted']),
  batchSize: z.number().int(),
  cores: z.number().int(),
  done: z.number().int(),
  total: z.number().int(),
  reused: z.number().int(),
  usersPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  startedAt: z.string(),
  startedBy: z.string(),
  finishedAt: z.string().nullable(),
  stoppedBy: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})

export async function zkRoutes(base: FastifyInstance, deps: DomainDeps, rounds: Rounds) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const proving = createZkProving({
    db: deps.db,
    clock: deps.clock,
    dataDir: deps.config.DATA_DIR,
    exchangeId: deps.config.EXCHANGE_ID,
    setupFile: deps.config.POR_ZK_SETUP_FILE,
    roundStatus: async (id) => (await rounds.get(id, { includeUnpublished: true })).status,
  })
  // A job left running by a server that is gone (restart, kill -9) shows as interrupted; staff resume it.
  await proving.recover()
  app.addHook('onClose', async () => proving.close())
  const params = z.object({ id: roundIdSchema })
  const recordedWithExchange = async (id: string) => {
    const found = await proving.recorded(id)
    return found && { exchangeId: deps.config.EXCHANGE_ID, ...found }
  }

  app.post(
    '/api/por/staff/rounds/:id/zk/prove',
    {
      preHandler: requireStaff('por.rounds.prove'),
      schema: {
        tags: ['por'],
        summary:
          'Start proving a built round in zero knowledge as a server job (resumes from the batches already proved)',
        params,
        body: z.object({
          batchSize: z
            .number()
            .int()
            .min(2)
            .max(4096)
            .refine((n) => (n & (n - 1)) === 0, 'a power of two')
            .default(256),
          cores: z.number().int().min(1).max(64).default(1),
        }),
        response: { 200: progressSchema },
      },
    },
    async (request) => proving.start(request.params.id, `staff:${request.user!.id}`, request.body),
  )

  app.post(
    '/api/por/staff/rounds/:id/zk/stop',
    {
      preHandler: requireStaff('por.rounds.prove'),
      schema: {
        tags: ['por'],
        summary: 'Stop the proving job of a round; its proved batches are kept for the next start',
        params,
        response: { 200: progressSchema },
      },
    },
    async (request) => proving.stop(request.params.id, `staff:${request.user!.id}`),
  )

  app.get(
    '/api/por/staff/rounds/:id/zk/progress',
    {
      preHandler: requireStaff('por.rounds.read'),
      schema: {
        tags: ['por'],
        summary:
          "The round's proving job (batches done / total, users/s, ETA; interrupted when its server stopped; null when none was started) and its recorded zk hashes",
        params,
        response: {
          200: z.object({ progress: progressSchema.nullable(), recorded: recordSchema.nullable() }),
        },
      },
    },
    async (request) => {
      await rounds.get(request.params.id, { includeUnpublished: true })
      return {
        progress: await proving.progress(request.params.id),
        recorded: await recordedWithExchange(request.params.id),
      }
    },
  )

  app.get(
    '/api/por/rounds/:id/zk',
    {
      config: { cacheable: 'public, max-age=300' },
      schema: {
        tags: ['por'],
        summary:
          'The zk hashes a published round records: circuit, verification key, setup (and its G2 point), top root over the batch roots',
        params,
        response: { 200: recordSchema },
      },
    },
    async (request) => {
      await rounds.summary(request.params.id)
      const found = await proving.recorded(request.params.id)
      if (!found) throw errors.notFound(`A zk proof of round ${request.params.id}`)
      return { exchangeId: deps.config.EXCHANGE_ID, ...found }
    },
  )

  app.get(
    '/api/por/zk/barretenberg.wasm.gz',
    {
      config: { cacheable: 'public, max-age=86400' },
      schema: {
        tags: ['por'],
        summary:
          "bb.js's single-threaded wasm (gzip) for the browser's batch-proof check, served here instead of a CDN",
      },
    },
    async (_request, reply) => {
      reply.header('content-type', 'application/gzip')
      return reply.send(browserWasm())
    },
  )
}
