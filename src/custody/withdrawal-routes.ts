/**
 * @module Withdrawal HTTP routes. Customers request (session + CSRF + 2FA step-up, or a signed API
 * key with the withdraw permission), list, read (each step in plain words) and cancel; staff see
 * the approval and review queues (payload, risk reasons, the policy that applied), approve against
 * the payload hash, reject, release; propose and approve policies (four-eyes); hold and lift an
 * account's withdrawals. When CUSTODY_EVM_RPC_URL is set, the signer/broadcaster runs here as a job.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createTravelRule } from '../compliance/index.ts'
import { configuredScreener } from '../guard/node/configured.ts'
import type { DomainDeps } from '../platform/deps.ts'
import { requireCustomer, requireStaff } from '../platform/http/auth.ts'
import { createWithdrawalProcessor } from './broadcast.ts'
import { createHolds } from './holds.ts'
import { configuredHotSigner } from './hot-signer.ts'
import { parseTokenContracts } from './signing.ts'
import { createWithdrawals, presentForCustomer, presentForStaff } from './withdrawals.ts'
import { withdrawalStatuses } from './withdrawals-tables.ts'

const tags = ['custody']
const idParams = z.object({ id: z.uuid() })
const note = z.string().trim().min(1).max(500)

const requestBody = z
  .object({
    asset: z.string().min(1).max(16),
    amount: z
      .string()
      .max(40)
      .regex(/^\d+(\.\d+)?$/, 'a decimal amount such as 0.25'),
    network: z.string().min(1).max(32),
    address: z.string().min(1).max(128),
    idempotencyKey: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : -'),
    totpCode: z.string().max(16).optional(),
    passkeyResponse: z.record(z.string().max(64), z.unknown()).optional(),
  })
  .strict()

/** The Travel Rule step (src/compliance) when TRAVEL_RULE_JURISDICTION is set. */
function travelRuleStep(deps: DomainDeps) {
  const step = createTravelRule(deps).step
  return step ? { travelRule: step } : {}
}

export async function withdrawalRoutes(base: FastifyInstance, deps: DomainDeps) {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const hotSigner = configuredHotSigner(deps.config)
  const withdrawals = createWithdrawals({
    db: deps.db,
    clock: deps.clock,
    config: deps.config,
    accounts: deps,
    risk: deps.risk.engine,
    // The guard's address lists (shipped OFAC or its refreshed feed, address feeds,
    // GUARD_ADDRESS_LISTS), rebuilt when a feed refresh lands: no restart needed.
    screener: configuredScreener(deps.config),
    hotSigner: hotSigner !== null,
    ...travelRuleStep(deps),
  })
  const holds = createHolds({ db: deps.db, clock: deps.clock, holdPending: withdrawals.holdPending })
  const me = (request: { user: { id: string } | null }) => request.user!.id

  if (deps.config.CUSTODY_EVM_RPC_URL) {
    const confirmations = new Map(
      deps.config.CUSTODY_CONFIRMATIONS.split(',').map((p) => {
        const [a, n] = p.split('=')
        return [a!, Number(n)] as const
      }),
    )
    const processor = createWithdrawalProcessor({
      db: deps.db,
      clock: deps.clock,
      rpcUrl: deps.config.CUSTODY_EVM_RPC_URL,
      tokens: parseTokenContracts(deps.config.CUSTODY_EVM_TOKENS),
      confirmations: (asset) => confirmations.get(asset) ?? 12,
      hotSigner,
      withdrawals,
    })
    let stopped = false
    let timer: NodeJS.Timeout | undefined
    let inFlight: Promise<void> = Promise.resolve()
    const tick = () => {
      inFlight = processor
        .tick()
        .then(
          () => {},
          (err: unknown) => base.log.error({ err }, 'custody withdrawal processor failed'),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, deps.config.CUSTODY_WITHDRAWAL_POLL_SECONDS * 1000)
        })
    }
    timer = setTimeout(tick, 0)
    app.addHook('onClose', async () => {
      stopped = true
      if (timer) clearTimeout(timer)
      await inFlight
    })
  }

  app.post(
    '/api/custody/withdrawals',
    {
      config: { apiKey: 'withdraw' },
      preHandler: requireCustomer,
      schema: {
        tags,
        summary:
          'Request a withdrawal: 2FA step-up (sessions), outflow gate, holds, address poisoning, sanctions, risk, policy',
        body: requestBody,
      },
    },
    async (request, reply) => {
      const b = request.body
      const row = await withdrawals.request({
        userId: me(request),
        via: request.authMethod === 'api_key' ? 'api_key' : 'session',
        asset: b.asset,
        amount: b.amount,
        network: b.network,
        address: b.address,
        idempotencyKey: b.idempotencyKey,
        totpCode: b.totpCode,
        passkeyResponse: b.passkeyResponse as never,
        ip: request.ip,
        ...(typeof request.headers['user-agent'] === 'string'
          ? { device: request.headers['user-agent'].slice(0, 200) }
          : {}),
      })
      const { approvals } = await withdrawals.get(row.id)
      return reply
        .code(201)
        .send({ withdrawal: presentForCustomer(row, approvals.filter((a) => a.valid).length) })
    },
  )

  app.get(
    '/api/custody/withdrawals',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: { tags, summary: 'My withdrawals, newest first, and any hold on my account' },
    },
    async (request) => {
      const rows = await withdrawals.listForUser(me(request))
      const active = (await holds.list(me(request))).filter((h) => h.liftedAt === null)
      return {
        withdrawals: rows.map((r) => presentForCustomer(r)),
        holds: active.map((h) => ({
          since: h.placedAt,
          text: 'Withdrawals from your account are on hold while our risk team reviews it.',
        })),
      }
    },
  )

  app.get(
    '/api/custody/withdrawals/:id',
    {
      config: { apiKey: 'read' },
      preHandler: requireCustomer,
      schema: { tags, summary: 'One of my withdrawals, each step in plain words', params: idParams },
    },
    async (request) => {
      const { row, approvals } = await withdrawals.get(request.params.id, me(request))
      return { withdrawal: presentForCustomer(row, approvals.filter((a) => a.valid).length) }
    },
  )

  app.post(
    '/api/custody/withdrawals/:id/cancel',
    {
      preHandler: requireCustomer,
      schema: { tags, summary: 'Cancel my withdrawal before it is signed (funds return)', params: idParams },
    },
    async (request) => ({
      withdrawal: presentForCustomer(await withdrawals.cancel(request.params.id, me(request))),
    }),
  )

  app.get(
    '/api/staff/custody/withdrawals',
    {
      preHandler: requireStaff('custody.withdrawals.read'),
      schema: {
        tags,
        summary: 'Approval and review queue (default: held for review and awaiting approval)',
        querystring: z.object({ status: z.enum(withdrawalStatuses).optional() }),
      },
    },
    async (request) => ({
      withdrawals: (await withdrawals.queue(request.query.status)).map((w) =>
        presentForStaff(w.row, w.approvals),
      ),
    }),
  )

  app.post(
    '/api/staff/custody/withdrawals/:id/approve',
    {
      preHandler: requireStaff('custody.withdrawals.approve'),
      schema: {
        tags,
        summary:
          'Approve the payload you reviewed (its SHA-256 hash); counts only while the payload is unchanged',
        params: idParams,
        body: z.object({ payloadHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
      },
    },
    async (request) => {
      const user = request.user!
      const row = await withdrawals.approve(
        request.params.id,
        { id: user.id, role: user.role ?? '' },
        request.body.payloadHash,
      )
      return { withdrawal: presentForStaff(row, await withdrawals.approvalsOf(row)) }
    },
  )

  app.post(
    '/api/staff/custody/withdrawals/:id/reject',
    {
      preHandler: requireStaff('custody.withdrawals.reject'),
      schema: {
        tags,
        summary: 'Reject a withdrawal (funds return to the customer)',
        params: idParams,
        body: z.object({ note }).strict(),
      },
    },
    async (request) => {
      const row = await withdrawals.reject(request.params.id, request.user!.id, request.body.note)
      return { withdrawal: presentForStaff(row, await withdrawals.approvalsOf(row)) }
    },
  )

  app.post(
    '/api/staff/custody/withdrawals/:id/release',
    {
      preHandler: requireStaff('custody.holds.manage'),
      schema: {
        tags,
        summary: 'Release a withdrawal held for review: it continues with its policy outcome',
        params: idParams,
        body: z.object({ note }).strict(),
      },
    },
    async (request) => {
      const row = await withdrawals.release(request.params.id, request.user!.id, request.body.note)
      return { withdrawal: presentForStaff(row, await withdrawals.approvalsOf(row)) }
    },
  )

  app.get(
    '/api/staff/custody/policies',
    {
      preHandler: requireStaff('custody.withdrawals.read'),
      schema: { tags, summary: 'Withdrawal policy versions (active, proposed, past)' },
    },
    async () => ({ policies: await withdrawals.policies.list() }),
  )

  app.post(
    '/api/staff/custody/policies',
    {
      preHandler: requireStaff('custody.policy.manage'),
      schema: {
        tags,
        summary:
          'Propose a new withdrawal policy version (takes effect when another staff member approves it)',
        body: z.object({ document: z.record(z.string().max(64), z.unknown()), note }).strict(),
      },
    },
    async (request, reply) =>
      reply.code(201).send({
        policy: await withdrawals.policies.propose(
          request.body.document,
          request.user!.id,
          request.body.note,
        ),
      }),
  )

  app.post(
    '/api/staff/custody/policies/:version/approve',
    {
      preHandler: requireStaff('custody.policy.approve'),
      schema: {
        tags,
        summary: 'Approve a proposed policy (four-eyes: not its proposer); it becomes the active policy',
        params: z.object({ version: z.coerce.number().int().min(1).max(1_000_000) }),
      },
    },
    async (request) => ({
      policy: await withdrawals.policies.approve(request.params.version, request.user!.id),
    }),
  )

  app.get(
    '/api/staff/custody/holds',
    {
      preHandler: requireStaff('custody.holds.manage'),
      schema: {
        tags,
        summary: 'Account holds (newest first)',
        querystring: z.object({ userId: z.uuid().optional() }),
      },
    },
    async (request) => ({ holds: await holds.list(request.query.userId) }),
  )

  app.post(
    '/api/staff/custody/holds',
    {
      preHandler: requireStaff('custody.holds.manage'),
      schema: {
        tags,
        summary: "Hold an account's withdrawals (from a risk case); pending ones move to the review queue",
        body: z.object({ userId: z.uuid(), caseId: z.uuid().optional(), reason: note }).strict(),
      },
    },
    async (request, reply) =>
      reply.code(201).send({ hold: await holds.place(request.body, request.user!.id) }),
  )

  app.post(
    '/api/staff/custody/holds/:id/lift',
    {
      preHandler: requireStaff('custody.holds.manage'),
      schema: {
        tags,
        summary: 'Lift a hold (after a fraud case: a second staff member must)',
        params: idParams,
        body: z.object({ note }).strict(),
      },
    },
    async (request) => ({ hold: await holds.lift(request.params.id, request.user!.id, request.body.note) }),
  )
}
