/**
 * @module Proof-of-reserves HTTP routes. Public: published rounds with the ratio per asset, and each round's
 * commitment (round.json). Customer: their own proof, which the web page verifies in the browser. Staff: run
 * rounds (create, upload files, build, review, publish) and download the auditor package.
 */
import { createReadStream, statSync } from 'node:fs'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { create as tarCreate } from 'tar'
import { createPublicClient, http } from 'viem'
import { z } from 'zod'
import { appendAudit } from '../platform/audit.ts'
import { createAuditTreeHeads } from '../platform/audit-log/tree.ts'
import { createTreeHeadSigner } from '../platform/audit-log/tree-head.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { AppError } from '../platform/errors.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { createRounds, INPUT_KINDS } from './rounds.ts'
import { challengeBodySchema, exemptionBodySchema, roundIdSchema, roundSchema } from './schema.ts'
import { zkRoundFile } from './zk/files.ts'
import { zkRoutes } from './zk/routes.ts'

export async function porRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const auditHeads = createAuditTreeHeads({
    db: deps.db,
    signer: createTreeHeadSigner({ config: deps.config, clock: deps.clock }),
  })
  // A build reads reserve wallets of chain `ethereum` from this node (and of `bitcoin` from the Esplora API)
  // at the round's snapshot block.
  const rpcUrl = deps.config.POR_EVM_RPC_URL ?? deps.config.CUSTODY_EVM_RPC_URL
  const rounds = createRounds({
    db: deps.db,
    clock: deps.clock,
    dataDir: deps.config.DATA_DIR,
    auditHead: () => auditHeads.signedHead(),
    exchangeId: deps.config.EXCHANGE_ID,
    ...(rpcUrl
      ? {
          evm: {
            ethereum: createPublicClient({ transport: http(rpcUrl, { timeout: 10_000, retryCount: 1 }) }),
          },
        }
      : {}),
    ...(deps.config.POR_ESPLORA_URL
      ? { esplora: { bitcoin: { baseUrl: deps.config.POR_ESPLORA_URL } } }
      : {}),
  })
  await zkRoutes(base, deps, rounds)
  const params = z.object({ id: roundIdSchema })
  // CSV uploads arrive as a raw stream and go straight to disk.
  app.addContentTypeParser(['text/csv', 'application/octet-stream'], (_req, payload, done) =>
    done(null, payload),
  )

  app.get(
    '/api/por/rounds',
    {
      schema: {
        tags: ['por'],
        summary:
          'Published proof-of-reserves rounds, newest first, with liabilities, reserves and ratio per asset',
        response: { 200: z.object({ rounds: z.array(roundSchema) }) },
      },
    },
    async () => ({ rounds: await rounds.list() }),
  )

  app.get(
    '/api/por/rounds/:id',
    {
      schema: {
        tags: ['por'],
        summary: 'One published round',
        params,
        response: { 200: roundSchema },
      },
    },
    async (request) => rounds.get(request.params.id),
  )

  app.get(
    '/api/por/rounds/:id/commitment',
    {
      // A published round's commitment never changes; anyone may cache it (errors stay no-store).
      config: { cacheable: 'public, max-age=300' },
      schema: {
        tags: ['por'],
        summary: "The round's public commitment (round.json): root, depth, assets and totals",
        params,
      },
    },
    async (request) => rounds.summary(request.params.id),
  )

  app.get(
    '/api/por/rounds/:id/my-proof',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: {
        tags: ['por'],
        summary:
          "The signed-in customer's inclusion proof (JSON); `latest` for the newest round. Verify it yourself.",
        params: z.object({ id: z.union([roundIdSchema, z.literal('latest')]) }),
      },
    },
    async (request) => rounds.proofFor(request.params.id, request.user!.id),
  )

  app.get(
    '/api/por/rounds/:id/zk/:file',
    {
      config: { cacheable: 'public, max-age=300' },
      schema: {
        tags: ['por'],
        summary:
          "A published round's zk proof of liabilities (docs/por-zk.md): manifest.json, vk.bin or batch-NNNNNN.json",
        params: z.object({ id: roundIdSchema, file: z.string().max(40) }),
      },
    },
    async (request, reply) => {
      // Only a published round's proofs; its commitment names the round they belong to.
      await rounds.summary(request.params.id)
      const path = zkRoundFile(deps.config.DATA_DIR, request.params.id, request.params.file)
      const json = request.params.file.endsWith('.json')
      reply.header('content-type', json ? 'application/json' : 'application/octet-stream')
      reply.header('content-length', statSync(path).size)
      return reply.send(createReadStream(path))
    },
  )

  // Staff.
  app.get(
    '/api/por/staff/rounds',
    {
      preHandler: requireStaff('por.rounds.read'),
      schema: {
        tags: ['por'],
        summary: 'All rounds in every state',
        response: { 200: z.object({ rounds: z.array(roundSchema) }) },
      },
    },
    async () => ({ rounds: await rounds.list({ includeUnpublished: true }) }),
  )

  app.post(
    '/api/por/staff/rounds',
    {
      preHandler: requireStaff('por.rounds.manage'),
      schema: {
        tags: ['por'],
        summary: 'Create a round',
        body: z.object({ id: roundIdSchema }),
        response: { 200: roundSchema },
      },
    },
    async (request) => rounds.create(request.body.id, request.user!.id),
  )

  app.put(
    '/api/por/staff/rounds/:id/files/:kind',
    {
      preHandler: requireStaff('por.rounds.manage'),
      schema: {
        tags: ['por'],
        summary:
          'Upload an input file (text/csv body): liabilities, assets, reserves (wallets with signatures over the challenge; docs/por-reserves.md) or exemptions',
        params: z.object({ id: roundIdSchema, kind: z.enum(INPUT_KINDS as [string, ...string[]]) }),
        response: { 200: roundSchema },
      },
    },
    async (request) => {
      if (!(request.body instanceof Readable)) {
        throw new AppError(
          'POR_UPLOAD_TYPE',
          415,
          'Send the file as the request body with content-type text/csv.',
        )
      }
      return rounds.importFile(
        request.params.id,
        request.params.kind as (typeof INPUT_KINDS)[number],
        request.body,
        request.user!.id,
      )
    },
  )

  for (const [step, permission] of [
    ['build', 'por.rounds.manage'],
    ['review', 'por.rounds.review'],
    ['publish', 'por.rounds.publish'],
  ] as const) {
    app.post(
      `/api/por/staff/rounds/:id/${step}`,
      {
        preHandler: requireStaff(permission),
        schema: {
          tags: ['por'],
          summary: `${step[0]!.toUpperCase()}${step.slice(1)} a round`,
          params,
          response: { 200: roundSchema },
        },
      },
      async (request) => rounds[step](request.params.id, request.user!.id),
    )
  }

  app.post(
    '/api/por/staff/rounds/:id/challenge',
    {
      preHandler: requireStaff('por.rounds.manage'),
      schema: {
        tags: ['por'],
        summary:
          "Draw the round's reserve challenge (fresh nonce, snapshot block per chain): the text every reserve wallet signs",
        params,
        body: challengeBodySchema,
        response: { 200: roundSchema },
      },
    },
    async (request) => rounds.drawChallenge(request.params.id, request.body.snapshots, request.user!.id),
  )

  app.post(
    '/api/por/staff/rounds/:id/reserves-exemption',
    {
      preHandler: requireStaff('por.rounds.publish'),
      schema: {
        tags: ['por'],
        summary:
          'Record why unverified reserves may be published; the public page labels them "declared, not verified: <reason>"',
        params,
        body: exemptionBodySchema,
        response: { 200: roundSchema },
      },
    },
    async (request) => rounds.exemptReserves(request.params.id, request.body.reason, request.user!.id),
  )

  app.get(
    '/api/por/staff/rounds/:id/progress',
    {
      preHandler: requireStaff('por.rounds.read'),
      schema: {
        tags: ['por'],
        summary:
          'Progress of a build under way: phase (import, leaves, tree) and percent; null when none runs',
        params,
        response: {
          200: z.object({
            progress: z
              .object({
                phase: z.enum(['import', 'leaves', 'tree']),
                percent: z.number(),
                startedAt: z.string(),
              })
              .nullable(),
          }),
        },
      },
    },
    async (request) => ({ progress: rounds.progress(request.params.id) }),
  )

  app.get(
    '/api/por/staff/rounds/:id/auditor-package.tar',
    {
      preHandler: requireStaff('por.rounds.read'),
      schema: {
        tags: ['por'],
        summary:
          'Download the whole auditor package as one tar archive (round.json, auditor.json, leaves.bin, level-NN.bin) for `bulwark por audit`',
        params,
      },
    },
    async (request, reply) => {
      const { dir, files } = await rounds.auditorPackage(request.params.id)
      await appendAudit(deps.db, {
        actor: `staff:${request.user!.id}`,
        action: 'por.auditor_package_downloaded',
        target: `round:${request.params.id}`,
        details: { files: files.length },
      })
      reply.header('content-type', 'application/x-tar')
      reply.header(
        'content-disposition',
        `attachment; filename="bulwark-por-${request.params.id}-auditor.tar"`,
      )
      // Streamed from disk: a 10M-user round is gigabytes and never sits in memory.
      return reply.send(tarCreate({ cwd: dir, portable: true }, files))
    },
  )

  app.get(
    '/api/por/staff/rounds/:id/auditor-package/:file',
    {
      preHandler: requireStaff('por.rounds.read'),
      schema: {
        tags: ['por'],
        summary:
          'Download one file of the auditor package (round.json, auditor.json, leaves.bin, level-NN.bin)',
        params: z.object({ id: roundIdSchema, file: z.string().max(40) }),
      },
    },
    async (request, reply) => {
      const path = await rounds.auditorFile(request.params.id, request.params.file)
      reply.header('content-type', 'application/octet-stream')
      reply.header('content-length', statSync(path).size)
      reply.header('content-disposition', `attachment; filename="${request.params.file}"`)
      return reply.send(createReadStream(path))
    },
  )
}
